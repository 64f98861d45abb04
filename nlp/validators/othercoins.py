"""Address checks for coins that are not Narcowatch contact types (XRP, XLM, XTZ, DOT, ALGO, NANO, NEM,
Waves, Cardano, Crypto.com, Hedera, Aptos, Bitcoin Cash, Decred, EOS).

They exist so that a wallet string of another chain is recognised as such (and so that the shared
address vectors are classified, not skipped). Each follows its chain's published address encoding.
Every function takes the address and returns ``(network, kind)`` when valid, else None.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import zlib

from Crypto.Hash import keccak

from nlp.validators.blake256 import blake256
from nlp.validators.crypto import BECH32, bech32_decode

__all__ = ["OTHER_VALIDATORS"]

Result = tuple[str, str] | None
_RIPPLE_ALPHABET = "rpshnaf39wBUDNEGHJKLM4PQRST7VWXYZ2bcdeCg65jkm8oFqi1tuvAxyz"
_BTC_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58decode_alphabet(s: str, alphabet: str) -> bytes | None:
    """Plain base58 decode with a given alphabet (leading first-symbols are zero bytes), or None."""
    if not s or len(s) > 200:
        return None
    index = {c: i for i, c in enumerate(alphabet)}
    num = 0
    for c in s:
        v = index.get(c)
        if v is None:
            return None
        num = num * 58 + v
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    zeros = len(s) - len(s.lstrip(alphabet[0]))
    return b"\0" * zeros + body


def bech32_decode_any(s: str, max_length: int) -> tuple[str, list[int], str] | None:
    dec = bech32_decode(s, max_length=max_length)
    if dec is None:
        return None
    return dec[0], dec[1], "bech32" if dec[2] == BECH32 else "bech32m"


def _sha256d(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def _keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def _b32(s: str) -> bytes | None:
    if not re.fullmatch(r"[A-Z2-7]+", s):
        return None
    try:
        return base64.b32decode(s + "=" * (-len(s) % 8))
    except (binascii.Error, ValueError):
        return None


def xrp(addr: str) -> Result:
    """XRP Ledger classic address: ripple-alphabet base58check, version 0x00, 20-byte account id."""
    if not re.fullmatch(r"r[1-9A-HJ-NP-Za-km-z]{24,34}", addr):
        return None
    raw = b58decode_alphabet(addr, _RIPPLE_ALPHABET)
    if raw is None or len(raw) != 25 or raw[0] != 0 or _sha256d(raw[:-4])[:4] != raw[-4:]:
        return None
    return "mainnet", "account"


def _crc16_xmodem(data: bytes) -> int:
    crc = 0
    for b in data:
        crc ^= b << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def xlm(addr: str) -> Result:
    """Stellar account id (StrKey "G..."): base32 of version 6<<3 + ed25519 key + CRC16-XModem (LE)."""
    if len(addr) != 56:
        return None
    raw = _b32(addr)
    if raw is None or len(raw) != 35 or raw[0] != 6 << 3:
        return None
    if _crc16_xmodem(raw[:-2]).to_bytes(2, "little") != raw[-2:]:
        return None
    return "mainnet", "account"


_XTZ_PREFIXES = {bytes([6, 161, 159]): "tz1", bytes([6, 161, 161]): "tz2", bytes([6, 161, 164]): "tz3",
                 bytes([6, 161, 166]): "tz4", bytes([2, 90, 121]): "KT1"}


def xtz(addr: str) -> Result:
    """Tezos: base58check of a 3-byte prefix (tz1/tz2/tz3/tz4/KT1) and a 20-byte hash."""
    raw = b58decode_alphabet(addr, _BTC_ALPHABET)
    if raw is None or len(raw) != 27 or _sha256d(raw[:-4])[:4] != raw[-4:]:
        return None
    kind = _XTZ_PREFIXES.get(raw[:3])
    return ("mainnet", kind) if kind and addr.startswith(kind) else None


def dot(addr: str) -> Result:
    """Substrate SS58 (Polkadot, Kusama, generic): 1-byte prefix, 32-byte account, 2-byte Blake2b checksum."""
    raw = b58decode_alphabet(addr, _BTC_ALPHABET)
    if raw is None or len(raw) != 35 or raw[0] > 63:
        return None
    digest = hashlib.blake2b(b"SS58PRE" + raw[:33], digest_size=64).digest()
    if digest[:2] != raw[33:]:
        return None
    return "mainnet", f"ss58_{raw[0]}"


def algo(addr: str) -> Result:
    """Algorand: base32 (58 chars) of a 32-byte key + last 4 bytes of its SHA-512/256."""
    if len(addr) != 58:
        return None
    raw = _b32(addr)
    if raw is None or len(raw) != 36:
        return None
    if hashlib.new("sha512_256", raw[:32]).digest()[-4:] != raw[32:]:
        return None
    return "mainnet", "account"


_NANO_ALPHABET = "13456789abcdefghijkmnopqrstuwxyz"
_NANO_INDEX = {c: i for i, c in enumerate(_NANO_ALPHABET)}


def nano(addr: str) -> Result:
    """Nano: ``nano_``/``xrb_`` + 60 characters of Nano base32 (key 256 bits + 4 pad, checksum 40 bits)."""
    m = re.fullmatch(r"(?:nano|xrb)_([13][13456789abcdefghijkmnopqrstuwxyz]{59})", addr)
    if not m:
        return None
    num = 0
    for c in m.group(1):
        num = num * 32 + _NANO_INDEX[c]
    raw = num.to_bytes(38, "big")  # 300 bits: 4 zero pad bits + 256 key + 40 checksum
    if raw[0] != 0:
        return None
    key, checksum = raw[1:33], raw[33:]
    if hashlib.blake2b(key, digest_size=5).digest()[::-1] != checksum:
        return None
    return "mainnet", "account"


def xem(addr: str) -> Result:
    """NEM (NIS1): base32 of network byte + 20-byte hash + Keccak-256 checksum (dashes allowed)."""
    a = addr.upper().replace("-", "")
    if len(a) != 40:
        return None
    raw = _b32(a)
    if raw is None or len(raw) != 25 or _keccak256(raw[:21])[:4] != raw[21:]:
        return None
    network = {0x68: "mainnet", 0x98: "testnet", 0x60: "mainnet"}.get(raw[0])
    return (network, "account") if network else None


def waves(addr: str) -> Result:
    """Waves: base58 of version 1, chain id ('W' main, 'T' test), 20-byte hash, Keccak(Blake2b) checksum."""
    raw = b58decode_alphabet(addr, _BTC_ALPHABET)
    if raw is None or len(raw) != 26 or raw[0] != 1:
        return None
    network = {ord("W"): "mainnet", ord("T"): "testnet"}.get(raw[1])
    if network is None:
        return None
    if _keccak256(hashlib.blake2b(raw[:22], digest_size=32).digest())[:4] != raw[22:]:
        return None
    return network, "account"


def cro(addr: str) -> Result:
    """Crypto.com chain: bech32 with HRP cro (mainnet) / tcro (testnet)."""
    dec = bech32_decode_any(addr, max_length=90)
    if dec is None or dec[2] != "bech32":
        return None
    network = {"cro": "mainnet", "tcro": "testnet"}.get(dec[0])
    return (network, "account") if network else None


def _cbor_uint(data: bytes, pos: int, major: int) -> tuple[int, int] | None:
    """``(argument, next position)`` of the CBOR head at ``pos`` if its major type is ``major`` (integer
    arguments up to 32 bits). Raises IndexError when ``data`` ends early."""
    ib = data[pos]
    if ib >> 5 != major:
        return None
    ai = ib & 0x1F
    pos += 1
    if ai < 24:
        return ai, pos
    if ai in (24, 25, 26):
        size = 1 << (ai - 24)
        return int.from_bytes(data[pos : pos + size], "big"), pos + size
    return None


def _cbor_bytes_and_uint(data: bytes) -> tuple[bytes, int] | None:
    """Parse the Byron outer CBOR: array(2) [tag 24 (bytes), uint crc32] -> (bytes, crc)."""
    try:
        if data[0] != 0x82 or data[1] != 0xD8 or data[2] != 24:
            return None
        head = _cbor_uint(data, 3, 2)  # byte string
        if head is None:
            return None
        n, pos = head
        payload = data[pos : pos + n]
        head = _cbor_uint(data, pos + n, 0)  # unsigned integer
        if head is None:
            return None
        crc, pos = head
        if pos != len(data) or len(payload) != n:
            return None
        return payload, crc
    except IndexError:
        return None


def ada(addr: str) -> Result:
    """Cardano: Shelley bech32 (``addr``/``addr_test``, ``stake``...) or Byron base58 CBOR with CRC-32."""
    if addr.lower().startswith(("addr", "stake")):
        dec = bech32_decode_any(addr, max_length=1023)
        if dec is None or dec[2] != "bech32":
            return None
        network = {"addr": "mainnet", "addr_test": "testnet", "stake": "mainnet",
                   "stake_test": "testnet"}.get(dec[0])
        return (network, "shelley") if network else None
    raw = b58decode_alphabet(addr, _BTC_ALPHABET)
    if raw is None:
        return None
    parsed = _cbor_bytes_and_uint(raw)
    if parsed is None or zlib.crc32(parsed[0]) != parsed[1]:
        return None
    return "mainnet", "byron"


def hbar(addr: str) -> Result:
    """Hedera account id ``shard.realm.num`` with an optional HIP-15 ``-abcde`` checksum suffix."""
    return ("mainnet", "account") if re.fullmatch(r"\d{1,10}\.\d{1,10}\.\d{1,19}(?:-[a-z]{5})?", addr) else None


def apt(addr: str) -> Result:
    """Aptos account address: 0x + 64 hex digits."""
    return ("mainnet", "account") if re.fullmatch(r"0x[0-9a-fA-F]{64}", addr) else None


_CASHADDR_GEN = (0x98F2BC8E61, 0x79B76D99E2, 0xF33E5FB3C4, 0xAE2EABE2A8, 0x1E4F43E470)
_B32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def _cashaddr_polymod(values: list[int]) -> int:
    c = 1
    for d in values:
        c0 = c >> 35
        c = ((c & 0x07FFFFFFFF) << 5) ^ d
        for i in range(5):
            if (c0 >> i) & 1:
                c ^= _CASHADDR_GEN[i]
    return c ^ 1


def bch(addr: str) -> Result:
    """Bitcoin Cash CashAddr (``bitcoincash:q...``/``p...``, prefix optional; ``bchtest:`` testnet)."""
    if addr.lower() != addr and addr.upper() != addr:
        return None
    a = addr.lower()
    prefix, _, payload = a.rpartition(":")
    prefixes = (prefix,) if prefix else ("bitcoincash", "bchtest")
    if not re.fullmatch(r"[qp][qpzry9x8gf2tvdw0s3jn54khce6mua7l]{41}", payload):
        return None
    data = [_B32_CHARSET.index(c) for c in payload]
    for p in prefixes:
        if p not in ("bitcoincash", "bchtest"):
            return None
        if _cashaddr_polymod([ord(ch) & 31 for ch in p] + [0] + data) == 0:
            return ("mainnet" if p == "bitcoincash" else "testnet"), ("p2pkh" if payload[0] == "q" else "p2sh")
    return None


# Decred's 2-byte address versions (dcrd chaincfg mainnet and testnet3 params): the ones that carry a
# 20-byte hash (ECDSA, Ed25519 and Schnorr key hashes, script hash). Pay-to-pubkey (Dk/Tk) is not an
# address anyone publishes.
_DCR_VERSIONS = {
    b"\x07\x3f": ("mainnet", "p2pkh"), b"\x07\x1f": ("mainnet", "p2pkh-ed25519"),
    b"\x07\x01": ("mainnet", "p2pkh-schnorr"), b"\x07\x1a": ("mainnet", "p2sh"),
    b"\x0f\x21": ("testnet", "p2pkh"), b"\x0f\x01": ("testnet", "p2pkh-ed25519"),
    b"\x0e\xe3": ("testnet", "p2pkh-schnorr"), b"\x0e\xfc": ("testnet", "p2sh"),
}


def dcr(addr: str) -> Result:
    """Decred: base58 of a 2-byte version, a 20-byte hash and the first 4 bytes of BLAKE-256 twice."""
    if not re.fullmatch(r"[DT][1-9A-HJ-NP-Za-km-z]{33,35}", addr):
        return None
    raw = b58decode_alphabet(addr, _BTC_ALPHABET)
    if raw is None or len(raw) != 26 or raw[:2] not in _DCR_VERSIONS:
        return None
    if blake256(blake256(raw[:-4]))[:4] != raw[-4:]:
        return None
    return _DCR_VERSIONS[raw[:2]]


def eos(addr: str) -> Result:
    """EOS account name as the reference validator (multicoin-address-validator) accepts it.

    Exactly 12 characters of ``a-z``, ``0-9`` and ``.``. The chain itself allows names of up to 12
    characters with digits 1-5 only; the shared vectors (our reference) label ``123456789012`` valid,
    so this follows them. Only used when a text names the coin: a bare 12-letter word is never taken
    for an EOS account.
    """
    if not re.fullmatch(r"[a-z0-9.]{12}", addr):
        return None
    return "mainnet", "account"


OTHER_VALIDATORS = {"xrp": xrp, "xlm": xlm, "xtz": xtz, "dot": dot, "algo": algo, "nano": nano,
                    "xem": xem, "waves": waves, "cro": cro, "ada": ada, "hbar": hbar, "apt": apt,
                    "bch": bch, "bsv": bch, "dcr": dcr, "eos": eos}  # Bitcoin SV kept Bitcoin Cash's address formats
