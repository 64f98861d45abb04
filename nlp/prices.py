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

from nlp.quantities import (
    DIGIT_RANGES,
    GAP,
    NUMBER,
    NUMBER_REST,
    followed_by,
    literal_alternatives,
    parse_number,
    slot_setters,
)

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


_NEW = object.__new__
_SET_AMOUNT, _SET_CURRENCY, _SET_START, _SET_END = slot_setters(Price, ("amount", "currency", "start", "end"))


def _new_price(amount: float, currency: str, start: int, end: int) -> Price:
    """``Price(amount, currency, start, end)``, built twice as fast (see :func:`nlp.quantities.slot_setters`)."""
    p: Price = _NEW(Price)
    _SET_AMOUNT(p, amount)
    _SET_CURRENCY(p, currency)
    _SET_START(p, start)
    _SET_END(p, end)
    return p


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
def _price_res(data_dir: Path = DATA_DIR) -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str]]:
    """The price regex, written three ways that find the same matches.

    The price regex has four alternatives, in this order (the first that matches at a place wins):

    1. sign, number, multiplier: "$70", "₽ 5к";
    2. number, multiplier, sign or currency word: "2500₽", "5 тыс. руб";
    3. number and "k"/"к": "5к" (local currency);
    4. a bare amount after a tier dash, colon or equals sign, or after the words от/по/цена (not after a
       letter) and a blank: "1г — 2500", "от 1800 за грамм" (local currency).

    ``main`` holds 1-3 and the dash part of 4: each of its matches starts with a sign, a digit or a dash, so
    it is written as that character class followed by the alternatives, each checking with a look-behind
    which character it started with; ``re`` then skips in C to the next such character instead of trying
    every position. ``word`` is the word part of 4, led by the words themselves. At any place at most one of
    the two can match (they start with different characters), so taking their matches in text order (as
    :func:`_merged_matches` does) gives exactly the matches of the one four-way regex.

    ``fast`` is ``main`` with the word part of 4 tried at the amount's first digit instead (group ``numw``),
    by look-behinds for word + blank, before 2 and 3: no main alternative can start on the word or the blank,
    so at that digit it finds what the word match would have found, one scan with no word pass (``о`` and
    ``п`` are common letters). It differs only when the preceding match ends inside the word or blank (then
    the word match never started): :func:`find_prices` checks that and falls back to ``main`` + ``word``.
    Alternatives 2, 3 and ``numw`` start with the number's first digit, so their groups hold the number
    without it (the number is ``text[m.start():m.end(group)]``).
    """
    words = sorted((t for t in currencies(data_dir) if t not in _SIGNS), key=len, reverse=True)
    sign = f"[{re.escape(_SIGNS)}]"
    mult = r"(?P<mult{n}>[kк]|тыс\.?|тысяч[а-я]{{0,2}})?"
    # What may follow a bare tier amount: a separator, "за", the end of the text or line, a full stop.
    bare_end = r"(?=[ \u00a0]?(?:[/,;|)]|за\b|$|\n| [-—–/|]|\.(?:\s|$)))"
    after_digit = r"(?<=\d)(?<![\w.,/]\d)"  # the consumed first character may start a number
    # \d written as ranges (a superset; every alternative's look-behind tests what it consumed).
    head = rf"[{re.escape(_SIGNS)}{DIGIT_RANGES}\-—–:=](?:"
    alt1 = rf"(?<={sign}){GAP}(?P<num1>{NUMBER}){GAP}{mult.format(n=1)}(?![^\W\d_])"
    # The blank is not optional here: without it, the number's own look-behind fails on the word's letter.
    blank = r"[ \u00a0\u202f]"
    word_then_digit = (rf"(?:(?<=(?:от|по){blank}\d)(?<![^\W\d_](?:от|по){blank}\d)"
                       rf"|(?<=цена{blank}\d)(?<![^\W\d_]цена{blank}\d))")
    alt_w = rf"{word_then_digit}(?P<numw>{NUMBER_REST}){bare_end}"
    # A multiplier, sign or currency word follows the digits somewhere (see followed_by); it covers 3's "k".
    currency_next = followed_by(["k", "к", "тыс", *_SIGNS, *words])
    alt2 = (rf"(?P<num2>{NUMBER_REST}){GAP}{mult.format(n=2)}{GAP}"
            rf"(?:(?P<sign2>{sign})|(?P<word2>{literal_alternatives(words)})(?![^\W\d_]))")
    alt3 = rf"(?P<num3>{NUMBER_REST}){GAP}(?P<mult3>[kк])(?![^\W\d_])"
    alt4 = rf"(?<=[-—–:=]){GAP}(?P<num4>{NUMBER}){bare_end}"
    # The digit alternatives share their look-behind and look-ahead: A(?:X|Y) matches as AX|AY does when A
    # takes no characters, and a digit that starts no number is then turned away once, not once each.
    main = re.compile(rf"{head}{alt1}|{after_digit}(?:(?P<numw>(?!))|{currency_next}(?:{alt2}|{alt3}))|{alt4})")
    fast = re.compile(rf"{head}{alt1}|{after_digit}(?:{alt_w}|{currency_next}(?:{alt2}|{alt3}))|{alt4})")
    # "от"/"по"/"цена" not after a letter: the look-behind sits after the word (same places) so that the
    # regex starts with the words' first letters.
    word = re.compile(rf"(?:от(?<![^\W\d_]от)|по(?<![^\W\d_]по)|цена(?<![^\W\d_]цена)){GAP}"
                      rf"(?P<num4>{NUMBER}){bare_end}")
    return fast, main, word


