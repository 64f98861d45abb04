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

from nlp.quantities import GAP, NUMBER, NUMBER_REST, literal_alternatives, parse_number

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
def _price_res(data_dir: Path = DATA_DIR) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """The price regex, as two regexes that each start with a character class or literal.

    The price regex has four alternatives, in this order (the first that matches at a place wins):

    1. sign, number, multiplier: "$70", "₽ 5к";
    2. number, multiplier, sign or currency word: "2500₽", "5 тыс. руб";
    3. number and "k"/"к": "5к" (local currency);
    4. a bare amount after a tier dash, colon or equals sign, or after the words от/по/цена (not after a
       letter): "1г — 2500", "от 1800 за грамм" (local currency).

    The first regex holds 1-3 and the dash part of 4: each of its matches starts with a sign, a digit or a
    dash, so it is written as that character class followed by the alternatives, each checking with a
    look-behind which character it started with; ``re`` then skips in C to the next such character instead
    of trying every position. The second regex is the word part of 4, led by the words themselves. At any
    place at most one of the two can match (they start with different characters), so taking their matches
    in text order as :func:`_matches` does gives exactly the matches of the one four-way regex. Alternatives
    2 and 3 start with the number's first digit, so ``num2``/``num3`` hold the number without it (the number
    is ``text[m.start():m.end("num2")]``).
    """
    words = sorted((t for t in currencies(data_dir) if t not in _SIGNS), key=len, reverse=True)
    sign = f"[{re.escape(_SIGNS)}]"
    mult = r"(?P<mult{n}>[kк]|тыс\.?|тысяч[а-я]{{0,2}})?"
    # What may follow a bare tier amount: a separator, "за", the end of the text or line, a full stop.
    bare_end = r"(?=[ \u00a0]?(?:[/,;|)]|за\b|$|\n| [-—–/|]|\.(?:\s|$)))"
    after_digit = r"(?<=\d)(?<![\w.,/]\d)"  # the consumed first character may start a number
    main = re.compile(
        rf"[{re.escape(_SIGNS)}\d\-—–:=](?:"
        rf"(?<={sign}){GAP}(?P<num1>{NUMBER}){GAP}{mult.format(n=1)}(?![^\W\d_])"
        rf"|{after_digit}(?P<num2>{NUMBER_REST}){GAP}{mult.format(n=2)}{GAP}"
        rf"(?:(?P<sign2>{sign})|(?P<word2>{literal_alternatives(words)})(?![^\W\d_]))"
        rf"|{after_digit}(?P<num3>{NUMBER_REST}){GAP}(?P<mult3>[kк])(?![^\W\d_])"
        rf"|(?<=[-—–:=]){GAP}(?P<num4>{NUMBER}){bare_end})"
    )
    # "от"/"по"/"цена" not after a letter: the look-behind sits after the word (same places) so that the
    # regex starts with the words' first letters.
    word = re.compile(rf"(?:от(?<![^\W\d_]от)|по(?<![^\W\d_]по)|цена(?<![^\W\d_]цена)){GAP}"
                      rf"(?P<num4>{NUMBER}){bare_end}")
    return main, word


def _matches(text: str, data_dir: Path) -> Iterator[re.Match[str]]:
    """The price matches in ``text``, in order: the leftmost match, then the leftmost from its end, and so on.

    Mostly the word regex finds nothing and this is the main regex's ``finditer``. Otherwise the two are
    merged: the earlier match wins, and a regex whose next match starts inside the taken one searches again
    from its end (``search(text, pos)`` sees the text before ``pos``, as ``finditer`` does after a match).
    """
    main, word = _price_res(data_dir)
    w = word.search(text)
    if w is None:
        yield from main.finditer(text)
        return
    m = main.search(text)
    while m is not None or w is not None:
        if w is None or (m is not None and m.start() < w.start()):
            hit: re.Match[str] = m  # type: ignore[assignment]
        else:
            hit = w
        yield hit
        pos = hit.end()
        if m is not None and m.start() < pos:
            m = main.search(text, pos)
        if w is not None and w.start() < pos:
            w = word.search(text, pos)


def find_prices(norm_text: str, lang: str = "", data_dir: Path = DATA_DIR) -> list[Price]:
    """Prices in lower-cased normalised text, in order."""
    table = currencies(data_dir)
    out: list[Price] = []
    for m in _matches(norm_text, data_dir):
        start = m.start()
        if m.re.groups == 1:  # the word regex: a bare amount after от/по/цена
            num1 = num2 = num3 = None
            num4 = m.group(1)
        else:
            num1, mult1, num2, mult2, sign2, word2, num3, mult3, num4 = m.groups()
        if num1 is not None:
            raw, mult, currency = num1, mult1, table.get(norm_text[start])
        elif num2 is not None:
            raw, mult = norm_text[start : m.end(3)], mult2
            currency = table.get(sign2 or word2 or "")
        elif num3 is not None:
            raw, mult, currency = norm_text[start : m.end(7)], mult3, _LOCAL.get(lang)
        else:
            raw, mult, currency = num4, None, _LOCAL.get(lang)
            value = parse_number(raw)
            if value is None or value < 100:  # "1г - 2г" ranges and counts are not prices
                continue
            start = m.start("num4")
        if currency is None:
            continue
        value = parse_number(raw)
        if value is None:
            continue
        if mult:
            value *= 1000.0
        out.append(Price(value, currency, start, m.end()))
    return out
