"""Cryptocurrency address validation: BTC, LTC, ETH (and EVM chains), TRX, XMR.

Checks are the coins' own: base58check (double SHA-256), bech32/bech32m (BIP-173/BIP-350 with the
segwit witness-version and program-length rules), EIP-55 (Keccak-256), Monero's block base58 with a
Keccak-256 checksum. Protocol constants (version bytes, HRPs, prefixes) are part of each coin's
specification, so they live here as constants, not as a data file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import base58
from Crypto.Hash import keccak

__all__ = [
    "AddressCheck",
    "COINS",
    "bech32_decode",
    "decode_segwit",
    "base58_decode",
    "base58_encode",
    "base58check_decode",
    "monero_b58decode",
    "eip55_checksum",
    "resolve_coin",
    "validate_address",
    "validate_btc",
    "validate_ltc",
    "validate_eth",
    "validate_trx",
    "validate_xmr",
    "validate_sol",
    "classify_address",
]

COINS = ("btc", "ltc", "eth", "trx", "xmr")
NETWORKS = ("mainnet", "testnet", "regtest", "stagenet")


@dataclass(frozen=True)
class AddressCheck:
    """Result of an address check.

    ``supported`` is False when the coin (or chain) is not one we validate; then ``valid`` is False and
    says nothing about the address. ``network`` is mainnet/testnet/regtest/stagenet; ``kind`` names the
    address type (p2pkh, p2sh, p2wpkh, p2wsh, p2tr, witness_v<N>, account, standard, subaddress,
    integrated); ``normalized`` is the canonical spelling (EIP-55 for ETH, lower-case for bech32).
    """

    valid: bool
    coin: str | None
    network: str | None = None
    kind: str | None = None
    normalized: str | None = None
    reason: str = "ok"
    supported: bool = True


def _bad(coin: str | None, reason: str) -> AddressCheck:
    return AddressCheck(False, coin, reason=reason)


# ---------------------------------------------------------------- bech32 / bech32m (BIP-173, BIP-350)
_B32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_B32_REV = {c: i for i, c in enumerate(_B32_CHARSET)}
BECH32 = 1
BECH32M = 0x2BC830A3


def _polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_decode(s: str, max_length: int = 90) -> tuple[str, list[int], int] | None:
    """Decode a bech32 or bech32m string: ``(hrp, data without checksum, BECH32|BECH32M)`` or None.

    ``max_length`` is BIP-173's 90 characters; chains with longer addresses (Cardano) raise it."""
    if not s or len(s) > max_length:
        return None
    if any(ord(c) < 33 or ord(c) > 126 for c in s):
        return None
    if s.lower() != s and s.upper() != s:
        return None
    s = s.lower()
    pos = s.rfind("1")
    if pos < 1 or pos + 7 > len(s):
        return None
    hrp = s[:pos]
    try:
        data = [_B32_REV[c] for c in s[pos + 1 :]]
    except KeyError:
        return None
    const = _polymod(_hrp_expand(hrp) + data)
    if const not in (BECH32, BECH32M):
        return None
    return hrp, data[:-6], const


def _convertbits(data: list[int], frombits: int, tobits: int, pad: bool) -> list[int] | None:
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << tobits) - 1
    for v in data:
        if v < 0 or v >> frombits:
            return None
        acc = (acc << frombits) | v
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if pad:
        if bits:
            out.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        return None
    return out


def encode_segwit(hrp: str, version: int, program: bytes) -> str:
    """A segwit address: bech32 (BIP-173) for version 0, bech32m (BIP-350) for later versions."""
    const = BECH32 if version == 0 else BECH32M
    five_bit = _convertbits(list(program), 8, 5, True)
    assert five_bit is not None  # 8-bit input always converts
    data = [version, *five_bit]
    polymod = _polymod(_hrp_expand(hrp) + data + [0] * 6) ^ const
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_B32_CHARSET[d] for d in data + checksum)


