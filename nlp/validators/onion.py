"""Tor onion-service address parsing and validation (rend-spec-v3, "Encoding onion addresses")."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

__all__ = ["OnionAddress", "OnionCheck", "parse_onion", "validate_onion", "onion_v3_from_pubkey"]

_V3_LEN = 56
_V2_LEN = 16
_CHECKSUM_PREFIX = b".onion checksum"
_V3_VERSION = b"\x03"
# Scheme, optional userinfo, then the host up to a port, path, query or fragment.
_URL_RE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]{0,15}://)?(?:[^@/?#\s]{0,256}@)?([^:/?#\s]{1,300})")
_BASE32_RE = re.compile(r"^[a-z2-7]+$")


@dataclass(frozen=True)
class OnionCheck:
    """Result of :func:`validate_onion`.

    ``normalized`` is the lower-case ``<56 chars>.onion`` host without subdomains (set for recognised v3
    and v2 shapes, even when ``valid`` is False because of the version); ``subdomain`` keeps what was
    stripped (``"www"`` for ``www.xxx.onion``).
    """

    valid: bool
    version: int | None
    normalized: str | None
    reason: str
    subdomain: str | None = None


@dataclass(frozen=True)
class OnionAddress:
    """A valid v3 onion address: ``host`` is ``<56 chars>.onion``; ``pubkey`` the ed25519 key."""

    host: str
    pubkey: bytes
    subdomain: str | None = None
    version: int = 3


def _host_of(host_or_url: str) -> str | None:
    text = host_or_url.strip()
    if not text or len(text) > 2048:
        return None
    m = _URL_RE.match(text)
    if not m:
        return None
    host = m.group(1).lower().rstrip(".")
    if host.startswith("[") or not host:
        return None
    return host


def _checksum(pubkey: bytes) -> bytes:
    return hashlib.sha3_256(_CHECKSUM_PREFIX + pubkey + _V3_VERSION).digest()[:2]


def onion_v3_from_pubkey(pubkey: bytes) -> str:
    """Build ``<56 chars>.onion`` from a 32-byte ed25519 public key (used by tests and fixtures)."""
    if len(pubkey) != 32:
        raise ValueError("an onion v3 public key has 32 bytes")
    raw = pubkey + _checksum(pubkey) + _V3_VERSION
    return base64.b32encode(raw).decode("ascii").lower() + ".onion"


def validate_onion(host: str) -> OnionCheck:
    """Validate an onion host (a URL, ``host:port`` or subdomain form is accepted and normalised).

    v3: 56 base32 characters decoding to pubkey(32) + checksum(2) + version(1) with version 3 and
    checksum = SHA3-256(".onion checksum" + pubkey + version)[:2]. v2 (16 characters) is recognised and
    reported as obsolete (``valid=False, version=2``).
    """
    h = _host_of(host)
    if h is None or not h.endswith(".onion"):
        return OnionCheck(False, None, None, "not an .onion host")
    labels = h[: -len(".onion")].split(".")
    label = labels[-1]
    subdomain = ".".join(labels[:-1]) or None
    if not _BASE32_RE.match(label):
        return OnionCheck(False, None, None, "onion label is not base32", subdomain)
    if len(label) == _V2_LEN:
        return OnionCheck(False, 2, label + ".onion", "v2 onion addresses are obsolete", subdomain)
    if len(label) != _V3_LEN:
        return OnionCheck(False, None, None, f"onion label has {len(label)} characters, v3 needs 56", subdomain)
    try:
        raw = base64.b32decode(label.upper())
    except (binascii.Error, ValueError):
        return OnionCheck(False, None, None, "onion label is not base32", subdomain)
    pubkey, checksum, version = raw[:32], raw[32:34], raw[34:35]
    if version != _V3_VERSION:
        return OnionCheck(False, None, None, f"onion version byte is {version[0]}, expected 3", subdomain)
    if checksum != _checksum(pubkey):
        return OnionCheck(False, 3, None, "onion v3 checksum mismatch", subdomain)
    return OnionCheck(True, 3, label + ".onion", "ok", subdomain)


def parse_onion(host_or_url: str) -> OnionAddress | None:
    """Return the valid v3 onion address in ``host_or_url`` (URL, host, host:port), else None."""
    check = validate_onion(host_or_url)
    if not check.valid or check.normalized is None:
        return None
    raw = base64.b32decode(check.normalized[:_V3_LEN].upper())
    return OnionAddress(host=check.normalized, pubkey=raw[:32], subdomain=check.subdomain)
