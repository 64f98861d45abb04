"""BLAKE-256 (the SHA-3 finalist, 14 rounds), needed for Decred's base58 address checksum.

Decred checks an address with the first four bytes of BLAKE-256(BLAKE-256(payload)). Neither
hashlib nor pycryptodome has BLAKE-256 (only BLAKE2), and the PyPI packages for it are unmaintained
since 2018, so this is a small implementation of the published specification (Aumasson et al.,
"SHA-3 proposal BLAKE", v1.3), checked against the specification's own test vectors in
tests/test_vectors.py. Speed is irrelevant here: it hashes at most 26 bytes per candidate address.
"""

from __future__ import annotations

import struct

__all__ = ["blake256"]

_IV = (0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19)
_C = (0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344, 0xA4093822, 0x299F31D0, 0x082EFA98, 0xEC4E6C89,
      0x452821E6, 0x38D01377, 0xBE5466CF, 0x34E90C6C, 0xC0AC29B7, 0xC97C50DD, 0x3F84D5B5, 0xB5470917)
_SIGMA = (
    (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
    (14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3),
    (11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4),
    (7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8),
    (9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13),
    (2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9),
    (12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11),
    (13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10),
    (6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5),
    (10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0),
)
# (a, b, c, d) state indexes of the eight G calls of a round: four columns, then four diagonals.
_G = ((0, 4, 8, 12), (1, 5, 9, 13), (2, 6, 10, 14), (3, 7, 11, 15),
      (0, 5, 10, 15), (1, 6, 11, 12), (2, 7, 8, 13), (3, 4, 9, 14))
_M32 = 0xFFFFFFFF


def _rotr(x: int, n: int) -> int:
    return ((x >> n) | (x << (32 - n))) & _M32


def _compress(h: list[int], block: bytes, t: int) -> list[int]:
    m = struct.unpack(">16I", block)
    v = list(h) + list(_C[:4]) + [t & _M32 ^ _C[4], t & _M32 ^ _C[5], t >> 32 ^ _C[6], t >> 32 ^ _C[7]]
    for r in range(14):
        s = _SIGMA[r % 10]
        for i, (a, b, c, d) in enumerate(_G):
            x, y = s[2 * i], s[2 * i + 1]
            v[a] = (v[a] + v[b] + (m[x] ^ _C[y])) & _M32
            v[d] = _rotr(v[d] ^ v[a], 16)
            v[c] = (v[c] + v[d]) & _M32
            v[b] = _rotr(v[b] ^ v[c], 12)
            v[a] = (v[a] + v[b] + (m[y] ^ _C[x])) & _M32
            v[d] = _rotr(v[d] ^ v[a], 8)
            v[c] = (v[c] + v[d]) & _M32
            v[b] = _rotr(v[b] ^ v[c], 7)
    return [h[i] ^ v[i] ^ v[i + 8] for i in range(8)]  # the salt is zero


def blake256(data: bytes) -> bytes:
    """The 32-byte BLAKE-256 digest of ``data`` (zero salt)."""
    bits = len(data) * 8
    # Pad: a 1 bit, zeros, a 1 bit, then the 64-bit message length (0x81 when only one byte fits).
    pad_len = (55 - len(data)) % 64 + 1
    padding = b"\x81" if pad_len == 1 else b"\x80" + b"\x00" * (pad_len - 2) + b"\x01"
    padded = data + padding + struct.pack(">Q", bits)
    h = list(_IV)
    for offset in range(0, len(padded), 64):
        # The counter holds the message bits hashed so far; 0 for a block of padding only.
        t = min(bits, (offset + 64) * 8) if offset * 8 < bits else 0
        h = _compress(h, padded[offset : offset + 64], t)
    return struct.pack(">8I", *h)