def decode_segwit(hrp: str, addr: str, bip350: bool = True) -> tuple[int, bytes] | None:
    """Decode a segwit address for ``hrp``: ``(witness version, program)`` or None if invalid.

    With ``bip350`` (today's rule) v0 must use bech32 and v1+ bech32m; ``bip350=False`` applies the
    original BIP-173 rule (bech32 for every version), which only the BIP-173 test vectors still need.
    """
    dec = bech32_decode(addr)
    if dec is None or dec[0] != hrp or not dec[1]:
        return None
    _, data, spec = dec
    version = data[0]
    if version > 16:
        return None
    prog = _convertbits(data[1:], 5, 8, False)
    if prog is None or not 2 <= len(prog) <= 40:
        return None
    if version == 0 and len(prog) not in (20, 32):
        return None
    if bip350 and (version == 0) != (spec == BECH32):
        return None
    if not bip350 and spec != BECH32:
        return None
    return version, bytes(prog)


def _segwit_kind(version: int, prog: bytes) -> str:
    if version == 0:
        return "p2wpkh" if len(prog) == 20 else "p2wsh"
    if version == 1 and len(prog) == 32:
        return "p2tr"
    return f"witness_v{version}"


# ---------------------------------------------------------------- base58check
_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_RE = re.compile(r"^[1-9A-HJ-NP-Za-km-z]+$")


def base58_decode(s: str) -> bytes | None:
    """Decode plain base58 (Bitcoin alphabet, leading "1" = zero byte) or None."""
    if len(s) > 400 or (s and not _B58_RE.match(s)):
        return None
    try:
        return base58.b58decode(s)
    except ValueError:
        return None


def base58_encode(data: bytes) -> str:
    """Encode bytes as plain base58 (Bitcoin alphabet)."""
    return base58.b58encode(data).decode("ascii")


def base58check_decode(s: str) -> bytes | None:
    """Decode base58check (payload without the 4-byte double-SHA-256 checksum) or None."""
    if not s or len(s) > 120 or not _B58_RE.match(s):
        return None
    try:
        return base58.b58decode_check(s)
    except ValueError:
        return None


# BTC and LTC base58 version bytes -> (network, kind). LTC's legacy "3" (0x05) P2SH prefix is not
# accepted: it is indistinguishable from Bitcoin and the multicoin-address-validator vectors reject it.
_BTC_B58 = {0x00: ("mainnet", "p2pkh"), 0x05: ("mainnet", "p2sh"), 0x6F: ("testnet", "p2pkh"),
            0xC4: ("testnet", "p2sh"),
            # Not Bitcoin Core prefixes: multicoin-address-validator's testnet list has them (its vector
            # calls a 0x26 "G..." address regtest); kept so that vector holds, marked non-standard.
            0x26: ("testnet", "nonstandard"), 0x3C: ("testnet", "nonstandard")}
_LTC_B58 = {0x30: ("mainnet", "p2pkh"), 0x32: ("mainnet", "p2sh"), 0x6F: ("testnet", "p2pkh"),
            0xC4: ("testnet", "p2sh"), 0x3A: ("testnet", "p2sh")}
_BTC_HRP = {"bc": "mainnet", "tb": "testnet", "bcrt": "regtest"}
_LTC_HRP = {"ltc": "mainnet", "tltc": "testnet", "rltc": "regtest"}


def _validate_utxo(coin: str, addr: str, b58: dict[int, tuple[str, str]] | dict[bytes, tuple[str, str]],
                   hrps: dict[str, str]) -> AddressCheck:
    addr = addr.strip()
    if not addr:
        return _bad(coin, "empty")
    pos = addr.rfind("1")
    if pos > 0 and addr[:pos].lower() in hrps:
        hrp = addr[:pos].lower()
        seg = decode_segwit(hrp, addr)
        if seg is None:
            return _bad(coin, "invalid bech32/bech32m segwit address")
        version, prog = seg
        return AddressCheck(True, coin, hrps[hrp], _segwit_kind(version, prog), addr.lower())
    payload = base58check_decode(addr)
    if payload is None:
        return _bad(coin, "invalid base58check")
    for key, info in b58.items():  # type: ignore[union-attr]
        prefix = bytes([key]) if isinstance(key, int) else key
        if len(payload) == len(prefix) + 20 and payload.startswith(prefix):
            return AddressCheck(True, coin, info[0], info[1], addr)
    return _bad(coin, f"unknown version bytes or length ({len(payload)}-byte payload)")


