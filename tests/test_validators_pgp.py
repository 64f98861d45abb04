"""nlp.validators.pgp: armor + CRC-24, v4 fingerprints (checked against gpg), new-format packets, v6."""

from __future__ import annotations

import hashlib

from nlp.validators.pgp import (
    crc24,
    dearmor,
    find_armored_keys,
    fingerprint_from_packets,
    normalize_fingerprint,
    parse_armored_key,
)

try:
    from pgp_keys import ED25519_ASC, ED25519_FPR, RSA_ASC, RSA_FPR  # tests/ is on sys.path under pytest
except ImportError:  # pragma: no cover
    from tests.pgp_keys import ED25519_ASC, ED25519_FPR, RSA_ASC, RSA_FPR  # type: ignore[no-redef]


def test_ed25519_v4_fingerprint_matches_gpg() -> None:
    key = parse_armored_key(ED25519_ASC)
    assert key is not None
    assert (key.version, key.fingerprint, key.key_id, key.algorithm) == (
        4, ED25519_FPR, ED25519_FPR[-16:], 22)


def test_rsa_v4_fingerprint_two_octet_old_format_length() -> None:
    data = dearmor(RSA_ASC)
    assert data is not None and data[0] == 0x99  # old-format tag 6, two-octet length
    key = parse_armored_key(RSA_ASC)
    assert key is not None and (key.fingerprint, key.key_id, key.algorithm) == (RSA_FPR, RSA_FPR[-16:], 1)


def test_armor_tolerates_quoting_and_headers() -> None:
    quoted = "\n".join("> " + ln for ln in ED25519_ASC.splitlines())
    assert parse_armored_key(quoted).fingerprint == ED25519_FPR  # type: ignore[union-attr]
    with_header = ED25519_ASC.replace("BLOCK-----\n\n", "BLOCK-----\nComment: shop key\nVersion: X\n\n")
    assert parse_armored_key(with_header).fingerprint == ED25519_FPR  # type: ignore[union-attr]
    no_crc = "\n".join(ln for ln in ED25519_ASC.splitlines() if not ln.startswith("="))
    assert parse_armored_key(no_crc).fingerprint == ED25519_FPR  # type: ignore[union-attr]


def test_crc_mismatch_and_garbage_rejected() -> None:
    assert parse_armored_key(ED25519_ASC.replace("=dYrf", "=dYrg")) is None
    assert parse_armored_key(ED25519_ASC.replace("mDMEawnj", "mDMEawnk")) is None  # body changed, CRC stale
    assert dearmor("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n!!!!\n-----END PGP PUBLIC KEY BLOCK-----") is None
    assert parse_armored_key("no key here") is None
    assert crc24(b"") == 0xB704CE


def test_new_format_packet_header_gives_same_fingerprint() -> None:
    data = dearmor(ED25519_ASC)
    assert data is not None and data[0] == 0x98  # old-format tag 6, one-octet length
    length = data[1]
    body = data[2 : 2 + length]
    new = bytes([0xC6, length]) + body  # same packet, new-format header
    assert fingerprint_from_packets(new).fingerprint == ED25519_FPR  # type: ignore[union-attr]


def test_v6_fingerprint_is_sha256_with_0x9b() -> None:
    body = bytes([6]) + b"\x00\x00\x00\x01" + bytes([27]) + (32).to_bytes(4, "big") + bytes(range(32))
    packet = bytes([0xC6, len(body)]) + body
    key = fingerprint_from_packets(packet)
    want = hashlib.sha256(b"\x9b" + len(body).to_bytes(4, "big") + body).hexdigest().upper()
    assert key is not None and key.version == 6 and key.fingerprint == want and key.key_id == want[:16]


def test_find_armored_keys_offsets() -> None:
    text = "intro\n" + ED25519_ASC + "\nmiddle\n" + ED25519_ASC.replace("=dYrf", "=AAAA") + "\nend"
    found = find_armored_keys(text)
    assert len(found) == 1
    start, end, key = found[0]
    assert text[start:end] == ED25519_ASC and key.fingerprint == ED25519_FPR


def test_normalize_fingerprint() -> None:
    grouped = " ".join(ED25519_FPR[i : i + 4] for i in range(0, 40, 4))
    assert normalize_fingerprint(grouped.lower()) == ED25519_FPR
    assert normalize_fingerprint("0x" + ED25519_FPR) == ED25519_FPR
    assert normalize_fingerprint(ED25519_FPR[:-1]) is None
