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

# Test-only keys generated for this suite with gpg 2.2 (ed25519 and rsa2048); fingerprints as gpg printed.
ED25519_ASC = """-----BEGIN PGP PUBLIC KEY BLOCK-----

mDMEawnjCxYJKwYBBAHaRw8BAQdAd5C7dBDmV88YLAQdTgiWEZ8nIbqZfh4RZilC
qg0tbBq0Kk5hcmNvd2F0Y2ggVGVzdCBLZXkgPHRlc3RAZXhhbXBsZS5pbnZhbGlk
PoiQBBMWCAA4FiEE/SN9hzG/UhMrTn2rwoFNdTw69OAFAmsJ4wsCGwMFCwkIBwIG
FQoJCAsCBBYCAwECHgECF4AACgkQwoFNdTw69OCg6AEA0bcMXkj8dETEYs9sS+ol
qDq4cORplAB61fkzfCBfXgcBAOAg0oFHeXBicLrl+QaULTz4uq3MJaHRGP5mt0of
x0IB
=dYrf
-----END PGP PUBLIC KEY BLOCK-----"""
ED25519_FPR = "FD237D8731BF52132B4E7DABC2814D753C3AF4E0"
RSA_ASC = """-----BEGIN PGP PUBLIC KEY BLOCK-----

mQENBGsJ4wsBCACzSUv9S3PgDY3WNwNGYy9Q0iY868PCCO1GHeynF2bVP0E2VRj0
DK6NFjoT3MGyqbELjjyMNXV6cy8qQMNCupuNh6os/sXIKdTWQsfnaJqhrv6SGD/9
UGkSbLA+rlKAYZEzdAtHbYXp/2p4LCDl5LScBd2yAXs1MZO9jcvaEtDLppAmp6Ku
/tJz601K5U7aUEwt4Y8Ak2A0I4lNFWx/Eq/moh3zFsAFT5fIf4g8QX5wsf/k7zbR
Bdb+v+6LRnwDR/hP227L57HO9Z38MF01uh7N7cKy+SQqyo7kxG7KvnOrCteGzxpT
iKjtHUfqrohiEMxyoC3+b3vWVRvIA0WaeUu3ABEBAAG0KU5hcmNvd2F0Y2ggUlNB
IFRlc3QgPHJzYUBleGFtcGxlLmludmFsaWQ+iQFOBBMBCgA4FiEECkUGWlspIhOJ
b/NJntOw2IjwbvcFAmsJ4wsCGwMFCwkIBwIGFQoJCAsCBBYCAwECHgECF4AACgkQ
ntOw2IjwbvdvKQf/bJ7DxnpUB6oasTYvPMEoCfNMu3s3W+0B7vH+CXfGrqGS8OqS
9T6ZhCbDVtwB9xb2OZe3xrQm90Mo+E3Hp1APfsvgvn2qeYcJKBoIQ9NzzXxWY+M0
js7PbjIEAPini/uEYqUpFDmcqxLQZw6JmWajY2xE6S2EVI83ur10YxuBKZjqlM+x
aqtg99j3cA46yzF2kbPoyFT/Btfi1JMg/eZ4qtoXf2YqvIpPS6DufW//cprG0yh2
A1HrAxLDhih6Om4xR5R95mhl8uwRKjamzdP/8H/54YqBCRX2APp4tbXneQhuZlb/
fOjo3d63wec7l0nGurWcqpWxagYzsfov+u36qg==
=B9/T
-----END PGP PUBLIC KEY BLOCK-----"""
RSA_FPR = "0A45065A5B292213896FF3499ED3B0D888F06EF7"


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