def validate_btc(addr: str) -> AddressCheck:
    """Bitcoin: base58check P2PKH/P2SH (mainnet, testnet) or segwit bech32 (v0) / bech32m (v1+)."""
    return _validate_utxo("btc", addr, _BTC_B58, _BTC_HRP)


def validate_ltc(addr: str) -> AddressCheck:
    """Litecoin: base58check L/M (testnet m/n/2/Q) or ltc1/tltc1 segwit."""
    return _validate_utxo("ltc", addr, _LTC_B58, _LTC_HRP)


# ---------------------------------------------------------------- Ethereum / EVM (EIP-55)
_ETH_RE = re.compile(r"^0x[0-9a-fA-F]{40}$")


def _keccak256(data: bytes) -> bytes:
    return keccak.new(digest_bits=256, data=data).digest()


def eip55_checksum(addr: str) -> str:
    """Return the EIP-55 mixed-case form of a ``0x`` + 40-hex address."""
    hexaddr = addr[2:].lower()
    digest = _keccak256(hexaddr.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if c.isalpha() and int(digest[i], 16) >= 8 else c
                          for i, c in enumerate(hexaddr))


def validate_eth(addr: str) -> AddressCheck:
    """EIP-55: all-lower or all-upper hex is valid (unchecksummed); mixed case must match the checksum."""
    addr = addr.strip()
    if not _ETH_RE.match(addr):
        return _bad("eth", "not 0x followed by 40 hex digits")
    body = addr[2:]
    checksummed = eip55_checksum(addr)
    if body != body.lower() and body != body.upper() and addr != checksummed:
        return _bad("eth", "EIP-55 checksum mismatch")
    return AddressCheck(True, "eth", "mainnet", "account", checksummed)


# ---------------------------------------------------------------- Tron
def validate_trx(addr: str) -> AddressCheck:
    """Tron: base58check of 21 bytes starting 0x41 ("T..."). Tron testnets share the format."""
    addr = addr.strip()
    payload = base58check_decode(addr)
    if payload is None:
        return _bad("trx", "invalid base58check")
    if len(payload) != 21 or payload[0] != 0x41:
        return _bad("trx", "not a 0x41-prefixed 21-byte Tron address")
    return AddressCheck(True, "trx", "mainnet", "account", addr)


# ---------------------------------------------------------------- Monero
_XMR_BLOCK_SIZES = (0, 2, 3, 5, 6, 7, 9, 10, 11)  # encoded length for 0..8 bytes
_XMR_PREFIXES = {
    18: ("mainnet", "standard"), 19: ("mainnet", "integrated"), 42: ("mainnet", "subaddress"),
    53: ("testnet", "standard"), 54: ("testnet", "integrated"), 63: ("testnet", "subaddress"),
    24: ("stagenet", "standard"), 25: ("stagenet", "integrated"), 36: ("stagenet", "subaddress"),
}
_B58_INDEX = {c: i for i, c in enumerate(_B58_ALPHABET)}


def monero_b58decode(s: str) -> bytes | None:
    """Decode Monero's base58 (8-byte blocks -> 11 characters, shorter final block) or None."""
    if not s or len(s) > 200 or not _B58_RE.match(s):
        return None
    out = bytearray()
    for i in range(0, len(s), 11):
        block = s[i : i + 11]
        try:
            nbytes = _XMR_BLOCK_SIZES.index(len(block))
        except ValueError:
            return None
        num = 0
        for c in block:
            num = num * 58 + _B58_INDEX[c]
        if num >> (8 * nbytes):
            return None
        out += num.to_bytes(nbytes, "big")
    return bytes(out)


def validate_xmr(addr: str) -> AddressCheck:
    """Monero standard/subaddress (95 chars) and integrated (106 chars) on main, test and stage nets."""
    addr = addr.strip()
    if len(addr) not in (95, 106):
        return _bad("xmr", f"Monero addresses have 95 or 106 characters, not {len(addr)}")
    raw = monero_b58decode(addr)
    if raw is None:
        return _bad("xmr", "invalid Monero base58")
    info = _XMR_PREFIXES.get(raw[0])
    if info is None:
        return _bad("xmr", f"unknown Monero prefix {raw[0]}")
    expected_len = 1 + 64 + (8 if info[1] == "integrated" else 0) + 4
    if len(raw) != expected_len:
        return _bad("xmr", "length does not match the address type")
    if _keccak256(raw[:-4])[:4] != raw[-4:]:
        return _bad("xmr", "Keccak-256 checksum mismatch")
    return AddressCheck(True, "xmr", info[0], info[1], addr)


