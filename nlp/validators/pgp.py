"""OpenPGP public keys: ASCII armor (base64 + CRC-24), the public-key packet, fingerprints and key ids.

RFC 4880 / RFC 9580: a v4 fingerprint is SHA-1(0x99 || 2-octet length || key packet body) and its key
id the low 64 bits; v5 (0x9A) and v6 (0x9B) fingerprints are SHA-256 over a 4-octet length and their
key id the high 64 bits.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

__all__ = ["PgpKey", "crc24", "dearmor", "fingerprint_from_packets", "parse_armored_key",
           "find_armored_keys", "normalize_fingerprint"]

_BEGIN = "-----BEGIN PGP PUBLIC KEY BLOCK-----"
_END = "-----END PGP PUBLIC KEY BLOCK-----"
_MAX_ARMOR = 256 * 1024  # a public key block larger than this is not something we parse from a post
_HEX40 = re.compile(r"^[0-9A-F]{40}$|^[0-9A-F]{64}$")


@dataclass(frozen=True)
class PgpKey:
    """A parsed primary public key: upper-case hex ``fingerprint`` and 16-hex ``key_id``."""

    version: int
    fingerprint: str
    key_id: str
    algorithm: int


def crc24(data: bytes) -> int:
    """OpenPGP CRC-24 (init 0xB704CE, generator 0x1864CFB)."""
    crc = 0xB704CE
    for byte in data:
        crc ^= byte << 16
        for _ in range(8):
            crc <<= 1
            if crc & 0x1000000:
                crc ^= 0x1864CFB
    return crc & 0xFFFFFF


def dearmor(block: str) -> bytes | None:
    """Decode one armored block (``-----BEGIN ...`` through ``-----END ...``); None if malformed or the
    CRC-24 line is present and wrong. Tolerates the indentation and ``> `` quoting of pasted posts."""
    lines = [ln.strip().lstrip(">").strip() for ln in block.strip().splitlines()]
    if not lines or lines[0] != _BEGIN:
        return None
    try:
        end = lines.index(_END)
    except ValueError:
        return None
    body = lines[1:end]
    # Armor headers ("Version: ...", "Comment: ...") end at the first blank line, if there are any.
    if body and re.match(r"^[A-Za-z-]+: ", body[0]):
        while body and body[0]:
            body.pop(0)
    b64: list[str] = []
    checksum: str | None = None
    for ln in body:
        if not ln:
            continue
        if ln.startswith("=") and len(ln) == 5:
            checksum = ln[1:]
            break
        b64.append(ln)
    try:
        data = base64.b64decode("".join(b64), validate=True)
    except (binascii.Error, ValueError):
        return None
    if checksum is not None:
        try:
            want = int.from_bytes(base64.b64decode(checksum, validate=True), "big")
        except (binascii.Error, ValueError):
            return None
        if crc24(data) != want:
            return None
    return data or None


def _first_packet(data: bytes) -> tuple[int, bytes] | None:
    if not data or not data[0] & 0x80:
        return None
    b = data[0]
    pos = 1
    if b & 0x40:  # new format
        tag = b & 0x3F
        if pos >= len(data):
            return None
        o1 = data[pos]
        if o1 < 192:
            length, pos = o1, pos + 1
        elif o1 < 224:
            if pos + 1 >= len(data):
                return None
            length, pos = ((o1 - 192) << 8) + data[pos + 1] + 192, pos + 2
        elif o1 == 255:
            length, pos = int.from_bytes(data[pos + 1 : pos + 5], "big"), pos + 5
        else:
            return None  # partial lengths are not allowed for key packets
    else:  # old format
        tag = (b >> 2) & 0x0F
        ltype = b & 3
        if ltype == 3:
            return None
        n = (1, 2, 4)[ltype]
        length, pos = int.from_bytes(data[pos : pos + n], "big"), pos + n
    body = data[pos : pos + length]
    if len(body) != length:
        return None
    return tag, body


def fingerprint_from_packets(data: bytes) -> PgpKey | None:
    """Fingerprint of the primary public key (first packet, tag 6) in binary OpenPGP data."""
    pkt = _first_packet(data)
    if pkt is None or pkt[0] != 6 or len(pkt[1]) < 6:
        return None
    body = pkt[1]
    version = body[0]
    if version == 4:
        fpr = hashlib.sha1(b"\x99" + len(body).to_bytes(2, "big") + body).hexdigest().upper()
        return PgpKey(4, fpr, fpr[-16:], body[5])
    if version in (5, 6):
        prefix = b"\x9a" if version == 5 else b"\x9b"
        fpr = hashlib.sha256(prefix + len(body).to_bytes(4, "big") + body).hexdigest().upper()
        return PgpKey(version, fpr, fpr[:16], body[5])
    return None  # v3 keys (MD5 fingerprints) are long obsolete


def parse_armored_key(block: str) -> PgpKey | None:
    """Armored PGP public key block -> primary key fingerprint and key id, or None."""
    if len(block) > _MAX_ARMOR:
        return None
    data = dearmor(block)
    return fingerprint_from_packets(data) if data else None


def find_armored_keys(text: str) -> list[tuple[int, int, PgpKey]]:
    """All parseable armored public key blocks in ``text``: ``(start, end, key)`` with offsets."""
    out: list[tuple[int, int, PgpKey]] = []
    pos = 0
    while True:
        start = text.find(_BEGIN, pos)
        if start < 0:
            return out
        end = text.find(_END, start)
        if end < 0:
            return out
        end += len(_END)
        key = parse_armored_key(text[start:end])
        if key is not None:
            out.append((start, end, key))
        pos = end


def normalize_fingerprint(raw: str) -> str | None:
    """"ABCD 1234 ..." / "0xabcd..." -> 40 (or 64) upper-case hex digits, else None."""
    s = re.sub(r"[\s:]", "", raw).upper()
    if s.startswith("0X"):
        s = s[2:]
    return s if _HEX40.match(s) else None
