"""nlp.validators.crypto beyond the shared vectors: networks, kinds, resolution, hostile input."""

from __future__ import annotations

import time

import pytest

from nlp.validators import crypto


def test_btc_networks_and_kinds() -> None:
    res = crypto.validate_btc("1HVDCg2KrPBH1Mg5SK9fGjAR9KVqyMMdBC")
    assert (res.valid, res.coin, res.network, res.kind) == (True, "btc", "mainnet", "p2pkh")
    assert crypto.validate_btc("3NJZLcZEEYBpxYEUGewU4knsQRn1WM5Fkt").kind == "p2sh"
    assert crypto.validate_btc("mzBc4XEFSdzCDcTxAgf6EZXgsZWpztRhef").network == "testnet"
    tr = crypto.validate_btc("bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0")
    assert (tr.valid, tr.kind) == (True, "p2tr")
    assert crypto.validate_btc("BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4").normalized == (
        "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")
    assert not crypto.validate_btc("LVg2kJoFNg45Nbpy53h7Fe1wKyeXVRhMH9").valid  # litecoin version byte


def test_ltc_rejects_ambiguous_3_prefix() -> None:
    assert crypto.validate_ltc("MQMcJhpWHYVeQArcZR3sBgyPZxxRtnH441").valid
    assert not crypto.validate_ltc("3NJZLcZEEYBpxYEUGewU4knsQRn1WM5Fkt").valid


def test_eth_checksum_normalisation() -> None:
    lower = "0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed"
    res = crypto.validate_eth(lower)
    assert res.valid and res.normalized == "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
    assert not crypto.validate_eth("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD").valid
    assert not crypto.validate_eth("0x5aaeb6053f3e94c9b9a09f33669435e7ef1beae").valid


def test_trx_and_xmr() -> None:
    assert crypto.validate_trx("TNDzfERDpxLDS2w1q6yaFC7pzqaSQ3Bg3r").valid
    assert not crypto.validate_trx("1HVDCg2KrPBH1Mg5SK9fGjAR9KVqyMMdBC").valid  # right checksum, wrong prefix
    xmr = "47zQ5LAivg6hNCgijXSEFVLX7mke1bgM6YGLFaANDoJbgXDymcAAZvvMNt2PmMpqEe5qRy2zyfMYXdwpmdyitiFh84xnPG2"
    res = crypto.validate_xmr(xmr)
    assert (res.valid, res.network, res.kind) == (True, "mainnet", "standard")
    assert not crypto.validate_xmr(xmr[:-1] + ("3" if xmr[-1] != "3" else "4")).valid
    assert crypto.monero_b58decode("zzzzzzzzzzz") is None  # block overflows 8 bytes


def test_resolve_and_validate_address() -> None:
    assert crypto.resolve_coin("USDT", "tron") == ("trx",)
    assert crypto.resolve_coin("usdt") == ("btc", "eth", "trx")
    assert crypto.resolve_coin("Polygon") == ("eth",)
    assert crypto.resolve_coin("solana") == ("sol",)
    assert crypto.resolve_coin("made-up-coin") == ()
    assert crypto.resolve_coin("Dogecoin") == ("doge",)
    res = crypto.validate_address("anything", "no-such-coin")
    assert (res.valid, res.supported) == (False, False)
    assert crypto.validate_address("mzBc4XEFSdzCDcTxAgf6EZXgsZWpztRhef", "btc").valid is False
    assert crypto.validate_address("mzBc4XEFSdzCDcTxAgf6EZXgsZWpztRhef", "btc", network="testnet").valid
    assert crypto.validate_address("mzBc4XEFSdzCDcTxAgf6EZXgsZWpztRhef", "btc", network="any").valid


def test_classify_address() -> None:
    assert crypto.classify_address("ltc1qg42tkwuuxefutzxezdkdel39gfstuap288mfea").coin == "ltc"
    assert crypto.classify_address("TNDzfERDpxLDS2w1q6yaFC7pzqaSQ3Bg3r").coin == "trx"
    assert crypto.classify_address("0x52908400098527886E0F7030069857D2E4169EE7").coin == "eth"
    assert crypto.classify_address("hello") is None


def test_hostile_inputs_are_cheap() -> None:
    t0 = time.process_time()
    for s in ("1" * 1_000_000, "bc1" + "q" * 1_000_000, "0x" + "f" * 1_000_000, "4" * 1_000_000):
        assert crypto.classify_address(s) is None
        assert not crypto.validate_address(s, "btc", network="any").valid
    assert time.process_time() - t0 < 2.0


def test_other_chains_reject_garbage_cheaply() -> None:
    from nlp.validators.othercoins import OTHER_VALIDATORS

    t0 = time.process_time()
    for name, check in OTHER_VALIDATORS.items():
        for junk in ("", "x", "0" * 100_000, "r" + "1" * 100_000, "addr1" + "q" * 100_000, "0.0.", "nano_" + "1" * 60):
            assert check(junk) is None, name
    assert time.process_time() - t0 < 2.0


def test_unsupported_is_reported_not_guessed() -> None:
    for coin in ("made-up", "notacoin", ""):
        res = crypto.validate_address("DsYuxtvGRfN8rncXAndtLUpJm55F77K17RA", coin)
        assert (res.supported, res.valid, res.coin) == (False, False, None)
    # Decred and EOS are validated now: the same string is a valid Decred address and not an EOS name.
    dcr = crypto.validate_address("DsYuxtvGRfN8rncXAndtLUpJm55F77K17RA", "decred")
    assert (dcr.supported, dcr.valid, dcr.coin, dcr.network) == (True, True, "dcr", "mainnet")
    eos = crypto.validate_address("DsYuxtvGRfN8rncXAndtLUpJm55F77K17RA", "eos")
    assert (eos.supported, eos.valid) == (True, False)


@pytest.mark.parametrize(
    ("hrp", "address"),
    [
        ("bc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),  # BIP-173 example (v0)
        ("bc", "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"),  # BIP-350 example (v1)
    ],
)
def test_encode_segwit_round_trips_the_bip_examples(hrp: str, address: str) -> None:
    decoded = crypto.decode_segwit(hrp, address)
    assert decoded is not None
    assert crypto.encode_segwit(hrp, *decoded) == address