# ---------------------------------------------------------------- other base58check coins (table)
@dataclass(frozen=True)
class _AltCoin:
    coin: str
    names: tuple[str, ...]
    b58: dict[bytes, tuple[str, str]]
    hrps: dict[str, str]


@cache
def _altcoins() -> dict[str, _AltCoin]:
    spec = tomllib.loads((Path(__file__).parent / "altcoins.toml").read_text(encoding="utf-8"))
    out: dict[str, _AltCoin] = {}
    for coin, d in spec["coin"].items():
        b58 = {bytes.fromhex(v): ("mainnet", "base58") for v in d.get("mainnet", [])}
        b58.update({bytes.fromhex(v): ("testnet", "base58") for v in d.get("testnet", []) if v not in d["mainnet"]})
        hrps = {h: "mainnet" for h in d.get("hrp_mainnet", [])} | {h: "testnet" for h in d.get("hrp_testnet", [])}
        out[coin] = _AltCoin(coin, tuple(d["names"]), b58, hrps)
    return out


def _validate_altcoin(coin: str, addr: str) -> AddressCheck:
    spec = _altcoins()[coin]
    return _validate_utxo(coin, addr, spec.b58, spec.hrps)


def _validate_other(coin: str, addr: str) -> AddressCheck:
    from nlp.validators.othercoins import OTHER_VALIDATORS  # imported late: it imports this module

    got = OTHER_VALIDATORS[coin](addr.strip())
    if got is None and coin in ("bch", "bsv"):  # their legacy addresses are Bitcoin's base58 forms
        legacy = validate_btc(addr)
        if legacy.valid and legacy.kind in ("p2pkh", "p2sh"):
            return AddressCheck(True, coin, legacy.network, legacy.kind, legacy.normalized)
    if got is None:
        return _bad(coin, f"not a valid {coin} address")
    return AddressCheck(True, coin, got[0], got[1], addr.strip())


def validate_sol(addr: str) -> AddressCheck:
    """Solana (and SPL tokens): base58 of a 32-byte ed25519 public key."""
    addr = addr.strip()
    if not 32 <= len(addr) <= 44:
        return _bad("sol", "Solana addresses have 32-44 characters")
    raw = base58_decode(addr)
    if raw is None or len(raw) != 32:
        return _bad("sol", "not base58 of 32 bytes")
    return AddressCheck(True, "sol", "mainnet", "account", addr)


# ---------------------------------------------------------------- coin resolution
_VALIDATORS = {"btc": validate_btc, "ltc": validate_ltc, "eth": validate_eth, "trx": validate_trx,
               "xmr": validate_xmr, "sol": validate_sol}
