"""nlp.validators.phones: E.164 with region hints, implausible numbers rejected."""

from __future__ import annotations

import pytest

from nlp.validators.phones import is_formatted_phone, parse_phone


@pytest.mark.parametrize(("raw", "e164"), [
    ("8 (916) 123-45-67", "+79161234567"),
    ("+7 916 123 45 67", "+79161234567"),
    ("79161234567", "+79161234567"),
    ("8 701 123 4567", "+77011234567"),      # KZ via the shared +7 plan
    ("0555 123 456", "+996555123456"),       # KG national
    ("+375 29 123-45-67", "+375291234567"),  # BY
    ("+380 67 123 4567", "+380671234567"),   # UA
    ("+998 90 123 45 67", "+998901234567"),  # UZ
    ("+992 93 123 4567", "+992931234567"),   # TJ
    ("+374 77 123456", "+37477123456"),      # AM
    ("(415) 555-2671", "+14155552671"),      # 3-3-4 grouping: North American reading first
    ("347-555-0112", "+13475550112"),
    ("916 123-45-67", "+79161234567"),       # 3-3-2-2 grouping: Russian reading
])
def test_valid(raw: str, e164: str) -> None:
    assert parse_phone(raw) == e164


@pytest.mark.parametrize("raw", ["1234567890", "+7 000 000 00 00", "12", "1-1-1-1-1-1", "8 800", "abc",
                                 "+" + "1" * 30])
def test_invalid(raw: str) -> None:
    assert parse_phone(raw) is None


def test_region_hints_restrict() -> None:
    assert parse_phone("0555 123 456", regions=("RU",)) is None


def test_formatting() -> None:
    assert is_formatted_phone("+79161234567")
    assert is_formatted_phone("8 (916) 123-45-67")
    assert not is_formatted_phone("89161234567")
