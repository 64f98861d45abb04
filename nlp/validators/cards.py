"""Payment-card numbers: Luhn check, length and known IIN ranges (Visa, Mastercard, МИР, ...)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CardCheck", "luhn_ok", "card_scheme", "validate_card"]

# (scheme, IIN range low, high (inclusive, compared on the same number of leading digits), lengths)
_IIN_TABLE: tuple[tuple[str, int, int, tuple[int, ...]], ...] = (
    ("mir", 2200, 2204, (16, 17, 18, 19)),
    ("mastercard", 2221, 2720, (16,)),
    ("mastercard", 51, 55, (16,)),
    ("visa", 4, 4, (13, 16, 19)),
    ("amex", 34, 34, (15,)),
    ("amex", 37, 37, (15,)),
    ("unionpay", 62, 62, (16, 17, 18, 19)),
    ("maestro", 6759, 6759, (12, 13, 14, 15, 16, 17, 18, 19)),
    ("maestro", 50, 50, (12, 13, 14, 15, 16, 17, 18, 19)),
    ("maestro", 56, 58, (12, 13, 14, 15, 16, 17, 18, 19)),
)


@dataclass(frozen=True)
class CardCheck:
    """``normalized`` is digits only; ``scheme`` the card network when the IIN is known."""

    valid: bool
    scheme: str | None
    normalized: str | None
    reason: str


def luhn_ok(digits: str) -> bool:
    """Luhn (mod 10) check on a string of ASCII digits."""
    if not digits.isascii() or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def card_scheme(digits: str) -> str | None:
    """Card network for ``digits`` by IIN prefix and length, or None."""
    for scheme, low, high, lengths in _IIN_TABLE:
        width = len(str(low))
        if len(digits) in lengths and low <= int(digits[:width]) <= high:
            return scheme
    return None


def validate_card(number: str) -> CardCheck:
    """Validate a card number written with optional spaces or dashes between digit groups."""
    digits = "".join(ch for ch in number if ch not in " -\u00a0")
    if not digits.isascii() or not digits.isdigit() or not 12 <= len(digits) <= 19:
        return CardCheck(False, None, None, "not 12-19 digits")
    if len(set(digits)) == 1:
        return CardCheck(False, None, None, "repeated digit")
    scheme = card_scheme(digits)
    if scheme is None:
        return CardCheck(False, None, None, "unknown IIN range or length")
    if not luhn_ok(digits):
        return CardCheck(False, scheme, None, "Luhn check failed")
    return CardCheck(True, scheme, digits, "ok")