# Names and tickers that mean one of our coins. EVM chains share Ethereum's address format exactly,
# so they validate as "eth" (an analyst sees an EVM account; the chain is not knowable from the text).
_COIN_ALIASES = {
    "btc": "btc", "bitcoin": "btc", "xbt": "btc", "omni": "btc",
    "ltc": "ltc", "litecoin": "ltc",
    "xmr": "xmr", "monero": "xmr",
    "trx": "trx", "tron": "trx", "trc20": "trx",
    "eth": "eth", "ethereum": "eth", "erc20": "eth", "etc": "eth", "ethereumclassic": "eth",
    "ethw": "eth", "ethereumpow": "eth", "etz": "eth", "etherzero": "eth", "clo": "eth", "callisto": "eth",
    "bnb": "eth", "binance": "eth", "binancesmartchain": "eth", "bsc": "eth", "bep20": "eth",
    "arb": "eth", "arbitrum": "eth", "op": "eth", "optimism": "eth", "avax": "eth", "avalanche": "eth",
    "polygon": "eth", "matic": "eth", "celo": "eth", "flr": "eth", "flare": "eth", "s": "eth",
    "sonic": "eth", "ip": "eth", "story": "eth", "bera": "eth", "berachain": "eth", "base": "eth",
    "xrp": "xrp", "ripple": "xrp", "xlm": "xlm", "stellar": "xlm", "xtz": "xtz", "tezos": "xtz",
    "dot": "dot", "polkadot": "dot", "algo": "algo", "algorand": "algo", "nano": "nano", "xrb": "nano",
    "xem": "xem", "nem": "xem", "waves": "waves", "cro": "cro", "ada": "ada", "cardano": "ada",
    "hbar": "hbar", "hedera": "hbar", "apt": "apt", "aptos": "apt",
    "bch": "bch", "bitcoincash": "bch", "bsv": "bsv", "bitcoinsv": "bsv",
    "dcr": "dcr", "decred": "dcr", "eos": "eos",
    "mana": "eth", "yfi": "eth", "exp": "eth", "expanse": "eth", "vet": "eth", "vechain": "eth",
    "game": "eth", "gamecredits": "eth", "bkx": "eth", "bankex": "eth", "xtp": "eth", "tap": "eth",
    "sol": "sol", "solana": "sol", "bonk": "sol", "mobile": "sol", "neon": "sol", "shdw": "sol",
}
# Tokens that live on several chains: without a chain they may be any of these.
_MULTICHAIN_TOKENS = {"usdt": ("btc", "eth", "trx"), "tether": ("btc", "eth", "trx"), "usdc": ("eth",),
                      "eurc": ("eth",), "unknown token": (), "unknown trc20": ("trx",), "dai": ("eth",)}


def resolve_coin(name: str, chain: str | None = None) -> tuple[str, ...]:
    """Map a coin/token name or ticker (plus an optional chain) to the coins whose format applies.

    Returns ``()`` when unsupported: ``resolve_coin("USDT", "tron") == ("trx",)``,
    ``resolve_coin("usdt") == ("btc", "eth", "trx")``, ``resolve_coin("doge") == ("doge",)``; ``()`` for unknown names.
    """
    key = name.strip().lower()
    if chain:
        c = _COIN_ALIASES.get(chain.strip().lower())
        return (c,) if c else ()
    if key in _COIN_ALIASES:
        return (_COIN_ALIASES[key],)
    for coin, spec in _altcoins().items():
        if key in spec.names:
            return (coin,)
    return _MULTICHAIN_TOKENS.get(key, ())


def validate_address(addr: str, coin: str, chain: str | None = None, network: str = "mainnet") -> AddressCheck:
    """Validate ``addr`` as ``coin`` (name or ticker; ``chain`` for tokens such as USDT).

    ``network`` is mainnet, testnet, stagenet, regtest or "any"; an otherwise valid address of another
    network is reported invalid. Tron and EVM addresses carry no network, so they pass any.
    Unsupported coins give ``supported=False``.
    """
    coins = resolve_coin(coin, chain)
    if not coins:
        return AddressCheck(False, None, reason=f"unsupported coin {coin!r}", supported=False)
    last = _bad(coins[0], "empty")
    for c in coins:
        validator = _VALIDATORS.get(c)
        if validator is not None:
            res = validator(addr)
        elif c in _altcoins():
            res = _validate_altcoin(c, addr)
        else:
            res = _validate_other(c, addr)
        if not res.valid:
            last = res
            continue
        if network == "any" or c in _NETWORKLESS or res.network == network:
            return res
        if network == "testnet" and res.network == "regtest":
            return res
        last = AddressCheck(False, c, res.network, res.kind, res.normalized,
                            f"{res.network} address, {network} required")
    return last


_NETWORKLESS = frozenset({"eth", "trx", "sol", "xrp", "xlm", "xtz", "dot", "algo", "nano", "eos", "hbar", "apt"})
_CLASSIFY_ORDER = ("btc", "ltc", "trx", "xmr", "eth")


def classify_address(token: str) -> AddressCheck | None:
    """Guess which supported coin ``token`` is a valid address of (any network), else None."""
    t = token.strip()
    if t.startswith("0x"):
        res = validate_eth(t)
        return res if res.valid else None
    if len(t) in (95, 106):
        res = validate_xmr(t)
        return res if res.valid else None
    for coin in ("btc", "ltc", "trx"):
        res = _VALIDATORS[coin](t)
        if res.valid:
            return res
    return None
