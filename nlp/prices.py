"""Prices with currencies ("2500₽", "5 000 руб", "$70", "5к", "0.01 btc") and USD conversion.

Currency tokens come from ``nlp/data/currencies.tsv``; USD values from the dated table
``nlp/data/rates.toml`` (override the path with ``NARCOWATCH_RATES_FILE``). A bare "5к"/"5k" with
no currency is a price in the local currency of the post's language (ru RUB, uk UAH, kk KZT).
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from nlp.quantities import GAP, NUMBER, parse_number

DATA_DIR = Path(__file__).parent / "data"
_SIGNS = "$€£₽₴₸₿"
_LOCAL = {"ru": "RUB", "uk": "UAH", "kk": "KZT"}


@dataclass(frozen=True, slots=True)
class Price:
    """An amount of money; offsets into the normalised text."""

    amount: float
    currency: str
    start: int
    end: int


@lru_cache(maxsize=4)
def currencies(data_dir: Path = DATA_DIR) -> dict[str, str]:
    """Currency token -> ISO code or ticker."""
    table: dict[str, str] = {}
    for line in (data_dir / "currencies.tsv").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        token, _, code = line.partition("\t")
        if code:
            table[token] = code
    return table


@lru_cache(maxsize=4)
def rates(path: str = "") -> dict[str, Any]:
    """The rates table: ``{"as_of": str, "usd_per_unit": {code: float}}``."""
    file = Path(path or os.environ.get("NARCOWATCH_RATES_FILE", "") or DATA_DIR / "rates.toml")
    with file.open("rb") as fh:
        data = tomllib.load(fh)
    return {"as_of": data["meta"]["as_of"], "usd_per_unit": data["usd_per_unit"]}


def to_usd(amount: float, currency: str) -> float | None:
    """``amount`` in USD by the rates table, rounded to cents; None for an unknown currency."""
    rate = rates()["usd_per_unit"].get(currency)
    return None if rate is None else round(amount * rate, 2)


@lru_cache(maxsize=4)
def _price_re(data_dir: Path = DATA_DIR) -> re.Pattern[str]:
    words = sorted((t for t in currencies(data_dir) if t not in _SIGNS), key=len, reverse=True)
    word_alts = "|".join(re.escape(w) for w in words)
    sign = f"[{re.escape(_SIGNS)}]"
    mult = r"(?P<mult{n}>[kк]|тыс\.?|тысяч[а-я]{{0,2}})?"
    return re.compile(
        rf"(?P<sign1>{sign}){GAP}(?P<num1>{NUMBER}){GAP}{mult.format(n=1)}(?![^\W\d_])"
        rf"|(?P<num2>{NUMBER}){GAP}{mult.format(n=2)}{GAP}(?:(?P<sign2>{sign})|(?P<word2>{word_alts})(?![^\W\d_]))"
        rf"|(?P<num3>{NUMBER}){GAP}(?P<mult3>[kк])(?![^\W\d_])"
        # A bare amount in a tier ("1г — 2500", "3 гр - 6600", "от 1800 за грамм"): local currency.
        rf"|(?:[-—–:=]|(?<![^\W\d_])(?:от|по|цена)){GAP}(?P<num4>{NUMBER})"
        rf"(?=[ \u00a0]?(?:[/,;|)]|за\b|$|\n| [-—–/|]|\.(?:\s|$)))"
    )


# Every match of _price_re starts with a currency sign, a digit, a tier dash/colon/equals sign, or one of
# the words от/по/цена (its fourth alternative): the regex is tried only at those places.
_START_CHAR_RE = re.compile(rf"[\d{re.escape(_SIGNS)}\-—–:=]")
_START_WORDS = ("от", "по", "цена")


def _matches(pattern: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
    """Exactly ``pattern.finditer(text)`` for ``_price_re``, trying only where a match can start.

    ``match(text, pos)`` still sees the text around ``pos`` (look-behinds, ``$``), and the scan resumes
    after each match as ``finditer`` does. Text dense with start characters falls back to ``finditer``
    (no gain there, and it keeps the work per character in C on hostile input).
    """
    starts = [m.start() for m in _START_CHAR_RE.finditer(text)]
    for word in _START_WORDS:
        pos = text.find(word)
        while pos >= 0:
            starts.append(pos)
            pos = text.find(word, pos + 1)
    if len(starts) * 4 > len(text) + 64:
        yield from pattern.finditer(text)
        return
    starts.sort()
    end = 0
    for pos in starts:
        if pos < end:
            continue
        m = pattern.match(text, pos)
        if m is not None:
            yield m
            end = m.end()


def find_prices(norm_text: str, lang: str = "", data_dir: Path = DATA_DIR) -> list[Price]:
    """Prices in lower-cased normalised text, in order."""
    table = currencies(data_dir)
    out: list[Price] = []
    for m in _matches(_price_re(data_dir), norm_text):
        if m.group("num1") is not None:
            raw, mult, currency = m.group("num1"), m.group("mult1"), table.get(m.group("sign1"))
        elif m.group("num2") is not None:
            raw, mult = m.group("num2"), m.group("mult2")
            currency = table.get(m.group("sign2") or m.group("word2") or "")
        elif m.group("num3") is not None:
            raw, mult, currency = m.group("num3"), m.group("mult3"), _LOCAL.get(lang)
        else:
            raw, mult, currency = m.group("num4"), None, _LOCAL.get(lang)
            value = parse_number(raw)
            if value is None or value < 100:  # "1г - 2г" ranges and counts are not prices
                continue
        if currency is None:
            continue
        value = parse_number(raw)
        if value is None:
            continue
        if mult:
            value *= 1000.0
        start = m.start("num4") if m.group("num4") is not None else m.start()
        out.append(Price(value, currency, start, m.end()))
    return out
