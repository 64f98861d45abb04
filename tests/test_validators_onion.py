"""nlp.validators.onion: v3 checksum, v2 obsolete, normalisation; and that it stays light to import."""

from __future__ import annotations

import base64
import subprocess
import sys

from nlp.validators.onion import OnionAddress, onion_v3_from_pubkey, parse_onion, validate_onion

HOST = onion_v3_from_pubkey(bytes(range(32)))  # synthetic test key


def test_v3_valid_and_normalised() -> None:
    check = validate_onion(f"HTTPS://www.Shop.{HOST.upper()}:8443/path?q#f")
    assert check.valid and check.version == 3 and check.reason == "ok"
    assert check.normalized == HOST and check.subdomain == "www.shop"
    addr = parse_onion(f"http://{HOST}")
    assert addr == OnionAddress(host=HOST, pubkey=bytes(range(32)), subdomain=None)


def test_v3_checksum_and_version_failures() -> None:
    label = HOST[:56]
    flipped = label[:5] + ("a" if label[5] != "a" else "b") + label[6:]
    check = validate_onion(flipped + ".onion")
    assert not check.valid
    assert check.reason == "onion v3 checksum mismatch" or "version" in check.reason
    # Same key and checksum but version byte 4: rejected for the version.
    raw = bytearray(base64.b32decode(label.upper()))
    raw[-1] = 4
    v4 = base64.b32encode(bytes(raw)).decode().lower() + ".onion"
    res = validate_onion(v4)
    assert not res.valid and "version" in res.reason
    assert parse_onion(v4) is None


def test_v2_reported_obsolete() -> None:
    check = validate_onion("http://expyuzz4wqqyqhjn.onion/")
    assert (check.valid, check.version, check.reason) == (False, 2, "v2 onion addresses are obsolete")
    assert check.normalized == "expyuzz4wqqyqhjn.onion"
    assert parse_onion("expyuzz4wqqyqhjn.onion") is None


def test_not_onion() -> None:
    for s in ("", "example.com", "http://example.onion.com/", "abc.onion", HOST[:55] + ".onion",
              "x" * 5000 + ".onion", HOST[:55] + "1.onion"):
        assert not validate_onion(s).valid
        assert parse_onion(s) is None


def test_validators_do_not_import_spacy() -> None:
    code = ("import sys, nlp.validators.onion, nlp.validators.crypto, nlp.validators.cards, "
            "nlp.validators.phones, nlp.validators.pgp; "
            "heavy = [m for m in ('spacy', 'thinc', 'torch', 'pymorphy3') if m in sys.modules]; "
            "print(heavy); sys.exit(1 if heavy else 0)")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr
