"""Post category (sale, recruitment, precursor, propaganda, laundering, other) with reasons.

A weighted keyword classifier: the rules live in ``nlp/data/category_rules.toml`` (keywords as
lemmas, slang prefixes, bounded regexes, weights, thresholds and required evidence per class); the
other detectors' output (drugs, offers, contacts, precursors) and ``nlp.places.find_delivery`` add
signal weights. Negative evidence (news about a bust, harm-reduction advice, a legal pharmacy)
lowers every class, so such posts fall to "other". Pure Python, no spaCy; rules load once.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from operator import itemgetter
from pathlib import Path
from typing import Any

from nlp.lemmas import lemma
from nlp.places import find_delivery

__all__ = ["CATEGORIES", "classify"]

CATEGORIES = ("sale", "recruitment", "precursor", "propaganda", "laundering", "other")
_RULES_PATH = Path(__file__).resolve().parent / "data" / "category_rules.toml"
_TOKEN_RE = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_CYR_RE = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
_MAX_REASONS_PER_RULE = 3
_SHOP_CONTACTS = frozenset(
    {"telegram", "onion", "url", "email", "phone", "jabber", "session", "wickr", "threema", "signal", "whatsapp",
     "pgp"}
)
_PAYMENTS = frozenset({"btc", "ltc", "eth", "trx", "xmr", "card", "qiwi", "yoomoney"})


@dataclass
class _Rule:
    cls: str
    tag: str
    weight: float
    cap: float
    label: str
    regex: re.Pattern[str] | None = None
    gate: tuple[str, ...] | None = None  # the regex can only match where one of these literals occurs
    # the regex split into its top-level alternatives, each with its own gate (None: always run it) and
    # where its matches can start: "literal" (at one of its gate literals), "digits" (at a run of digits)
    # or "" (anywhere); it is tried only there
    parts: list[tuple[re.Pattern[str], tuple[str, ...] | None, str]] = field(default_factory=list)


def _split_top(pattern: str) -> list[str]:
    """Top-level alternatives of a regex (``a|(?:b|c)d`` -> ``["a", "(?:b|c)d"]``)."""
    parts, depth, cls, start, i = [], 0, False, 0, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if cls:
            cls = ch != "]"
        elif ch == "[":
            cls = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
        i += 1
    parts.append(pattern[start:])
    return parts


def _group_end(pattern: str, open_at: int) -> int:
    depth, i, cls = 0, open_at, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if cls:
            cls = ch != "]"
        elif ch == "[":
            cls = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    return -1


def _leading_literals(alt: str) -> list[str] | None:
    """Literal strings one of which must start any match of ``alt``; None when unknown."""
    while alt.startswith(("(?<!", "(?<=")):  # lookbehinds consume nothing
        end = _group_end(alt, 0)
        if end < 0:
            return None
        alt = alt[end + 1 :]
    if alt.startswith("(?:"):
        end = _group_end(alt, 0)
        if end < 0 or (end + 1 < len(alt) and alt[end + 1] in "?*{"):
            return None
        out: list[str] = []
        for sub in _split_top(alt[3:end]):
            lits = _leading_literals(sub)
            if not lits:
                return None
            out.extend(lits)
        return out
    lit: list[str] = []
    i = 0
    while i < len(alt):
        ch = alt[i]
        if ch == "\\" and i + 1 < len(alt) and alt[i + 1] in "$.-/+%#":
            ch, i = alt[i + 1], i + 1  # an escaped punctuation mark is a literal character
        elif ch in "\\[](){}?*+|.^$":
            if ch in "?*{" and lit:
                lit.pop()  # the previous char is optional or repeated
            break
        lit.append(ch)
        i += 1
    literal = "".join(lit)
    return [literal] if len(literal) >= 2 else None


def _gate(pattern: str) -> tuple[str, ...] | None:
    out: list[str] = []
    for alt in _split_top(pattern):
        lits = _leading_literals(alt)
        if not lits:
            return None
        out.extend(lits)
    return tuple(dict.fromkeys(out))


# Rule regexes that start with a digit not preceded by a digit (their look-behind says so) can only match
# where a run of digits starts.
_DIGIT_LED = (r"\d(?<![\w.]\d)", r"\d(?<!\d\d)")
_DIGIT_RUN_RE = re.compile(r"\d+")
_first, _second = itemgetter(0), itemgetter(1)


@dataclass
class _Model:
    rules: list[_Rule]
    single: dict[str, list[int]]  # lemma or lower-case word -> rule indexes
    phrases: dict[str, list[tuple[tuple[str, ...], int]]]  # first lemma -> (lemma phrase, rule index)
    prefix_res: list[tuple[re.Pattern[str], int, frozenset[str]]]  # (regex, rule index, its prefixes)
    thresholds: dict[str, float]
    require: dict[str, list[list[str]]]
    priority: list[str]
    signals: dict[str, dict[str, float]]
    literals: tuple[str, ...] = ()  # every gate literal and slang prefix: tested once per post


@lru_cache(maxsize=100_000)
def _lem(word: str) -> str:
    low = word.lower().replace("ё", "е")
    return lemma(low, "ru") if len(low) <= 40 and _CYR_RE.search(low) else low


@lru_cache(maxsize=1)
def _model() -> _Model:
    with _RULES_PATH.open("rb") as fh:
        data = tomllib.load(fh)
    model = _Model([], {}, {}, [], {}, {}, list(data.get("priority", [])), dict(data.get("signals", {})))
    for name, spec in data.get("classes", {}).items():
        model.thresholds[name] = float(spec["threshold"])
        model.require[name] = [list(alt) for alt in spec.get("require", [])]
    for spec in data.get("rules", []):
        weight = float(spec["weight"])
        rule = _Rule(spec["class"], spec.get("tag", ""), weight, float(spec.get("cap", weight)), spec["label"])
        if "regex" in spec:
            # Patterns are lower-case and run on lower-cased text: without IGNORECASE, re can use its
            # fast literal-prefix search.
            if spec["regex"] != spec["regex"].lower() and re.sub(r"\\.", "", spec["regex"]) != re.sub(
                r"\\.", "", spec["regex"]
            ).lower():
                raise ValueError(f"category rule {spec['label']!r}: regex must be lower-case")
            spec["regex"] = spec["regex"].replace("ё", "е")  # the text is folded the same way
            rule.regex = re.compile(spec["regex"])
            gate = spec.get("gate")
            rule.gate = tuple(g.lower() for g in gate) if gate else _gate(spec["regex"].lower())
            if gate:
                rule.parts = [(rule.regex, rule.gate, "")]  # a hand-written gate may occur anywhere
            else:  # one pass per alternative, run only where its leading literal occurs
                for alt in _split_top(spec["regex"]):
                    lead = _leading_literals(alt.lower())
                    starts = "literal" if lead else "digits" if alt.startswith(_DIGIT_LED) else ""
                    rule.parts.append((re.compile(alt), tuple(lead) if lead else None, starts))
        idx = len(model.rules)
        model.rules.append(rule)
        for term in spec.get("lemmas", []):
            words = _TOKEN_RE.findall(term)
            if len(words) == 1:
                for key in {words[0].lower().replace("ё", "е"), _lem(words[0])}:
                    model.single.setdefault(key, []).append(idx)
            elif words:
                for phrase in {tuple(w.lower().replace("ё", "е") for w in words), tuple(_lem(w) for w in words)}:
                    model.phrases.setdefault(phrase[0], []).append((phrase, idx))
        prefixes = spec.get("prefixes", [])
        if prefixes:
            alt = "|".join(re.escape(p.lower().replace("ё", "е")) for p in sorted(prefixes, key=len, reverse=True))
            lits = frozenset(p.lower().replace("ё", "е") for p in prefixes)
            model.prefix_res.append((re.compile(rf"(?<![^\W_])(?:{alt})[^\W_]*"), idx, lits))
    literals: set[str] = set()
    for rule in model.rules:
        literals.update(rule.gate or ())
        for _, gate, _ in rule.parts:
            literals.update(gate or ())
    for _, _, lits in model.prefix_res:
        literals.update(lits)
    model.literals = tuple(sorted(literals))
    return model


@dataclass
class _Evidence:
    scores: dict[str, float] = field(default_factory=dict)
    reasons: dict[str, list[str]] = field(default_factory=dict)
    tags: set[str] = field(default_factory=set)
    negatives: list[str] = field(default_factory=list)

    def add(self, cls: str, weight: float, reason: str) -> None:
        self.scores[cls] = self.scores.get(cls, 0.0) + weight
        self.reasons.setdefault(cls, []).append(reason)


_WordInfo = tuple[str, str, bool, tuple[int, ...], tuple[tuple[tuple[str, ...], int], ...]]


@lru_cache(maxsize=200_000)
def _word_info(word: str) -> _WordInfo:
    """``(lower-case, lemma, keyed, rules, phrases)`` of one word.

    ``keyed``: either form is a rule term or starts a rule phrase; ``rules``: the one-word rules it
    matches; ``phrases``: the ``(phrase, rule)`` pairs it can start (both in the order the scan visits them).
    """
    model = _model()
    low = word.lower().replace("ё", "е")
    lem = _lem(word)
    single = model.single
    keyed = low in single or lem in single or low in model.phrases or lem in model.phrases
    rules = tuple({*single.get(low, ()), *single.get(lem, ())})
    phrases = tuple(pair for first in {low, lem} for pair in model.phrases.get(first, ()))
    return low, lem, keyed, rules, phrases


def _starting_at(pattern: re.Pattern[str], text: str, lits: Iterable[str]) -> Iterator[re.Match[str]]:
    """The matches ``pattern.finditer(text)`` gives when every match starts with one of ``lits``.

    Only the places where a literal occurs are tried (``str.find`` instead of a regex attempt at every
    character); ``match(text, pos)`` still sees the text before ``pos``, so look-behinds behave the same.
    """
    starts: set[int] = set()
    for lit in lits:
        pos = text.find(lit)
        while pos >= 0:
            starts.add(pos)
            pos = text.find(lit, pos + 1)
    return _matches_at(pattern, text, sorted(starts))


def _matches_at(pattern: re.Pattern[str], text: str, starts: list[int]) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` when ``starts`` (ascending) holds every place a match can start."""
    end = 0
    for pos in starts:
        if pos < end:
            continue
        m = pattern.match(text, pos)
        if m is not None:
            yield m
            end = m.end()


