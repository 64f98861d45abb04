"""Phone numbers to E.164 with region hints for the regions Narcowatch watches (via phonenumbers)."""

from __future__ import annotations

import re

import phonenumbers

__all__ = ["DEFAULT_REGIONS", "parse_phone", "is_formatted_phone"]

# Tried in order for numbers written without "+": Russia first (8-prefixed national format is shared with
# Kazakhstan, whose numbers phonenumbers attributes correctly from the +7 ranges).
DEFAULT_REGIONS: tuple[str, ...] = ("RU", "KZ", "KG", "BY", "UA", "UZ", "TJ", "AM", "US")
# US last: English-language adverts give North American numbers without "+1"; every CIS reading wins first.

# "(415) 555-2671" / "347-555-0112": 3-3-4 grouping is how North American numbers are written; Russian
# 10-digit numbers are grouped 3-3-2-2 ("916 123-45-67"). The shape decides which reading is tried first.
_NANP_SHAPE = re.compile(r"^(?:\(\d{3}\)|\d{3})[ .\-\u00a0]?\d{3}[ .\-\u00a0]\d{4}$")
_ALLOWED = re.compile(r"^\+?[\d\s().\-\u00a0]{6,24}$")
# "Formatted" = written like a phone: + prefix, or digit groups split by separators/parentheses.
_FORMATTED = re.compile(r"^\+|\(\d{2,5}\)|\d[\s.\-\u00a0]\d")


def is_formatted_phone(raw: str) -> bool:
    """True when ``raw`` is written like a phone (leading +, area code in parentheses, grouped digits)."""
    return bool(_FORMATTED.search(raw.strip()))


def parse_phone(raw: str, regions: tuple[str, ...] = DEFAULT_REGIONS) -> str | None:
    """Return the E.164 form of ``raw`` if it is a valid number (``is_valid_number``) in some region.

    Numbers with "+" are parsed as international; others are tried against ``regions`` in order. The
    caller decides whether context makes a bare digit run a phone at all (see ``is_formatted_phone``).
    """
    text = raw.strip()
    if not _ALLOWED.match(text):
        return None
    digits = re.sub(r"\D", "", text)
    if not 7 <= len(digits) <= 15:
        return None
    candidates: list[tuple[str, str | None]] = []
    if text.startswith("+"):
        candidates.append((text, None))
    else:
        if len(digits) >= 11 and digits[0] in "73":  # 7XXXXXXXXXX / 375... / 374... written without "+"
            candidates.append(("+" + digits, None))
        ordered = regions
        if "US" in regions and _NANP_SHAPE.match(text):
            ordered = ("US", *(r for r in regions if r != "US"))
        candidates.extend((text, r) for r in ordered)
    for number, region in candidates:
        try:
            parsed = phonenumbers.parse(number, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(parsed):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    return None
