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
from bisect import bisect_left, bisect_right
from functools import lru_cache
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

from nlp.prices import Price, rates
from nlp.quantities import Quantity

_SEGMENT_BREAK = re.compile(r"\n|\s/\s|\||;|•|,\s|\s-{2,}\s")
# Every segment break holds one of these characters (a dash only when another follows, a comma only before a
# blank), at its start or one character after it: a break can only start at such a character or just before.
_BREAK_KEY = re.compile(r"[\n|;•,/-](?:(?<![-,])|(?<=-)(?=-)|(?<=,)(?=\s))")
_BREAK_PARTS = ("\n", "|", ";", "•", "/", "--")  # a break holds one of these or ",\s"
_COMMA_BREAK = re.compile(r",\s")


def _segments(text: str) -> list[int]:
    r"""Start offsets of the segments of ``text`` (sorted, beginning with 0).

    The ends of ``_SEGMENT_BREAK.finditer(text)``, computed by trying the regex only where a break can
    start (at or just before a key character, in text order, resuming after each break as ``finditer``
    does): the regex begins with ``\s``, so ``finditer`` itself would try every position. Text dense with
    key characters uses ``finditer`` (bounded per-character work on hostile input).
    """
    if not any(map(text.__contains__, _BREAK_PARTS)) and ("," not in text or _COMMA_BREAK.search(text) is None):
        return [0]  # most posts: one segment (a few fast C searches; "0,5 г" has a comma but no break)
    keys = [m.start() for m in _BREAK_KEY.finditer(text)]
    if len(keys) * 8 > len(text) + 64:
        return [0] + [m.end() for m in _SEGMENT_BREAK.finditer(text)]
    starts = [0]
    end = tried = 0
    match = _SEGMENT_BREAK.match
    for key in keys:
        for pos in (key - 1, key):
            if pos < end or pos < tried:
                continue
            tried = pos + 1
            m = match(text, pos)
            if m is not None:
                end = m.end()
                starts.append(end)
                break
    return starts


MAX_OFFERS = 500  # per document: a price list longer than this is spam, and binding must stay linear


def _nearest_in_segment(items: list[Quantity], starts: list[int], ends: list[int], seg_lo: float, seg_hi: int | None,
             p_start: int, p_end: int) -> Quantity | None:
    """Of the ``items`` (in text order) starting in the segment ``[seg_lo, seg_hi)`` (None: to the end), the
    last one ending at or before the price, else the first one starting at or after its end, else None."""
    lo = bisect_left(starts, seg_lo)
    hi = bisect_left(starts, seg_hi) if seg_hi is not None else len(items)
    j = bisect_right(ends, p_start, lo, hi)
    if j > lo:
        return items[j - 1]
    j = bisect_left(starts, p_end, lo, hi)
    return items[j] if j < hi else None