def _rule_hits(text: str, model: _Model) -> dict[int, list[str]]:
    """Rule index -> distinct matched terms (surface forms), in text order."""
    hits: dict[int, list[str]] = {}

    def note(idx: int, term: str) -> None:
        terms = hits.setdefault(idx, [])
        if term not in terms:
            terms.append(term)

    infos = list(map(_word_info, _TOKEN_RE.findall(text)))
    lows = list(map(_first, infos))
    lems = list(map(_second, infos))
    for i, (low, _, keyed, rules, phrases) in enumerate(infos):
        if not keyed:
            continue
        for idx in rules:
            note(idx, low)
        for phrase, idx in phrases:
            n = len(phrase)
            if tuple(lows[i : i + n]) == phrase or tuple(lems[i : i + n]) == phrase:
                note(idx, " ".join(lows[i : i + n]))
    lowered = text.lower().replace("ё", "е")
    # Which gate literals and slang prefixes occur at all: a regex runs only where one of its own does.
    present = {lit for lit in model.literals if lit in lowered}
    digit_starts: list[int] | None = None  # where a run of digits starts: computed when first needed
    for pattern, idx, lits in model.prefix_res:
        if present.isdisjoint(lits):
            continue
        for m in _starting_at(pattern, lowered, present.intersection(lits)):
            note(idx, m.group())
    for idx, rule in enumerate(model.rules):
        if rule.gate is not None and present.isdisjoint(rule.gate):
            continue  # a cheap substring test spares a regex pass over the whole post
        for pattern, gate, starts in rule.parts:
            if gate is not None and present.isdisjoint(gate):
                continue
            if starts == "literal" and gate:
                found: Iterable[re.Match[str]] = _starting_at(pattern, lowered, present.intersection(gate))
            elif starts == "digits":
                if digit_starts is None:
                    digit_starts = [m.start() for m in _DIGIT_RUN_RE.finditer(lowered)]
                found = _matches_at(pattern, lowered, digit_starts)
            else:
                found = pattern.finditer(lowered)
            for m in found:
                note(idx, " ".join(m.group().split()))
                if len(hits[idx]) >= _MAX_REASONS_PER_RULE:
                    break
            if len(hits.get(idx, ())) >= _MAX_REASONS_PER_RULE:
                break
    return hits


