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
from typing import Any

from nlp.prices import Price, to_usd
from nlp.quantities import Quantity

_SEGMENT_BREAK = re.compile(r"\n|\s/\s|\||;|•|,\s|\s-{2,}\s")


def _segments(text: str) -> list[int]:
    """Start offsets of the segments of ``text`` (sorted, beginning with 0)."""
    return [0] + [m.end() for m in _SEGMENT_BREAK.finditer(text)]


def bind_offers(text: str, drugs: list[dict[str, Any]], quantities: list[Quantity],
                prices: list[Price]) -> list[dict[str, Any]]:
    """Offers from the drug mentions, quantities and prices of ``text`` (all offsets into ``text``)."""
    if not prices or not drugs:
        return []
    drug_spans = [(d["start"], d["end"]) for d in drugs]
    seg_starts = _segments(text)

    def seg(pos: int) -> int:
        return bisect.bisect_right(seg_starts, pos) - 1

    masses = [q for q in quantities if q.grams is not None]
    counts = [q for q in quantities if q.grams is None]
    offers: list[dict[str, Any]] = []
    for price in prices:
        p_seg = seg(price.start)
        qty = _nearest(masses, price, p_seg, seg)
        if qty is None and len(masses) == 1 and len(prices) == 1:
            qty = masses[0]
        count = _nearest(counts, price, p_seg, seg)
        d_index = _nearest_drug(drug_spans, price, p_seg, seg)
        drug = drugs[d_index]
        grams = round(qty.grams, 6) if qty is not None and qty.grams is not None else None
        dose_mg = None
        if qty is not None and qty.unit in ("mg", "ug") and (count is not None or _has_multiplier(text, price)):
            # "2mg x 30 pills": a dose per unit, not the mass sold.
            dose_mg, grams = round(qty.value if qty.unit == "mg" else qty.value / 1000.0, 6), None
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


_MULTIPLIER = re.compile(r"(?<![^\W\d_])(?:\d{1,5}\s?[xх×]|[xх×]\s?\d{1,5})(?![^\W\d_])", re.IGNORECASE)


def _has_multiplier(text: str, price: Price) -> bool:
    """A pack count ("30x", "x 30") on the line of ``price``."""
    line_start = text.rfind("\n", 0, price.start) + 1
    line_end = text.find("\n", price.end)
    return _MULTIPLIER.search(text, line_start, line_end if line_end >= 0 else len(text)) is not None


def _nearest(quants: list[Quantity], price: Price, p_seg: int, seg: Any) -> Quantity | None:
    before = [q for q in quants if q.end <= price.start and seg(q.start) == p_seg]
    if before:
        return before[-1]
    after = [q for q in quants if q.start >= price.end and seg(q.start) == p_seg]
    return after[0] if after else None


def _nearest_drug(spans: list[tuple[int, int]], price: Price, p_seg: int, seg: Any) -> int:
    same = [i for i, (s, _) in enumerate(spans) if seg(s) == p_seg]
    if same:
        before = [i for i in same if spans[i][0] < price.start]
        return before[-1] if before else same[0]
    earlier = [i for i, (s, _) in enumerate(spans) if s < price.start]
    return earlier[-1] if earlier else 0
