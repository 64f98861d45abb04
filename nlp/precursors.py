"""Drug precursor chemicals in post text: names and synonyms (English and Russian) and CAS numbers.

Pure Python (no spaCy), data loaded once from ``nlp/data/precursors.tsv``. Names are matched as
sequences of word lemmas joined without separators, so "P-2-P", "P2P" and "P 2 P", or
"1-фенил-2-нитропропена" and "1-фенил-2-нитропропен", give the same key; a suffix-stripped stem
key catches inflections pymorphy does not know ("сафролом"). Bare CAS numbers count only when their
check digit is valid and the number is in the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from itertools import compress, filterfalse
from pathlib import Path

from nlp.lemmas import lemma
from nlp.normalize import Normalized
from nlp.tsv import read_tsv

__all__ = ["find_precursors", "valid_cas", "precursor_table"]

_DATA = Path(__file__).resolve().parent / "data" / "precursors.tsv"
_TOKEN_RE = re.compile(r"[^\W_]+")
# The complement of _TOKEN_RE, captured: split() alternates token, gap, token, ... (first/last token may be "").
_SPLIT_RE = re.compile(r"([\W_][\W_]*)")  # led by a plain class: re skips to the separators
_CYR_RE = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
_UK_RE = re.compile(r"[іїєґ]", re.IGNORECASE)
# Separators allowed inside one chemical name: "3,4-MDP-2-P", "4'-methyl", "N-(piperidin-4-yl)".
_GAP_RE = re.compile(r"[\s\-–,.'’()]{0,4}")
# (?<![\d-])(\d{2,7})-... written with the look-behind after the first digit (same matches): a pattern that
# starts with a digit lets re skip straight to the digits of the text instead of trying every position.
_CAS_RE = re.compile(r"(\d(?<![\d-]\d)\d{1,6})-(\d{2})-(\d)(?![\d-])")
_CAS_FULL_RE = re.compile(r"\d{2,7}-\d{2}-\d")
# The middle of every _CAS_RE match; led by a literal, so searching for it skips through the text quickly.
_CAS_GATE_RE = re.compile(r"-\d{2}-")
_MAX_TOKENS = 10
_CAS_NEAR = 16  # characters between a name and "(CAS ...)" that still bind them
_ENDINGS = tuple(
    sorted(
        "ами ями ому ему ого его ой ей ом ем ою ею ью ам ям ах ях ов ев ий ый ая ое ие ые а я о е и ы у ю ь й"
        .split(),
        key=len,
        reverse=True,
    )
)


def valid_cas(cas: str) -> bool:
    """True when ``cas`` looks like a CAS Registry Number and its check digit is right.

    The check digit is the sum of the other digits, each multiplied by its position counted from the
    right (1, 2, 3 ...), modulo 10: 7732-18-5 → (8·1 + 1·2 + 2·3 + 3·4 + 7·5 + 7·6) mod 10 = 5.
    """
    cas = cas.strip()
    if not _CAS_FULL_RE.fullmatch(cas):
        return False
    digits = cas.replace("-", "")
    body, check = digits[:-1], int(digits[-1])
    return sum(i * int(d) for i, d in enumerate(reversed(body), start=1)) % 10 == check


@dataclass(frozen=True)
class Precursor:
    """One row of the precursor table."""

    name: str
    cas: str | None
    table: str  # I | II | watch
    note: str
    not_near: tuple[str, ...] = ()  # lower-case words that make a hit another thing ("NPP" near "testosterone")


@dataclass
class _Index:
    by_key: dict[str, Precursor]
    by_stem: dict[str, Precursor]
    exact: dict[tuple[str, ...], Precursor]
    by_cas: dict[str, Precursor]
    first: frozenset[str]  # every token form that can start a name (lemma, lower or stem)
    prefixes: frozenset[str] = frozenset()  # every prefix of every joined key
    exact_prefixes: frozenset[tuple[str, ...]] = frozenset()
    exact_low_firsts: frozenset[str] = frozenset()  # first tokens of the exact (case-kept) names, lower-cased


@lru_cache(maxsize=200_000)
def _lemma(word: str) -> str:
    if len(word) > 40 or not _CYR_RE.search(word):  # junk/hostile "words" are never lemmatised
        return word.lower()
    return lemma(word, "uk" if _UK_RE.search(word) else "ru")


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    low = word.lower().replace("ё", "е")
    if not _CYR_RE.search(low):
        return low
    for ending in _ENDINGS:
        if low.endswith(ending) and len(low) - len(ending) >= 3:
            return low[: -len(ending)]
    return low


@lru_cache(maxsize=1)
def _index() -> _Index:
    idx = _Index({}, {}, {}, {}, frozenset())
    first: set[str] = set()
    for row in read_tsv(_DATA, header=True):
        cols = row + [""] * 6
        name, cas, table, names, note, not_near = cols[:6]
        entry = Precursor(name, cas or None, table, note, tuple(w for w in not_near.lower().split("|") if w))
        if cas:
            idx.by_cas[cas] = entry
        synonyms = [n.strip() for n in names.split("|")]
        exact_low = {n[1:].lower() for n in synonyms if n.startswith("=")}
        # The canonical name of an abbreviation-only row ("npp") must not match lower-case text.
        for raw in ([] if name.lower() in exact_low else [name]) + synonyms:
            if not raw:
                continue
            if raw.startswith("="):
                toks = tuple(_TOKEN_RE.findall(raw[1:]))
                idx.exact.setdefault(toks, entry)
                first.add(toks[0].lower())
                continue
            toks = tuple(_TOKEN_RE.findall(raw))
            if not toks:
                continue
            idx.by_key.setdefault("".join(t.lower().replace("ё", "е") for t in toks), entry)
            idx.by_key.setdefault("".join(_lemma(t) for t in toks), entry)
            stem = "".join(_stem(t) for t in toks)
            if len(stem) >= 5:
                idx.by_stem.setdefault(stem, entry)
            first.update({toks[0].lower().replace("ё", "е"), _lemma(toks[0]), _stem(toks[0])})
    idx.first = frozenset(first)
    idx.prefixes = frozenset(key[:k] for table in (idx.by_key, idx.by_stem) for key in table
                             for k in range(1, len(key) + 1))
    idx.exact_prefixes = frozenset(key[:k] for key in idx.exact for k in range(1, len(key) + 1))
    idx.exact_low_firsts = frozenset(key[0].lower() for key in idx.exact)
    return idx


def precursor_table() -> list[Precursor]:
    """Every precursor row (one per canonical name), for reports and tests."""
    seen: dict[str, Precursor] = {}
    idx = _index()
    for entry in [*idx.by_key.values(), *idx.exact.values()]:
        seen.setdefault(entry.name, entry)
    return list(seen.values())


_NOT_NEAR_WINDOW = 60


def _near_excluded(text: str, hit: dict, idx: _Index) -> bool:
    entry = next((e for e in idx.by_cas.values() if e.name == hit["name"]), None)
    if entry is None or not entry.not_near:
        return False
    window = text[max(0, hit["start"] - _NOT_NEAR_WINDOW) : hit["end"] + _NOT_NEAR_WINDOW].lower()
    return any(word in window for word in entry.not_near)


def _hit(entry: Precursor, start: int, end: int) -> dict:
    return {"name": entry.name, "cas": entry.cas, "table": entry.table, "start": start, "end": end}


@lru_cache(maxsize=200_000)
def _can_start(word: str) -> bool:
    """True when some precursor name can start with ``word`` (lower-case, stem or lemma form)."""
    first = _index().first
    return _low(word) in first or _stem(word) in first or _lemma(word) in first


@lru_cache(maxsize=200_000)
def _low(word: str) -> str:
    return word.lower().replace("ё", "е")


# Every word seen and the ones among them a name can start with (_can_start), so that a post finds its
# candidate words in C. Replaced, never cleared, when full: a post in another thread keeps its pair.
_MEMO: tuple[set[str], set[str]] = (set(), set())
_MAX_SEEN = 200_000


def _learn(words: list[str]) -> set[str]:
    """Record the words of ``words`` not seen yet; returns the starter set that now covers all of them."""
    global _MEMO
    seen, starters = _MEMO
    new = set(filterfalse(seen.__contains__, words))
    if new:
        if len(seen) + len(new) > _MAX_SEEN:
            seen, starters = _MEMO = (set(), set())
            new = set(words)
        starters.update(filter(_can_start, new))  # before ``seen``: a seen word's membership is settled
        seen.update(new)
    return starters


@lru_cache(maxsize=200_000)
def _forms(word: str) -> tuple[str, str, str]:
    """The three matching forms of a token: lower case, lemma, suffix-stripped stem."""
    return _low(word), _lemma(word), _stem(word)


def _name_hits(parts: list[str], lead: int, words: list[str], starters: set[str], idx: _Index) -> list[dict]:
    """Name hits: windows opened at the words some name can start with (in any form)."""
    cursor = [0, 0]  # running sum: parts[cursor[0]] starts at offset cursor[1] (hits come in text order)

    def start(k: int) -> int:
        part = lead + 2 * k
        if part < cursor[0]:
            cursor[0] = cursor[1] = 0
        cursor[1] += sum(map(len, parts[cursor[0] : part]))
        cursor[0] = part
        return cursor[1]

    hits: list[dict] = []
    resume = 0
    n_words = len(words)
    prefixes, exact_prefixes = idx.prefixes, idx.exact_prefixes
    for i in compress(range(n_words), map(starters.__contains__, words)):
        if i < resume:
            continue  # inside the previous hit
        if i > 0 and parts[lead + 2 * i - 1] in ("-", "‐"):
            continue  # inside a longer chemical name: "1-бензил-4-пиперидон" is not 4-piperidone
        # Walk right while the joined forms are still a prefix of some name (bounded by _MAX_TOKENS);
        # joined[n - 1]: the joined lower-case, lemma and stem forms of the first n words.
        joined: list[tuple[str, str, str]] = []
        low_acc = lem_acc = stem_acc = ""
        while len(joined) < _MAX_TOKENS and i + len(joined) < n_words:
            k = i + len(joined)
            if joined and not _GAP_RE.fullmatch(parts[lead + 2 * k - 1]):
                break
            low, lem, stem = _forms(words[k])
            low_acc, lem_acc, stem_acc = low_acc + low, lem_acc + lem, stem_acc + stem
            if not (
                low_acc in prefixes
                or lem_acc in prefixes
                or stem_acc in prefixes
                or tuple(words[i : k + 1]) in exact_prefixes
            ):
                break
            joined.append((low_acc, lem_acc, stem_acc))
        found: tuple[int, Precursor] | None = None
        for n in range(len(joined), 0, -1):
            low_acc, lem_acc, stem_acc = joined[n - 1]
            entry = (
                idx.exact.get(tuple(words[i : i + n]))
                or idx.by_key.get(low_acc)
                or idx.by_key.get(lem_acc)
                or idx.by_stem.get(stem_acc)
            )
            if entry is not None:
                found = (n, entry)
                break
        if found:
            n, entry = found
            last = i + n - 1
            hits.append(_hit(entry, start(i), start(last) + len(words[last])))
            resume = i + n
    return hits


def _words_of(parts: list[str]) -> tuple[list[str], int, list[str]]:
    """``(parts, lead, words)`` of a ``_SPLIT_RE`` split: token k is parts[lead + 2k] == words[k]."""
    lead = 0 if parts[0] else 2
    words = parts[lead::2]  # the same strings as _TOKEN_RE.findall of the split text
    if words and not words[-1]:
        words.pop()
    return parts, lead, words


def _tokens(text: str, norm: Normalized | None, idx: _Index) -> tuple[list[str], int, list[str]]:
    """The split of ``text`` into tokens and gaps: ``(parts, lead, words)``.

    A ``norm`` whose text is ``text.lower()`` lends its split (same tokens lower-cased, same offsets) unless
    a token could begin a case-kept name ("NPP"), which is matched on the original spelling.
    """
    if norm is not None and norm.lowered and norm.parts is not None:
        lent = _words_of(norm.parts)
        if idx.exact_low_firsts.isdisjoint(lent[2]):
            return lent
    return _words_of(_SPLIT_RE.split(text))


def find_precursors(text: str, norm: Normalized | None = None) -> list[dict]:
    """Precursor mentions in ``text`` in order: ``{"name", "cas", "table", "start", "end"}``.

    ``name`` is the canonical lower-case English name, ``table`` one of ``"I"``, ``"II"`` (UN 1988
    Convention) or ``"watch"`` (INCB special surveillance list and nationally controlled chemicals).
    ``norm``, the normaliser's form of ``text`` when at hand, saves splitting the text again.
    """
    idx = _index()
    parts, lead, words = _tokens(text, norm, idx)
    starters = _learn(words)
    hits: list[dict] = []
    if not starters.isdisjoint(words):
        hits = _name_hits(parts, lead, words, starters, idx)
    if _CAS_GATE_RE.search(text) is not None:
        for m in _CAS_RE.finditer(text):
            cas = m.group()
            entry = idx.by_cas.get(cas)
            if entry is not None and valid_cas(cas):
                hits.append(_hit(entry, m.start(), m.end()))
    if not hits:
        return hits
    hits = [h for h in hits if not _near_excluded(text, h, idx)]
    # "BMK glycidate (CAS 41232-97-7)": an explicit CAS right after a generic name is the more specific hit.
    cas_hits = [h for h in hits if text[h["start"] : h["end"]] == h["cas"]]
    hits = [
        h
        for h in hits
        if h in cas_hits
        or not any(0 <= c["start"] - h["end"] <= _CAS_NEAR and c["name"] != h["name"] for c in cas_hits)
    ]
    # A CAS number's digits can also start a name window ("4-ANPP"): drop name hits inside CAS hits.
    cas_spans = [(h["start"], h["end"]) for h in hits if text[h["start"] : h["end"]] == h["cas"]]
    hits = [
        h
        for h in hits
        if text[h["start"] : h["end"]] == h["cas"]
        or not any(s <= h["start"] and h["end"] <= e for s, e in cas_spans)
    ]
    hits.sort(key=lambda h: h["start"])
    return hits
