"""Offers: a drug, a quantity and a price bound together.

Binding works on segments: the text is cut at line breaks and list separators (" / ", "|", ";",
"•", ", "), so that a tiered list "1г - 2500₽ / 2г - 4500₽" yields one segment per tier. Each price
takes the nearest mass quantity of its segment (before it, else after it; else the only mass
quantity of the document when there is exactly one), and the drug mentioned nearest before it (same
segment first, then the closest earlier mention, then the first mention of the document).
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

from nlp.prices import Price, to_usd
from nlp.quantities import Quantity

_SEGMENT_BREAK = re.compile(r"\n|\s/\s|\||;|•|,\s|\s-{2,}\s")


def _segments(text: str) -> list[int]:
    """Start offsets of the segments of ``text`` (sorted, beginning with 0)."""
    return [0] + [m.end() for m in _SEGMENT_BREAK.finditer(text)]


MAX_OFFERS = 500  # per document: a price list longer than this is spam, and binding must stay linear


def bind_offers(text: str, drugs: list[dict[str, Any]], quantities: list[Quantity],
                prices: list[Price]) -> list[dict[str, Any]]:
    """Offers from the drug mentions, quantities and prices of ``text`` (all offsets into ``text``).

    At most :data:`MAX_OFFERS` offers per document (the first prices in text order).
    """
    if not prices or not drugs:
        return []
    seg_starts = _segments(text)

    def seg(pos: int) -> int:
        return bisect.bisect_right(seg_starts, pos) - 1

    masses = [q for q in quantities if q.grams is not None]
    counts = [q for q in quantities if q.grams is None]
    mass_by_seg = _by_segment(masses, seg)
    count_by_seg = _by_segment(counts, seg)
    drug_by_seg: dict[int, list[int]] = {}
    for i, d in enumerate(drugs):
        drug_by_seg.setdefault(seg(d["start"]), []).append(i)
    drug_starts = [d["start"] for d in drugs]
    offers: list[dict[str, Any]] = []
    for price in prices[:MAX_OFFERS]:
        if _is_wage(text, price):
            continue
        p_seg = seg(price.start)
        qty = _nearest(mass_by_seg.get(p_seg), price)
        if qty is None and len(masses) == 1 and len(prices) == 1:
            qty = masses[0]
        count = _nearest(count_by_seg.get(p_seg), price)
        drug = drugs[_nearest_drug(drug_by_seg.get(p_seg, []), drug_starts, price)]
        grams = round(qty.grams, 6) if qty is not None and qty.grams is not None else None
        dose_mg = None
        if qty is not None and qty.unit in ("mg", "ug"):
            # "Xanax 2mg", "LSD 150ug", "2mg x 30 pills": a dose per unit, not the mass sold.
            dose_mg, grams = round(qty.value if qty.unit == "mg" else qty.value / 1000.0, 6), None
        per = _PER_UNIT.match(text, price.end)
        if per is not None:
            # "2200р/г", "$40/g", "$90 per gram", "$50/8th": the price of one unit of mass.
            grams = _UNIT_GRAMS.get(per.group(1).lower(), grams)
        usd = to_usd(price.amount, price.currency)
        offer: dict[str, Any] = {"substance": drug["substance"], "grams": grams, "amount": price.amount,
                                 "currency": price.currency, "usd": usd,
                                 "usd_per_gram": round(usd / grams, 2) if usd is not None and grams else None}
        if count is not None:
            offer["units"] = count.value
            offer["unit"] = count.unit
        if dose_mg is not None:
            offer["dose_mg"] = dose_mg
        offers.append(offer)
    return offers




_PER_UNIT = re.compile(r"[ \u00a0]?(?:/|per |a |за |за 1 )[ \u00a0]?"
                       r"(g|gr|gram|gramm|грамм|гр|г|8th|eighth|oz|ounce|zip|kg|кг)(?![^\W\d_])", re.IGNORECASE)
_UNIT_GRAMS = {"g": 1.0, "gr": 1.0, "gram": 1.0, "gramm": 1.0, "грамм": 1.0, "гр": 1.0, "г": 1.0, "8th": 3.5437,
               "eighth": 3.5437, "oz": 28.3495, "ounce": 28.3495, "zip": 28.3495, "kg": 1000.0, "кг": 1000.0}
_WAGE_WINDOW = 20


@lru_cache(maxsize=1)
def _wage_file_words() -> tuple[str, ...]:
    path = Path(__file__).parent / "data" / "price_negatives.txt"
    lines = path.read_text(encoding="utf-8").splitlines()
    return tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=1)
def _wage_re() -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in _wage_file_words()), re.IGNORECASE)


@lru_cache(maxsize=1)
def _wage_words() -> tuple[str, ...]:
    return tuple(w.lower() for w in _wage_file_words())


# ASCII and basic Cyrillic: for text made only of these characters, a case-insensitive match of the wage
# words is exactly a substring test on lower-cased text (str.lower maps each of them to one character,
# and none of them has another case-insensitive equivalent in this range: ſ, K, ı, ᲀ ... lie outside).
_NOT_PLAIN_RE = re.compile(r"[^\x00-\x7f\u0400-\u04ff]")


def _is_wage(text: str, price: Price) -> bool:
    """An amount next to wage words ("ЗП до 5000₽", "$2000/week") is pay, not a drug price."""
    start, end = max(0, price.start - _WAGE_WINDOW), price.end + _WAGE_WINDOW
    window = text[start:end]
    if _NOT_PLAIN_RE.search(window) is None:  # the common case: a few substring tests, no regex pass
        low = window.lower()
        return any(word in low for word in _wage_words())
    return _wage_re().search(text, start, end) is not None


def _by_segment(quants: list[Quantity], seg: Any) -> dict[int, tuple[list[Quantity], list[int]]]:
    """Segment -> (its quantities, their end offsets) for bisecting."""
    out: dict[int, tuple[list[Quantity], list[int]]] = {}
    for q in quants:
        got = out.setdefault(seg(q.start), ([], []))
        got[0].append(q)
        got[1].append(q.end)
    return out


def _nearest(segment: tuple[list[Quantity], list[int]] | None, price: Price) -> Quantity | None:
    """The quantity of the price's segment just before it, else just after it."""
    if segment is None:
        return None
    quants, ends = segment
    k = bisect.bisect_right(ends, price.start)
    if k > 0:
        return quants[k - 1]
    return next((q for q in quants if q.start >= price.end), None)


def _nearest_drug(same_segment: list[int], starts: list[int], price: Price) -> int:
    if same_segment:
        before = [i for i in same_segment if starts[i] < price.start]
        return before[-1] if before else same_segment[0]
    k = bisect.bisect_left(starts, price.start)
    return k - 1 if k > 0 else 0