def _merged_matches(text: str, data_dir: Path) -> Iterator[re.Match[str]]:
    """The price matches in ``text`` from ``main`` and ``word`` (see :func:`_price_res`), in text order.

    The earlier match wins, and a regex whose next match starts inside the taken one searches again from
    its end (``search(text, pos)`` sees the text before ``pos``, as ``finditer`` does after a match).
    """
    _, main, word = _price_res(data_dir)
    w = word.search(text)
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


# Amounts repeat across posts ("2500", "1 500"): their parsed values are cached, bounded.
_number = lru_cache(maxsize=4096)(parse_number)


class _WordInsideMatch(Exception):
    """A ``numw`` match whose word began inside the previous match (see :func:`_price_res`)."""


def find_prices(norm_text: str, lang: str = "", data_dir: Path = DATA_DIR) -> list[Price]:
    """Prices in lower-cased normalised text, in order."""
    try:
        return _prices(norm_text, lang, data_dir, _price_res(data_dir)[0].finditer(norm_text), True)
    except _WordInsideMatch:
        return _prices(norm_text, lang, data_dir, _merged_matches(norm_text, data_dir), False)


def _prices(text: str, lang: str, data_dir: Path, matches: Iterator[re.Match[str]], check: bool) -> list[Price]:
    table = currencies(data_dir)
    out: list[Price] = []
    scanned = 0  # where the previous match ended
    new, set_amount, set_currency, set_start, set_end = _NEW, _SET_AMOUNT, _SET_CURRENCY, _SET_START, _SET_END
    for m in matches:
        start = m.start()
        groups = m.groups()
        if len(groups) == 1:  # the word regex: a bare amount after от/по/цена
            num1 = numw = num2 = num3 = None
            num4 = groups[0]
        else:
            num1, mult1, numw, num2, mult2, sign2, word2, num3, mult3, num4 = groups
        if num1 is not None:
            raw, mult, currency = num1, mult1, table.get(text[start])
        elif num2 is not None:
            raw, mult = text[start : m.end(4)], mult2
            currency = table.get(sign2 or word2 or "")
        elif num3 is not None:
            raw, mult, currency = text[start : m.end(8)], mult3, _LOCAL.get(lang)
        else:
            if numw is not None:
                # The word ("от"/"по" or "цена") and a blank end right before the first digit.
                if check and start - (3 if text[start - 3 : start - 1] in ("от", "по") else 5) < scanned:
                    raise _WordInsideMatch
                raw = text[start : m.end(3)]
            else:
                raw = num4
                start = m.start("num4")
            mult, currency = None, _LOCAL.get(lang)
            value = _number(raw)
            if value is None or value < 100:  # "1г - 2г" ranges and counts are not prices
                scanned = m.end()
                continue
        scanned = end = m.end()
        if currency is None:
            continue
        value = _number(raw)
        if value is None:
            continue
        if mult:
            value *= 1000.0
        price = new(Price)  # _new_price, inlined
        set_amount(price, value)
        set_currency(price, currency)
        set_start(price, start)
        set_end(price, end)
        out.append(price)
    return out
