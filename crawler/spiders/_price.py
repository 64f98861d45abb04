"""Parse advertised prices ("5 000 руб", "5.000₽", "$45", "0.0012 BTC", "1.250,00 €") into amount and ISO code."""

from __future__ import annotations

import re

# Longest markers first so that "руб." wins over "р." and "usdt" over "usd".
_CURRENCY_MARKERS: list[tuple[str, str]] = [
    ("usdt", "USDT"), ("btc", "BTC"), ("xbt", "BTC"), ("₿", "BTC"), ("биткоин", "BTC"), ("xmr", "XMR"),
    ("ltc", "LTC"), ("eth", "ETH"), ("rub", "RUB"), ("руб", "RUB"), ("₽", "RUB"), ("р.", "RUB"),
    ("usd", "USD"), ("us$", "USD"), ("$", "USD"), ("долл", "USD"), ("eur", "EUR"), ("€", "EUR"),
    ("евро", "EUR"), ("kzt", "KZT"), ("₸", "KZT"), ("тенге", "KZT"), ("kgs", "KGS"), ("сом", "KGS"),
    ("byn", "BYN"), ("uah", "UAH"), ("₴", "UAH"), ("грн", "UAH"), ("gbp", "GBP"), ("£", "GBP"),
]
_CRYPTO = {"BTC", "XMR", "LTC", "ETH"}
# Digits with optional space/dot/comma/apostrophe groups; bounded length keeps the cost linear.
_NUMBER = re.compile(r"\d{1,12}(?:[ \u00a0\u202f']\d{3}(?!\d)|[.,]\d{1,12}){0,6}")


def _currency(text: str) -> str | None:
    low = text.lower()
    best: tuple[int, str] | None = None
    for marker, code in _CURRENCY_MARKERS:
        pos = low.find(marker)
        if pos >= 0 and (best is None or pos < best[0]):
            best = (pos, code)
    return best[1] if best else None


def _to_float(raw: str, crypto: bool) -> float | None:
    s = re.sub(r"[ \u00a0\u202f']", "", raw)
    if not s:
        return None
    dots, commas = s.count("."), s.count(",")
    if dots and commas:
        # The separator that comes last is the decimal one: "1,250.50" / "1.250,50".
        dec, thou = (".", ",") if s.rfind(".") > s.rfind(",") else (",", ".")
        s = s.replace(thou, "").replace(dec, ".")
    elif dots + commas:
        sep = "." if dots else ","
        head, _, tail = s.rpartition(sep)
        thousands = (
            (dots + commas) > 1
            or (not crypto and len(tail) == 3 and head.lstrip("0") != "")
        )
        if thousands:
            if any(len(g) != 3 for g in s.split(sep)[1:]):
                return None
            s = s.replace(sep, "")
        else:
            s = head.replace(sep, "") + "." + tail
    try:
        return float(s)
    except ValueError:
        return None


def parse_price(text: str | None) -> tuple[float | None, str | None]:
    """Amount and ISO 4217 (or crypto ticker) code of a price text; (None, None) when there is no number.

    A single ``.`` or ``,`` followed by exactly three digits is a thousands separator ("5.000₽" is
    5000), except in crypto amounts and after a leading zero ("0.001 BTC").
    """
    if not text:
        return None, None
    currency = _currency(text)
    match = _NUMBER.search(text)
    if not match:
        return None, currency
    amount = _to_float(match.group(0).strip(" .,'\u00a0\u202f"), crypto=currency in _CRYPTO)
    return amount, currency
