"""Drug mentions: lexicon lookup over normalised words, lemmas for Russian inflection, context rules.

The lexicon (``nlp/data/drug_lexicon.jsonl``, built by ``tools/build_drug_lexicon.py``) maps a
matching key (lower case, letters and digits only) to a canonical substance, its class, an NPS flag
and an optional product form. Multi-word terms ("alpha pvp", "5-meo-dmt") match as n-grams of up to
five words; Russian words that miss are retried by lemma ("мефедрона" -> "мефедрон").

Ambiguous terms (``ambiguous.tsv``, plus all imported English street slang) count only when the
document has context (a quantity, a price, an unambiguous drug word or a shop word from
``context_words.txt``) and none of the term's listed neighbour words stands within three words.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from itertools import compress, filterfalse
from operator import itemgetter
from pathlib import Path
from typing import Any

from nlp.lemmas import lemma
from nlp.normalize import Normalized
from nlp.tsv import read_tsv

DATA_DIR = Path(__file__).parent / "data"
_MAX_NGRAM = 5
MAX_MENTIONS = 1000  # per document; later mentions are not reported (bounds the per-mention passes)
_MAX_EMOJI = 1000
_EMOJI_DECORATION = 12  # characters between an emoji and a drug word it merely decorates
_WINDOW = 3
_FORM_WINDOW = 4
_KEY = re.compile(r"[\W_]+")
_WORD = re.compile(r"[^\W_]+")
_SEPARATORS = re.compile(r"([\W_][\W_]*)")  # the complement of _WORD, captured: split() alternates words and gaps
_CYR = re.compile(r"[а-яёіїєґ]")
# A number with a unit or a currency nearby: enough context for ambiguous slang.
_CONTEXT_RE = re.compile(
    r"\d\s?(?:g|gs|gr|grams?|gramm|kg|kilo(?:gram)?s?|mg|ug|mcg|oz|ounces?|lbs?|pounds?|qp|ml|tabs?|pills?|caps|seeds?|x|х|г|гр|грамм?|кг|мг"
    r"|мл|шт|таб|k|к)(?![^\W\d_])|[$€£₽₴₸₿]\s?\d|\d\s?[$€£₽₴₸₿]|(?<![^\W\d_])[xх×]\s?\d"
    r"|\d\s?(?:руб|usd|eur|btc|грн|тг|р)(?![^\W\d_])|(?<![^\W\d_])(?:pounds?|ounces?|qp|lbs?|oz)(?![^\W\d_])")
# A microgram dose with no drug named: blotter LSD (the commonest product sold by the microgram).
_UG_DOSE = re.compile(r"(?<![\d.,])\d{1,6}(?:[.,]\d{1,3})?\s?(?:ug|µg|μg|mcg|мкг|ugh|ugl|micro\s?grams?)(?![^\W\d_])")
# With no drug named: a quarter/half pound, a quarter/half ounce or an eighth is a cannabis trade unit;
# an edible dosed in milligrams ("Chocolate Bar 300mg", "gummies 10mg") is a THC edible (food is sold by
# the gram).
_QP = re.compile(r"(?<![^\W\d_])(?:qp|qps|quarter\s?pounds?|half\s?pounds?|qtr\s?lb|quarter\s?(?:ounce|oz)"
                 r"|half\s?(?:ounce|oz)|an\s?eighth|eighths)(?![^\W\d_])")
_UG_WORDS = ("ug", "µg", "μg", "mcg", "мкг", "micro")
_QP_WORDS = ("qp", "quarter", "half", "eighth", "qtr")
_MG_DOSE = re.compile(r"\d\s?mg(?![^\W\d_])")


_NEWLINE = re.compile("\n")
_IMPORTED = frozenset({"strains", "tripsit", "dope"})
_HAND_MADE = frozenset({"core", "slang_ru", "brands", "strains"})


def key(term: str) -> str:
    """Matching key: lower case, ё as е, letters and digits only."""
    return _KEY.sub("", term.lower().replace("ё", "е"))


@dataclass
class DrugLexicon:
    """Everything the drug matcher reads from ``nlp/data/``; load with :meth:`from_dir`."""

    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    first_words: set[str] = field(default_factory=set)
    ambiguous: dict[str, frozenset[str]] = field(default_factory=dict)
    forms: dict[str, str] = field(default_factory=dict)
    emoji: dict[str, tuple[str, str]] = field(default_factory=dict)
    context_words: frozenset[str] = frozenset()
    emoji_re: re.Pattern[str] | None = None
    glued_re: re.Pattern[str] | None = None
    dose_fallback: bool = True
    prefixes: frozenset[str] = frozenset()
    pill_words: frozenset[str] = frozenset()  # form words of form "pills": what a press name needs nearby
    edible_words: frozenset[str] = frozenset()
    memos: dict[str, _LangMemo] = field(default_factory=dict)  # per-language word records (find_drugs)
    emoji_firsts: tuple[str, ...] = ()  # the first character of every emoji sign (a fast `in` gate)
    ambiguous_keys: frozenset[str] = frozenset()  # keys of entries that need context (ambiguous or listed)
    key_prefixes: frozenset[str] = frozenset()  # every prefix of every entry key (n-gram windows stop early)
    press_keys: frozenset[str] = frozenset()  # keys of entries that need a pill word nearby (press names)
    preferable_keys: frozenset[str] = frozenset()  # keys _prefer_specific can drop (none in a post: no-op)
    near_words: frozenset[str] = frozenset()  # every neighbour word of every ambiguous entry

    @classmethod
    def from_dir(cls, data_dir: Path = DATA_DIR) -> DrugLexicon:
        lex = cls()
        with (data_dir / "drug_lexicon.jsonl").open(encoding="utf-8") as fh:
            for line in fh:
                rec = json.loads(line)
                if "_provenance" in rec:
                    continue
                lex.entries[rec["key"]] = rec
                if rec.get("neighbours"):
                    lex.ambiguous[rec["key"]] = frozenset(rec["neighbours"])
                for term in [rec["term"], *rec.get("variants", [])]:
                    words = _WORD.findall(term.replace("ё", "е"))
                    if len(words) > 1:
                        lex.first_words.add(key(words[0]))
        for row in read_tsv(data_dir / "ambiguous.tsv"):
            neighbours = row[1].split("|") if len(row) > 1 and row[1] else []
            k = key(row[0])
            lex.ambiguous[k] = lex.ambiguous.get(k, frozenset()) | frozenset(w.lower() for w in neighbours)
        lex.forms = {key(r[0]): r[1] for r in read_tsv(data_dir / "forms.tsv")}
        lex.pill_words = frozenset(k for k, f in lex.forms.items() if f == "pills")
        lex.edible_words = frozenset(k for k, f in lex.forms.items() if f == "edible")
        lex.prefixes = frozenset(k[:n] for k in lex.entries if k.isalpha() for n in range(1, len(k) + 1))
        names = sorted({k for k, e in lex.entries.items() if k == key(e["substance"]) and len(k) >= 4
                        and k.isascii() and k.isalpha() and not e.get("ambiguous") and k not in lex.ambiguous},
                       key=len, reverse=True)
        if names:
            lex.glued_re = re.compile("|".join(names))
        for row in read_tsv(data_dir / "emoji.tsv"):
            lex.emoji[row[0]] = (row[1] if len(row) > 1 else "", row[2] if len(row) > 2 else "")
        if lex.emoji:
            lex.emoji_re = re.compile("|".join(re.escape(e) for e in sorted(lex.emoji, key=len, reverse=True)))
            lex.emoji_firsts = tuple(sorted({e[0] for e in lex.emoji}))
        lex.context_words = frozenset(
            line.strip() for line in (data_dir / "context_words.txt").read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#"))
        lex.ambiguous_keys = frozenset(k for k, e in lex.entries.items() if e.get("ambiguous") or k in lex.ambiguous)
        lex.key_prefixes = frozenset(k[:n] for k in lex.entries for n in range(1, len(k) + 1))
        lex.near_words = frozenset().union(*lex.ambiguous.values())
        lex.press_keys = frozenset(k for k, e in lex.entries.items() if e.get("needs") == "pills")
        lex.preferable_keys = frozenset(
            k for k, e in lex.entries.items()
            if e.get("source") == "dope" or (e.get("source") == "tripsit" and e.get("ambiguous"))
            or (k in lex.ambiguous_keys and k.isascii() and e.get("source") in _IMPORTED))
        return lex

    def knows(self, word: str) -> bool:
        """True when ``word`` (already joined from split letters) is a lexicon key."""
        return key(word) in self.entries


_LEMMA_KEYS: dict[tuple[str, str], str] = {}


def _lemma_key(word: str, lang: str) -> str:
    """Matching key of the lemma of ``word`` (memoised: market vocabularies are small)."""
    got = _LEMMA_KEYS.get((word, lang))
    if got is None:
        got = key(lemma(word, lang)) if _CYR.search(word) else word
        if len(_LEMMA_KEYS) > 500_000:
            _LEMMA_KEYS.clear()
        _LEMMA_KEYS[(word, lang)] = got
    return got


_ENDINGS = ("ами", "ями", "ом", "ем", "ам", "ям", "ах", "ях", "ой", "ей", "ою", "ую", "ы", "и", "а", "я", "у", "ю", "е")
_RESTORE = ("", "а", "ь", "ы", "и")


def _by_stem(word: str, entries: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """Slang that pymorphy3 does not know, inflected ("мефом", "альфы"): strip a case ending and
    try the bare stem or the stem with a nominative ending. Only Cyrillic entries qualify."""
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            stem = word[: -len(ending)]
            for tail in _RESTORE:
                cand = entries.get(stem + tail)
                if cand is not None and _CYR.search(cand["key"]):
                    return cand
    return None


_WordInfo = tuple[dict[str, Any] | None, bool, tuple[dict[str, Any], int, int] | None]


def _word_info(word: str, lang: str, lex: DrugLexicon) -> _WordInfo:
    """What one normalised word can start: a one-word entry, an n-gram, or a glued substance name."""
    entries = lex.entries
    lk = _lemma_key(word, lang)
    is_first = word in lex.first_words or lk in lex.first_words
    single = entries.get(word)
    if single is None and _CYR.search(word):
        single = entries.get(lk) or _by_stem(word, entries)
    glued = None
    if single is None and len(word) >= 7 and lex.glued_re is not None and word.isascii():
        g = lex.glued_re.search(word)
        if g is not None and (g.start() == 0 or g.end() == len(word)):
            glued = (entries[g.group()], g.start(), g.end())
    return single, is_first, glued


@dataclass(slots=True)
class _Hit:
    entry: dict[str, Any]
    key: str  # entry["key"]
    first: int  # word index
    last: int
    start: int  # offsets into the normalised text
    end: int
    form: str | None
    pill_press: bool = False  # a press name vouched for by a pill word


# One word record per distinct (word, language), computed once and reused by every post:
# (one-word entry, can start an n-gram, glued substance name, lemma key, is a context word, form it names).
_Rec = tuple[dict[str, Any] | None, bool, tuple[dict[str, Any], int, int] | None, str, bool, str | None]
_LK = itemgetter(3)
_MAX_RECS = 200_000  # word records kept per language before the memo starts afresh


class _LangMemo:
    """Word records of one language plus the sets that let a post pick its interesting words in C.

    Never cleared in place: a full memo is replaced by a new one, so a post being matched in another
    thread keeps a consistent memo; a word's record is stored after its set memberships.
    """

    __slots__ = ("recs", "starters", "context", "formy", "near")

    def __init__(self) -> None:
        self.recs: dict[str, _Rec] = {}
        self.starters: set[str] = set()  # words that can start a mention (one-word, n-gram or glued)
        self.context: set[str] = set()  # words that are (or whose lemma is) a shop/context word
        self.formy: set[str] = set()  # words that name a product form (by surface or lemma)
        self.near: set[str] = set()  # words that are (by surface or lemma) some entry's neighbour word

    def add(self, words: Any, lang: str, lex: DrugLexicon) -> None:
        """Compute and store the records of ``words`` (words not known yet)."""
        recs = self.recs
        context_words = lex.context_words
        forms = lex.forms
        for word in words:
            single, is_first, glued = info = _word_info(word, lang, lex)
            lk = _lemma_key(word, lang)
            ctx = word in context_words or lk in context_words
            form = forms.get(word) or forms.get(lk)
            if single is not None or is_first or glued is not None:
                self.starters.add(word)
            if ctx:
                self.context.add(word)
            if form:
                self.formy.add(word)
            if word in lex.near_words or lk in lex.near_words:
                self.near.add(word)
            recs[word] = (*info, lk, ctx, form)


class _Words:
    """The words of a normalised text (``[^\\W_]+`` runs) with offsets computed only when asked for.

    Splitting on the complementary class with a capturing group partitions the text into alternating
    word and separator pieces, so an offset is a sum of piece lengths, kept as a running sum because
    offsets are mostly asked for in text order.
    """

    __slots__ = ("parts", "lead", "words", "_part", "_pos")

    def __init__(self, text: str, parts: list[str] | None = None) -> None:
        if parts is None:
            parts = _SEPARATORS.split(text)
        self.parts = parts
        self.lead = 0 if parts[0] else 2  # index in ``parts`` of the first word
        words = parts[self.lead :: 2]
        if words and not words[-1]:
            words.pop()
        self.words = words
        self._part = 0  # the running sum: piece ``_part`` starts at offset ``_pos``
        self._pos = 0

    def _offset(self, part: int) -> int:
        if part < self._part:
            self._part = self._pos = 0
        self._pos += sum(map(len, self.parts[self._part : part]))
        self._part = part
        return self._pos

    def start(self, i: int) -> int:
        return self._offset(self.lead + 2 * i)

    def end(self, i: int) -> int:
        return self._offset(self.lead + 2 * i + 1)

    def gap(self, i: int) -> int:
        """Characters between word ``i`` and word ``i + 1``."""
        return len(self.parts[self.lead + 2 * i + 1])


def find_drugs(original: str, norm: Normalized, lex: DrugLexicon, lang: str = "") -> list[dict[str, Any]]:
    """Drug mentions in ``original`` (matched on its normalised form ``norm``), in text order.

    Each mention: substance, class, nps, form, text, start, end (offsets into ``original``).
    """
    text = norm.text
    toks = _Words(text, norm.parts)  # the normaliser's split of the same text when it made one
    words = toks.words
    entries = lex.entries
    hits: list[_Hit] = []

    memo = lex.memos.get(lang)
    if memo is None:
        memo = lex.memos[lang] = _LangMemo()
    recs = memo.recs
    new = set(filterfalse(recs.__contains__, words))
    if new:
        if len(recs) + len(new) > _MAX_RECS:  # full: start afresh (bounded memory)
            memo = lex.memos[lang] = _LangMemo()
            recs = memo.recs
            new = set(words)
        memo.add(new, lang, lex)
    get = recs.__getitem__  # every word of this post has a record now

    n = len(words)
    resume = 0
    if not memo.starters.isdisjoint(words):
        key_prefixes = lex.key_prefixes
        parts, lead = toks.parts, toks.lead
        part = pos = 0  # running offset: piece ``part`` of the split starts at ``pos`` (hits come in order)
        for i in compress(range(n), map(memo.starters.__contains__, words)):
            if i < resume:
                continue  # inside the previous mention
            word = words[i]
            single, is_first, glued, lk, _, _ = get(word)
            found: tuple[dict[str, Any], int] | None = None
            if is_first:
                # Longest n-gram first; words must be close (at most two separator characters apart).
                # The window stops growing once neither its surface nor its lemma join begins any key:
                # a longer window could not be a key either.
                j = i
                s_join, l_join = word, lk
                joins = []
                while j + 1 < n and j + 1 - i < _MAX_NGRAM and toks.gap(j) <= 2:
                    s_join += words[j + 1]
                    l_join += get(words[j + 1])[3]
                    if s_join not in key_prefixes and l_join not in key_prefixes:
                        break
                    j += 1
                    joins.append((s_join, l_join, j))
                for s_join, l_join, last in reversed(joins):
                    cand_entry = entries.get(s_join) or entries.get(l_join)
                    if cand_entry is not None:
                        found = (cand_entry, last)
                        break
            if found is None and single is not None:
                found = (single, i)
            if found is None and glued is not None:
                # A substance name glued to a vendor or brand word ("asaprockymdma").
                entry, g_start, g_end = glued
                pos += sum(map(len, parts[part : lead + 2 * i]))
                part = lead + 2 * i
                hits.append(_Hit(entry, entry["key"], i, i, pos + g_start, pos + g_end, entry.get("form")))
            if found is not None:
                entry, last = found
                pos += sum(map(len, parts[part : lead + 2 * i]))
                start = pos
                part = lead + 2 * last + 1
                pos += sum(map(len, parts[lead + 2 * i : part]))
                hits.append(_Hit(entry, entry["key"], i, last, start, pos, entry.get("form")))
                resume = last + 1
                if len(hits) >= MAX_MENTIONS:
                    break
            else:
                resume = i + 1

    emoji_hits: list[tuple[int, int, str, str]] = []
    has_context = False
    # `ch in text` per sign character is far cheaper than a regex scan (and instant for signs outside the
    # text's code point range); the regex runs only when some sign can match.
    if lex.emoji_re is not None and not original.isascii() and any(map(original.__contains__, lex.emoji_firsts)):
        for m in lex.emoji_re.finditer(original):
            substance, form = lex.emoji[m.group()]
            emoji_hits.append((m.start(), m.end(), substance, form))
            if len(emoji_hits) >= _MAX_EMOJI:
                break

    def has_context_word() -> bool:
        return not memo.context.isdisjoint(words)

    if emoji_hits:
        has_context = bool(hits) or has_context_word() or _CONTEXT_RE.search(text) is not None
    if hits:
        near = memo.near
        near_pos = list(compress(range(n), map(near.__contains__, words))) if not near.isdisjoint(words) else []
        hits = _apply_context(hits, words, text, lex, get, has_context and bool(emoji_hits), has_context_word,
                              near_pos)
        hits = _prefer_specific(hits, text, lex)
        hits = _merge_form_words(hits, lex)
        if not memo.formy.isdisjoint(words):
            _attach_forms(hits, words, get)

    out: list[dict[str, Any]] = []
    span = norm.span if norm.index is not None else None  # no offset map: offsets are the same
    for hit in hits:
        o_start, o_end = span(hit.start, hit.end) if span is not None else (hit.start, hit.end)
        e = hit.entry
        out.append({"substance": e["substance"], "class": e["class"], "nps": bool(e["nps"]), "form": hit.form,
                    "text": original[o_start:o_end], "start": o_start, "end": o_end})
    if emoji_hits and has_context:
        out.extend(_emoji_mentions(emoji_hits, out, lex, original))
        out.sort(key=lambda d: d["start"])
    if not out and lex.dose_fallback:
        out = _fallback(original, norm, text, toks, lex)
    return out


def _fallback(original: str, norm: Normalized, text: str, toks: _Words,
              lex: DrugLexicon) -> list[dict[str, Any]]:
    """A title that names no drug but whose units say which one: a microgram dose is blotter LSD, a
    quarter pound is cannabis, an edible dosed in mg is a THC edible."""
    found: tuple[str, str, int, int] | None = None
    dose = _UG_DOSE.search(text) if any(w in text for w in _UG_WORDS) else None
    if dose is not None:
        found = ("lsd", "blotter", dose.start(), dose.end())
    else:
        # Substring checks first: most texts have none of these words, and a literal scan is cheap.
        qp = _QP.search(text) if any(w in text for w in _QP_WORDS) else None
        if qp is not None:
            found = ("cannabis", "buds", qp.start(), qp.end())
        elif lex.edible_words and "mg" in text and _MG_DOSE.search(text) is not None:
            edible = next(compress(range(len(toks.words)), map(lex.edible_words.__contains__, toks.words)), None)
            if edible is not None:
                found = ("cannabis", "edible", toks.start(edible), toks.end(edible))
    entry = lex.entries.get(found[0]) if found is not None else None
    if found is None or entry is None:
        return []
    o_start, o_end = norm.span(found[2], found[3])
    return [{"substance": entry["substance"], "class": entry["class"], "nps": bool(entry["nps"]),
             "form": found[1], "text": original[o_start:o_end], "start": o_start, "end": o_end}]


def _apply_context(hits: list[_Hit], words: list[str], text: str, lex: DrugLexicon, get: Any,
                   has_emoji: bool, has_context_word: Any, near_pos: list[int]) -> list[_Hit]:
    """Drop ambiguous mentions of a post without context, and those next to one of their neighbour words.

    ``get`` maps a word to its record; ``near_pos``: the indices of the words that are (by surface or lemma
    key) a neighbour word of some entry, in order: no other word can be one of a hit's neighbours.
    """
    ambiguous_keys = lex.ambiguous_keys
    keys = [h.key for h in hits]
    if ambiguous_keys.isdisjoint(keys):
        return hits
    if lex.press_keys.isdisjoint(keys):  # no press name, so no hit is marked pill_press
        ambiguous = list(map(ambiguous_keys.__contains__, keys))
    else:
        hits = _pill_presses(hits, words, lex, get)
        ambiguous = [not h.pill_press and h.key in ambiguous_keys for h in hits]
    # Pure tests, cheapest first: a firm mention; two different ambiguous words naming the same substance
    # ("moroccan hash") vouch for each other; a word of the post that is (or whose lemma is) a context
    # word (one set operation); the context regex (a scan of the whole text).
    if has_emoji or not all(ambiguous):
        context = True
    else:
        substances = [h.entry["substance"] for h in hits]
        context = (len(set(substances)) < len(substances) or has_context_word()
                   or _CONTEXT_RE.search(text) is not None)
    if not context:
        return [h for h, amb in zip(hits, ambiguous, strict=True) if not amb]
    if not near_pos:
        return hits
    kept = []
    bisect_left = bisect.bisect_left
    for h, amb in zip(hits, ambiguous, strict=True):
        if amb:
            neighbours = lex.ambiguous.get(h.key)
            if neighbours:
                first, last = h.first, h.last
                # near_pos entries within _WINDOW words before or after the hit
                lo = bisect_left(near_pos, first - _WINDOW)
                hi = bisect_left(near_pos, last + _WINDOW + 1, lo)
                if lo < hi and any((k < first or k > last)
                                   and (words[k] in neighbours or get(words[k])[3] in neighbours)
                                   for k in near_pos[lo:hi]):
                    continue
        kept.append(h)
    return kept


def _near(wanted: frozenset[str], words: list[str], get: Any, lo: int, first: int, after: int, hi: int) -> bool:
    """True when a word in ``[lo, first)`` or ``[after, hi)`` is in ``wanted`` by surface or lemma key."""
    return not (wanted.isdisjoint(words[lo:first]) and wanted.isdisjoint(words[after:hi])
                and wanted.isdisjoint(map(_LK, map(get, words[lo:first])))
                and wanted.isdisjoint(map(_LK, map(get, words[after:hi]))))


def _pill_presses(hits: list[_Hit], words: list[str], lex: DrugLexicon, get: Any) -> list[_Hit]:
    """An ecstasy press name ("Ferrari", "Tesla") counts only with a pill word within four words and
    none of its negative neighbours; it is then firm (marked ``pill_press``)."""
    out = []
    for h in hits:
        if h.entry.get("needs") != "pills":
            out.append(h)
            continue
        lo, hi = max(0, h.first - _FORM_WINDOW), min(len(words), h.last + _FORM_WINDOW + 1)
        neighbours = lex.ambiguous.get(h.entry["key"], frozenset())
        if _near(neighbours, words, get, lo, h.first, h.last + 1, hi):
            continue
        if _near(lex.pill_words, words, get, lo, h.first, h.last + 1, hi):
            h.pill_press = True
            out.append(h)
    return out


def _prefer_specific(hits: list[_Hit], text: str, lex: DrugLexicon) -> list[_Hit]:
    """Imported English street slang counts only when nothing else names a drug; an ambiguous
    Latin-script word ("flower", "ice") yields to an unambiguous mention on the same line."""
    if len(hits) < 2 or lex.preferable_keys.isdisjoint([h.key for h in hits]):
        return hits  # no hit that any rule below could drop
    if any(h.entry.get("source") != "dope" for h in hits):
        hits = [h for h in hits if h.entry.get("source") != "dope"]
    # Hand-made entries outrank short imported aliases ("dust", "syrup") on the same line.
    newlines = [m.start() for m in _NEWLINE.finditer(text)] if "\n" in text else []
    own_lines = {bisect.bisect_left(newlines, h.start) for h in hits if h.entry.get("source") in _HAND_MADE}
    if own_lines:
        hits = [h for h in hits if not (h.entry.get("source") == "tripsit" and h.entry.get("ambiguous")
                                        and bisect.bisect_left(newlines, h.start) in own_lines)]
    ambiguous_keys = lex.ambiguous_keys

    def ambiguous(h: _Hit) -> bool:
        return h.entry["key"] in ambiguous_keys

    def line(pos: int) -> int:
        return bisect.bisect_left(newlines, pos)

    firm_lines = {line(h.start) for h in hits if not ambiguous(h)}
    if not firm_lines:
        return hits
    return [h for h in hits if not (ambiguous(h) and h.entry["key"].isascii() and h.entry.get("source") in _IMPORTED
                                    and line(h.start) in firm_lines)]


def _merge_form_words(hits: list[_Hit], lex: DrugLexicon) -> list[_Hit]:
    """A form word that is also slang ("кристаллы", "shards", "blotter") right next to a mention of
    another substance describes that substance ("меф кристаллы" is mephedrone crystals)."""
    forms = lex.forms
    keys = [h.key for h in hits]
    if len(hits) < 2 or forms.keys().isdisjoint(keys):
        return hits
    ambiguous_keys = lex.ambiguous_keys
    dropped: set[int] = set()
    top = len(hits) - 1
    for idx in compress(range(len(hits)), map(forms.__contains__, keys)):
        h = hits[idx]
        form = forms[h.key]
        h_ambiguous = not h.pill_press and h.key in ambiguous_keys  # a firm word ("buds") is not absorbed
        substance = h.entry["substance"]  # by an ambiguous one ("brown")
        for g in (hits[idx - 1] if idx > 0 else None, hits[idx + 1] if idx < top else None):
            if (g is not None and g.entry["substance"] != substance
                    and (h_ambiguous or g.pill_press or g.key not in ambiguous_keys)
                    and g.key not in forms and (abs(g.first - h.last) <= 2 or abs(h.first - g.last) <= 2)):
                if not g.form:
                    g.form = form
                dropped.add(idx)
                break
    if not dropped:
        return hits
    return [h for idx, h in enumerate(hits) if idx not in dropped]


def _attach_forms(hits: list[_Hit], words: list[str], get: Any) -> None:
    """A mention without a form takes the form word nearest to it (within four words, first one on a tie).

    ``get(word)[5]``: the form a word names by surface or lemma key (None when none).
    """
    n = len(words)
    for h in hits:
        if h.form:
            continue
        lo, hi = max(0, h.first - _FORM_WINDOW), min(n, h.last + _FORM_WINDOW + 1)
        best: tuple[int, str] | None = None
        for k in range(lo, hi):
            if h.first <= k <= h.last:
                continue
            form = get(words[k])[5]
            if form and (best is None or abs(k - h.first) < best[0]):
                best = (abs(k - h.first), form)
        if best is not None:
            h.form = best[1]


def _emoji_mentions(emoji_hits: list[tuple[int, int, str, str]], mentions: list[dict[str, Any]],
                    lex: DrugLexicon, original: str) -> list[dict[str, Any]]:
    extra: list[dict[str, Any]] = []
    starts = [m["start"] for m in mentions]
    for start, end, substance, form in emoji_hits:
        if substance:
            entry = lex.entries.get(key(substance))
            if entry is None:
                continue
            k = bisect.bisect_left(starts, start)
            if any(0 <= j < len(mentions) and abs(mentions[j]["start"] - start) <= _EMOJI_DECORATION
                   and "\n" not in original[min(start, mentions[j]["start"]):max(start, mentions[j]["start"])]
                   for j in (k - 1, k)):
                continue  # "❄️ Меф 1г": the emoji decorates a named drug
            extra.append({"substance": entry["substance"], "class": entry["class"], "nps": bool(entry["nps"]),
                          "form": form or None, "text": original[start:end], "start": start, "end": end})
        elif form and mentions:
            # A form-only sign (💊, 💎): the nearest word mention on the same line takes the form.
            line_start = original.rfind("\n", 0, start) + 1
            line_end = original.find("\n", end)
            line_end = len(original) if line_end < 0 else line_end
            k = bisect.bisect_left(starts, start)
            near = [mentions[j] for j in (k - 1, k) if 0 <= j < len(mentions)
                    and line_start <= mentions[j]["start"] < line_end and not mentions[j]["form"]]
            if near:
                nearest = min(near, key=lambda m: abs(m["start"] - start))
                nearest["form"] = form
    return extra