def _signal(ev: _Evidence, model: _Model, name: str, reason: str, count: float = 1.0,
            cap_name: str | None = None) -> None:
    weights = model.signals.get(name, {})
    caps = model.signals.get(cap_name, {}) if cap_name else {}
    for cls, w in weights.items():
        value = w * count
        if cls in caps:
            value = min(value, caps[cls])
        if value:
            ev.add(cls, value, reason)


def _fmt_amount(amount: Any) -> str:
    try:
        return f"{float(amount):g}"
    except (TypeError, ValueError):
        return str(amount)


def _detector_signals(ev: _Evidence, model: _Model, text: str, drugs: list[dict], offers: list[dict],
                      contacts: list[dict], precursors: list[dict], delivery: list[str] | None = None) -> None:
    substances = list(dict.fromkeys(str(d.get("substance")) for d in drugs if d.get("substance")))
    if substances:
        ev.tags.add("drug")
        _signal(ev, model, "drug_first", f"drug mention: {substances[0]}")
        for cls, w in model.signals.get("drug_more", {}).items():
            extra = min(w * (len(substances) - 1), model.signals.get("drug_cap", {}).get(cls, 99.0)
                        - model.signals.get("drug_first", {}).get(cls, 0.0))
            if extra > 0:
                ev.add(cls, extra, "drug mention: " + ", ".join(substances[1:4]))
    priced = [o for o in offers if o.get("amount") is not None]
    if priced:
        ev.tags.add("price")
        o = priced[0]
        _signal(ev, model, "price", f"price: {_fmt_amount(o['amount'])} {o.get('currency') or ''}".rstrip())
    weighed = [o for o in offers if o.get("grams") is not None]
    if weighed:
        ev.tags.add("quantity")
        _signal(ev, model, "quantity", f"quantity: {_fmt_amount(weighed[0]['grams'])} g")
    shop = list(dict.fromkeys(str(c.get("type")) for c in contacts if c.get("type") in _SHOP_CONTACTS))
    if shop:
        ev.tags.add("contact")
        _signal(ev, model, "shop_contact", "shop contact: " + ", ".join(shop), len(shop), "shop_contact_cap")
    pay = list(dict.fromkeys(str(c.get("type")) for c in contacts if c.get("type") in _PAYMENTS))
    if pay:
        ev.tags.add("payment")
        _signal(ev, model, "payment", "payment: " + ", ".join(pay))
    if delivery is None:
        delivery = find_delivery(text)
    if "dead_drop" in delivery:
        ev.tags.add("dead_drop")
        subtypes = [d.split(":", 1)[1] for d in delivery if d.startswith("dead_drop:")]
        _signal(ev, model, "dead_drop", "dead drop delivery" + (f" ({', '.join(subtypes)})" if subtypes else ""))
    if "post" in delivery:
        ev.tags.add("post")
        _signal(ev, model, "post", "postal delivery")
    table_one = list(dict.fromkeys(p["name"] for p in precursors if p.get("table") == "I"))
    others = list(dict.fromkeys(p["name"] for p in precursors if p.get("table") != "I"))
    if table_one or others:
        ev.tags.add("precursor")
    if table_one:
        ev.tags.add("precursor_I")
        _signal(ev, model, "precursor_I", "precursor (Table I): " + ", ".join(table_one[:3]), len(table_one),
                "precursor_cap")
    if others:
        done = ev.scores.get("precursor", 0.0)
        cap = model.signals.get("precursor_cap", {}).get("precursor", 99.0)
        tables = {p["name"]: p.get("table") for p in precursors}
        value = sum(
            model.signals.get("precursor_II" if tables.get(name) == "II" else "precursor_watch", {}).get("precursor", 0.0)
            for name in others
        )
        value = min(value, max(cap - done, 0.0))
        if value:
            ev.add("precursor", value, "precursor chemical: " + ", ".join(others[:3]))