def bind_offers(text: str, drugs: list[dict[str, Any]], quantities: list[Quantity],
                prices: list[Price]) -> list[dict[str, Any]]:
    """Offers from the drug mentions, quantities and prices of ``text`` (all offsets into ``text``).

    At most :data:`MAX_OFFERS` offers per document (the first prices in text order).
    """
    if not prices or not drugs:
        return []
    seg_starts = _segments(text)
    masses = [q for q in quantities if q.grams is not None]
    counts = [q for q in quantities if q.grams is None] if len(masses) < len(quantities) else []
    drug_starts = list(map(_START_KEY, drugs))
    m_starts, m_ends = list(map(_START, masses)), list(map(_END, masses))
    c_starts, c_ends = (list(map(_START, counts)), list(map(_END, counts))) if counts else ([], [])
    # In order: each list equals its sorted copy (one C sort of a few items per list).
    if (drug_starts != sorted(drug_starts) or m_starts != sorted(m_starts) or m_ends != sorted(m_ends)
            or c_starts != sorted(c_starts) or c_ends != sorted(c_ends)):
        return _bind_by_segment_lists(text, drugs, quantities, prices, seg_starts)
    # Everything in text order (as the extractor passes it): the items of a segment are a slice of each list,
    # found by bisecting, and "nearest before/after" is a bisection within that slice.
    n_segs = len(seg_starts)
    n_masses, n_counts, n_drugs = len(masses), len(counts), len(drugs)
    only_mass = masses[0] if n_masses == 1 and len(prices) == 1 else None
    usd_per_unit = rates()["usd_per_unit"]
    offers: list[dict[str, Any]] = []
    # The wage test of _is_wage and the offer of _offer, inlined (a few calls per price saved).
    not_safe, wage_low, wage_any = _NOT_SAFE_RE.search, _wage_low_re().search, _wage_re().search
    per_unit, unit_grams = _PER_UNIT.match, _UNIT_GRAMS.get
    round2, round6 = _ROUND2, _ROUND6
    for price in prices[:MAX_OFFERS]:
        p_start, p_end = price.start, price.end
        w_start = p_start - _WAGE_WINDOW
        if w_start < 0:
            w_start = 0
        window = text[w_start : p_end + _WAGE_WINDOW]
        if not_safe(window) is None:
            if wage_low(window.lower()) is not None:
                continue
        elif wage_any(text, w_start, p_end + _WAGE_WINDOW) is not None:
            continue
        k = bisect_right(seg_starts, p_start)  # the price's segment is k - 1
        seg_lo = seg_starts[k - 1] if k else _BEFORE_TEXT
        seg_hi = seg_starts[k] if k < n_segs else None
        qty = _nearest_in_segment(masses, m_starts, m_ends, seg_lo, seg_hi, p_start, p_end) if n_masses else None
        if qty is None:
            qty = only_mass
        count = _nearest_in_segment(counts, c_starts, c_ends, seg_lo, seg_hi, p_start, p_end) if n_counts else None
        # The drug: the last mention of the segment before the price, else the segment's first mention,
        # else the last mention before the price, else the document's first.
        lo = bisect_left(drug_starts, seg_lo)
        hi = bisect_left(drug_starts, seg_starts[k]) if k < n_segs else n_drugs
        before = bisect_left(drug_starts, p_start)
        if lo < hi:
            last = hi if hi < before else before  # the segment's mentions before the price end here
            drug = drugs[last - 1 if last > lo else lo]
        else:
            drug = drugs[before - 1 if before > 0 else 0]
        # As _offer, with the roundings looked up in bounded caches (round(x, n) is a function of x alone).
        grams: float | None = None
        dose_mg: float | None = None
        if qty is not None:
            unit = qty.unit
            if unit == "mg" or unit == "ug":
                dose_mg = round(qty.value if unit == "mg" else qty.value / 1000.0, 6)
            else:
                raw = qty.grams  # a mass: not None
                grams = round6.get(raw)  # type: ignore[arg-type]
                if grams is None:
                    grams = _rounded(round6, raw, 6)  # type: ignore[arg-type]
        per = per_unit(text, p_end)
        if per is not None:
            grams = unit_grams(per.group(1).lower(), grams)
        amount = price.amount
        currency = price.currency
        rate = usd_per_unit.get(currency)
        usd = usd_per_gram = None
        if rate is not None:
            raw = amount * rate
            usd = round2.get(raw)
            if usd is None:
                usd = _rounded(round2, raw, 2)
            if grams:
                raw = usd / grams
                usd_per_gram = round2.get(raw)
                if usd_per_gram is None:
                    usd_per_gram = _rounded(round2, raw, 2)
        offer: dict[str, Any] = {"substance": drug["substance"], "grams": grams, "amount": amount,
                                 "currency": currency, "usd": usd, "usd_per_gram": usd_per_gram}
        if count is not None:
            offer["units"] = count.value
            offer["unit"] = count.unit
        if dose_mg is not None:
            offer["dose_mg"] = dose_mg
        offers.append(offer)
    return offers


# round(x, n) of recurring values (amounts, grams, USD): bounded caches, cleared when full.
_ROUND2: dict[float, float] = {}
_ROUND6: dict[float, float] = {}
_ROUND_CACHE_SIZE = 8192


def _rounded(cache: dict[float, float], value: float, digits: int) -> float:
    """``round(value, digits)``, stored in ``cache``; zeros are not stored (0.0 and -0.0 are one key)."""
    got = round(value, digits)
    if value:
        if len(cache) >= _ROUND_CACHE_SIZE:
            cache.clear()
        cache[value] = got
    return got


def _offer(text: str, price: Price, drug: dict[str, Any], qty: Quantity | None, count: Quantity | None,
           rate: float | None) -> dict[str, Any]:
    """One offer dict; ``rate`` is the price currency's USD rate (None: unknown currency)."""
    grams: float | None = None
    dose_mg: float | None = None
    if qty is not None:
        if qty.unit in ("mg", "ug"):
            # "Xanax 2mg", "LSD 150ug", "2mg x 30 pills": a dose per unit, not the mass sold.
            dose_mg = round(qty.value if qty.unit == "mg" else qty.value / 1000.0, 6)
        elif qty.grams is not None:
            grams = round(qty.grams, 6)
    per = _PER_UNIT.match(text, price.end)
    if per is not None:
        # "2200р/г", "$40/g", "$90 per gram", "$50/8th": the price of one unit of mass.
        grams = _UNIT_GRAMS.get(per.group(1).lower(), grams)
    usd = None if rate is None else round(price.amount * rate, 2)  # as prices.to_usd
    offer: dict[str, Any] = {"substance": drug["substance"], "grams": grams, "amount": price.amount,
                             "currency": price.currency, "usd": usd,
                             "usd_per_gram": round(usd / grams, 2) if usd is not None and grams else None}
    if count is not None:
        offer["units"] = count.value
        offer["unit"] = count.unit
    if dose_mg is not None:
        offer["dose_mg"] = dose_mg
    return offer


_BEFORE_TEXT = float("-inf")  # where "segment -1" (offsets below 0) begins
_START_KEY = itemgetter("start")
_START = attrgetter("start")
_END = attrgetter("end")


def _bind_by_segment_lists(text: str, drugs: list[dict[str, Any]], quantities: list[Quantity],
                           prices: list[Price], seg_starts: list[int]) -> list[dict[str, Any]]:
    """:func:`bind_offers` for mentions or quantities not in text order: per-segment lists, same rules."""

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
        offers.append(_offer(text, price, drug, qty, count, rates()["usd_per_unit"].get(price.currency)))
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
def _wage_low_re() -> re.Pattern[str]:
    """The wage words, lower-cased, case-sensitive: for lower-cased text made of :data:`_NOT_SAFE_RE`'s
    complement (see there), a match in a window is exactly a match of :func:`_wage_re` in the original."""
    return re.compile("|".join(re.escape(w.lower()) for w in _wage_file_words()))


# ASCII, basic Cyrillic and characters without case (Latin-1 punctuation but the micro sign, ×, ÷, general
# punctuation, currency signs, arrows, technical and box-drawing symbols, dingbats, variation selectors,
# emoji). str.lower maps each to one character, and none has a case-insensitive equivalent among them other
# than its own lower/upper case (ſ, K, ı, ᲀ ... lie outside; tests check every one): lower-casing text made
# of them keeps every offset, and a case-sensitive search of the lower-cased wage words in it finds what the
# case-insensitive regex finds in the original.
_NOT_SAFE_RE = re.compile(r"[^\x00-\x7f\u00a0-\u00b4\u00b6-\u00bf\u00d7\u00f7\u0400-\u04ff\u2000-\u206f"
                          r"\u20a0-\u20cf\u2190-\u23ff\u2500-\u27bf\u2b00-\u2bff\ufe00-\ufe0f"
                          r"\U0001f000-\U0001faff]")


def _is_wage(text: str, price: Price) -> bool:
    """An amount next to wage words ("ЗП до 5000₽", "$2000/week") is pay, not a drug price."""
    start, end = max(0, price.start - _WAGE_WINDOW), price.end + _WAGE_WINDOW
    window = text[start:end]
    if _NOT_SAFE_RE.search(window) is None:  # the common case: one case-sensitive search, lower-cased
        return _wage_low_re().search(window.lower()) is not None
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
