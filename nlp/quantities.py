"""Numbers and quantities ("2г", "0,5 g", "1.000 гр", "10 tabs", "250ug", "5 марок") in normalised text.

Numbers accept both thousands conventions ("5 000", "5.000", "5,000") and decimal commas ("0,5"):
a separator followed by exactly three digits is a thousands separator unless the number starts
with 0. Units come from ``nlp/data/units.tsv``; mass units are converted to grams.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from nlp.tsv import read_tsv

DATA_DIR = Path(__file__).parent / "data"

# No nested quantifiers: thousands groups are fixed width, the decimal branch is two runs.
# The first digit is matched before the look-behind (``\d(?<![\w.,/]\d)`` = "a digit not preceded by
# a word character, dot, comma or slash"): a pattern that starts with a character class lets ``re``
# skip ahead to the next digit instead of trying every position.
NUMBER_HEAD = r"\d(?<![\w.,/]\d)"
# What follows the first digit of a number (so a regex that has consumed that digit can go on with it).
NUMBER_REST = r"(?:\d{0,2}(?:[ \u00a0\u202f.,]\d{3})+(?![\d])|\d{0,11}(?:[.,]\d{1,6})?)(?![\d])"
NUMBER = NUMBER_HEAD + NUMBER_REST
# One digit, as \d: every decimal digit is ASCII or at U+0660 and above (tests check it), and the look-behind
# keeps only digits. A regex led by this class lets re skip to candidates with range tests, about twice as
# fast as testing the Unicode digit category of every character.
ANY_DIGIT = r"[0-9\u0660-\U0010ffff](?<=\d)"
DIGIT_RANGES = r"0-9\u0660-\U0010ffff"  # a superset of \d for character classes followed by a digit test
# Optional blank between a number and its unit or currency: never a line break.
GAP = r"[ \u00a0\u202f]?"
_FRACTION = re.compile(r"^(\d{1,2})/(\d{1,2})$")
_THOUSANDS = re.compile(r"\d{1,3}(?:[ \u00a0\u202f.,]\d{3})+")


@dataclass(frozen=True, slots=True)
class Quantity:
    """A number with a unit; ``grams`` is None for units without a defined mass (ml, tabs)."""

    value: float
    unit: str
    grams: float | None
    start: int  # offsets into the normalised text
    end: int


def slot_setters(cls: type, fields: tuple[str, ...]) -> list[Any]:
    """The slot descriptors' ``__set__`` of a frozen slots dataclass's ``fields`` (all of them, in order).

    The generated ``__init__`` of a frozen dataclass sets every field through ``object.__setattr__``, about
    0.1 us a field; ``object.__new__(cls)`` and these setters build the same object (same class, same field
    values, so the same equality and hash) in half the time. Raises ValueError if ``fields`` are not the
    class's init fields or the class has a ``__post_init__`` (the setters would skip it).
    """
    if tuple(f.name for f in dataclasses.fields(cls) if f.init) != fields or hasattr(cls, "__post_init__"):
        raise ValueError(f"{cls.__name__}: fields {fields} are not its init fields")
    return [cls.__dict__[name].__set__ for name in fields]


def parse_number(raw: str) -> float | None:
    """A float from a number written with either thousands convention; None if it is not one."""
    if raw.isdecimal():  # digits only (the common case): what the general path below returns too
        return float(raw)
    raw = raw.strip()
    if _THOUSANDS.fullmatch(raw) and not raw.startswith("0"):
        # "1,5" never reaches here (needs three digits after the separator); "1.500" is 1500.
        return float(re.sub(r"[ \u00a0\u202f.,]", "", raw))
    try:
        return float(raw.replace(",", ".").replace(" ", ""))
    except ValueError:
        return None


@lru_cache(maxsize=4)
def units(data_dir: Path = DATA_DIR) -> dict[str, tuple[str, float | None]]:
    """Unit token -> (canonical unit, grams per unit or None)."""
    table: dict[str, tuple[str, float | None]] = {}
    for parts in read_tsv(data_dir / "units.tsv"):
        table[parts[0]] = (parts[1], float(parts[2]) if len(parts) > 2 and parts[2] else None)
    return table


def literal_alternatives(tokens: list[str]) -> str:
    """A regex matching the ``tokens`` as ``tok1|tok2|...`` does (same choice, same order), that fails fast.

    The alternation is led by a look-ahead for the tokens' first characters: where the next character
    starts no token, one class test fails it instead of a test per token (on a failed unit after every
    number, the ~80 units cost that many tests per backtracking step).
    """
    if not tokens or not all(tokens):
        raise ValueError("literal_alternatives needs non-empty tokens")
    firsts = "".join(re.escape(c) for c in sorted({t[0] for t in tokens}))
    return f"(?=[{firsts}])(?:{'|'.join(re.escape(t) for t in tokens)})"


# Every character a number, a fraction or the blank after them can hold.
NUMBER_CHARS = r"[\d \u00a0\u202f.,/]"
_RUN_BOUND = 20


def followed_by(tokens: list[str]) -> str:
    """A look-ahead: number characters, then the start (two characters at most) of one of ``tokens``.

    Placed after a number's first digit, before a number that must be followed by one of ``tokens`` (a unit,
    a currency), it holds wherever the full pattern can match, and fails after one pass over the digit run
    where it cannot ("2500₽" is no quantity, "0,5 г" no price), before the number's alternatives and their
    backtracking are tried. The lazy run stops at the first place a token can start.
    """
    starts = {t[:2] for t in tokens if t}
    singles = {t for t in starts if len(t) == 1}
    starts = {t for t in starts if len(t) == 1 or t[0] not in singles}  # "р" already covers "ру"
    token = literal_alternatives(sorted(starts, key=lambda t: (-len(t), t)))
    # Bounded, so that a long run of digits and blanks ("1 1 1 1 ...") costs each digit a fixed amount: a run
    # longer than the bound passes (the full pattern decides there), which keeps the look-ahead necessary.
    return f"(?={NUMBER_CHARS}{{0,{_RUN_BOUND}}}?{token}|{NUMBER_CHARS}{{{_RUN_BOUND}}})"


@lru_cache(maxsize=4)
def _quantity_re(data_dir: Path = DATA_DIR) -> re.Pattern[str]:
    tokens = sorted(units(data_dir), key=len, reverse=True)
    alts = literal_alternatives(tokens)
    # (?P<num>fraction|NUMBER), fraction = \d(?<![\w.,/]\d)\d?/\d{1,2}, with their common first digit taken
    # out and written as ANY_DIGIT: re then scans for it with range tests instead of the digit category.
    # The look-ahead after it: a unit follows the digits somewhere (see followed_by).
    return re.compile(rf"(?P<num>{ANY_DIGIT}(?<![\w.,/]\d){followed_by(tokens)}"
                      rf"(?:\d?/\d{{1,2}}|{NUMBER_REST})){GAP}(?P<unit>{alts})(?![^\W\d_])")


def _reading(raw: str, token: str, data_dir: Path = DATA_DIR) -> tuple[float, str, float | None] | None:
    """(value, canonical unit, grams) of a matched number and unit token; None if the number is not one."""
    frac = _FRACTION.match(raw)
    value = int(frac.group(1)) / int(frac.group(2)) if frac and int(frac.group(2)) else parse_number(raw)
    if value is None:
        return None
    unit, per = units(data_dir)[token]
    return value, unit, value * per if per is not None else None


_NEW = object.__new__
_SET_VALUE, _SET_UNIT, _SET_GRAMS, _SET_START, _SET_END = slot_setters(
    Quantity, ("value", "unit", "grams", "start", "end"))


def _new_quantity(value: float, unit: str, grams: float | None, start: int, end: int) -> Quantity:
    """``Quantity(value, unit, grams, start, end)``, built twice as fast (see :func:`slot_setters`)."""
    q: Quantity = _NEW(Quantity)
    _SET_VALUE(q, value)
    _SET_UNIT(q, unit)
    _SET_GRAMS(q, grams)
    _SET_START(q, start)
    _SET_END(q, end)
    return q


# Readings repeat across posts ("1г", "0,5 г"): cached, bounded; keyed without the path for the default data.
_default_reading = lru_cache(maxsize=4096)(_reading)
_other_reading = lru_cache(maxsize=1024)(_reading)


def find_quantities(norm_text: str, data_dir: Path = DATA_DIR) -> list[Quantity]:
    """Quantities in lower-cased normalised text, in order."""
    out: list[Quantity] = []
    new = _new_quantity
    if data_dir is DATA_DIR or data_dir == DATA_DIR:
        reading = _default_reading
        make = _NEW
        set_value, set_unit, set_grams, set_start, set_end = _SET_VALUE, _SET_UNIT, _SET_GRAMS, _SET_START, _SET_END
        for m in _quantity_re(data_dir).finditer(norm_text):
            got = reading(*m.groups())
            if got is not None:
                q = make(Quantity)  # _new_quantity, inlined
                set_value(q, got[0])
                set_unit(q, got[1])
                set_grams(q, got[2])
                set_start(q, m.start())
                set_end(q, m.end())
                out.append(q)
        return out
    for m in _quantity_re(data_dir).finditer(norm_text):
        got = _other_reading(*m.groups(), data_dir)
        if got is not None:
            out.append(new(*got, *m.span()))
    return out
