"""nlp.validators.cards: Luhn, length and IIN ranges."""

from __future__ import annotations

import pytest

from nlp.validators.cards import card_scheme, luhn_ok, validate_card


@pytest.mark.parametrize(("number", "scheme"), [
    ("4111 1111 1111 1111", "visa"),
    ("5555-5555-5555-4444", "mastercard"),
    ("2221000000000009", "mastercard"),
    ("2200 0000 0000 0004", "mir"),
    ("2204 0000 0000 0000 00", "mir"),
    ("378282246310005", "amex"),
])
def test_valid_cards(number: str, scheme: str) -> None:
    res = validate_card(number)
    assert res.valid and res.scheme == scheme
    assert res.normalized == "".join(ch for ch in number if ch.isdigit())


@pytest.mark.parametrize(("number", "reason"), [
    ("4111 1111 1111 1112", "Luhn check failed"),
    ("2205 0000 0000 0003", "unknown IIN range or length"),  # МИР ends at 2204
    ("9111111111111111", "unknown IIN range or length"),
    ("0000 0000 0000 0000", "repeated digit"),
    ("4111", "not 12-19 digits"),
    ("4111a1111111111", "not 12-19 digits"),
])
def test_invalid_cards(number: str, reason: str) -> None:
    res = validate_card(number)
    assert not res.valid and res.reason == reason


def test_luhn_and_scheme() -> None:
    assert luhn_ok("79927398713") and not luhn_ok("79927398710")
    assert not luhn_ok("٧٩٩")  # non-ASCII digits are not card digits
    assert card_scheme("2201000000000000") == "mir" and card_scheme("2719999999999999") == "mastercard"