def classify(text: str, lang: str, drugs: list[dict], offers: list[dict], contacts: list[dict],
             precursors: list[dict], delivery: list[str] | None = None) -> tuple[str, list[str]]:
    """``(category, reasons)`` for one post.

    ``category`` is one of :data:`CATEGORIES`; ``reasons`` are human-readable strings naming the
    evidence for the winning class (``"drug mention: mephedrone"``, ``"price: 2500 RUB"``,
    ``"shop contact: telegram"``, ``"drug-trade job: кладмен"``); for "other" they name the negative
    evidence or say that no class had enough. ``drugs``/``offers``/``contacts``/``precursors`` are
    the other detectors' lists in the ``narcowatch extract`` format (extra keys ignored); ``delivery``
    is :func:`nlp.places.find_delivery` of ``text`` when the caller already has it (None: computed here).
    """
    del lang
    model = _model()
    ev = _Evidence()
    _detector_signals(ev, model, text, drugs or [], offers or [], contacts or [], precursors or [], delivery)
    penalties = 0.0
    for idx, terms in _rule_hits(text, model).items():
        rule = model.rules[idx]
        total = rule.weight * len(terms)
        total = max(total, rule.cap) if rule.weight < 0 else min(total, rule.cap)
        reason = f"{rule.label}: {', '.join(terms[:_MAX_REASONS_PER_RULE])}"
        if rule.cls == "*":
            penalties += total
            ev.negatives.append(reason)
            continue
        if rule.tag:
            ev.tags.add(rule.tag)
        ev.add(rule.cls, total, reason)
    candidates: list[tuple[float, int, str]] = []
    for cls, threshold in model.thresholds.items():
        score = ev.scores.get(cls, 0.0) + penalties
        if score < threshold:
            continue
        if not any(all(tag in ev.tags for tag in alt) for alt in model.require.get(cls, [[]])):
            continue
        rank = model.priority.index(cls) if cls in model.priority else len(model.priority)
        candidates.append((score, -rank, cls))
    if not candidates:
        if ev.negatives:
            return "other", ev.negatives
        return "other", ["no category reached its threshold"]
    _, _, best = max(candidates)
    return best, ev.reasons.get(best, []) + ev.negatives
