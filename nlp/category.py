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
from itertools import compress, count, repeat
from operator import contains, itemgetter, methodcaller
from pathlib import Path
from re import _compiler as _re_compiler  # type: ignore[attr-defined]
from re import _constants as _sre  # type: ignore[attr-defined]
from re import _parser as _sre_parse  # type: ignore[attr-defined]
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
_get_substance = methodcaller("get", "substance")
_NO_CAPS: dict[str, float] = {}  # never written


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


def _syntax(pattern: str) -> Iterator[tuple[int, str, int]]:
    """``(index, char, depth)`` of each regex character outside escapes and character classes; ``depth`` is
    the group nesting after the character (an opening parenthesis counts itself, a closing one does not)."""
    depth, cls, i = 0, False, 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if cls:
            cls = ch != "]"
        else:
            if ch == "[":
                cls = True
            elif ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            yield i, ch, depth
        i += 1


def _split_top(pattern: str) -> list[str]:
    """Top-level alternatives of a regex (``a|(?:b|c)d`` -> ``["a", "(?:b|c)d"]``)."""
    parts, start = [], 0
    for i, ch, depth in _syntax(pattern):
        if ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def _group_end(pattern: str) -> int:
    """Index of the parenthesis closing the group that opens ``pattern`` (-1: none)."""
    for i, ch, depth in _syntax(pattern):
        if ch == ")" and depth == 0:
            return i
    return -1


def _leading_literals(alt: str) -> list[str] | None:
    """Literal strings one of which must start any match of ``alt``; None when unknown."""
    while alt.startswith(("(?<!", "(?<=")):  # lookbehinds consume nothing
        end = _group_end(alt)
        if end < 0:
            return None
        alt = alt[end + 1 :]
    if alt.startswith("(?:"):
        end = _group_end(alt)
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
_first, _second, _third = itemgetter(0), itemgetter(1), itemgetter(2)
_group = methodcaller("group")
_MAX_WINDOW = 200  # a regex with longer matches is not run in windows
_MAX_CACHED_CHUNK = 64  # longer whitespace-separated chunks are not kept in the chunk cache
_CHUNK_CACHE_SIZE = 100_000  # the chunk cache is emptied when it holds this many chunks


def _required(items: Any, avoid: frozenset[str] = frozenset()) -> list[str] | None:
    """Literal strings one of which occurs in every match of a parsed regex (``re._parser``); None: unknown.

    Conservative: consecutive literal characters form one string; a group, a repeat of at least one, and a
    branch (all of whose alternatives have some) pass theirs on; anything else only ends a run. Of several
    such sets the one with the longest shortest string wins, preferring sets not within ``avoid``.
    """
    found: list[list[str]] = []
    run: list[str] = []
    for op, av in items:
        if op is _sre.LITERAL:
            run.append(chr(av))
            continue
        if run:
            found.append(["".join(run)])
            run = []
        sub: list[str] | None = None
        if op is _sre.SUBPATTERN:
            sub = None if av[1] or av[2] else _required(av[-1])  # inline flags: no literal is certain
        elif op is _sre.BRANCH:
            alts = [_required(alt) for alt in av[1]]
            sub = [s for a in alts if a for s in a] if all(alts) else None
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[0] >= 1:
            sub = _required(av[2])
        if sub:
            found.append(sub)
    if run:
        found.append(["".join(run)])
    if not found:
        return None
    return max(found, key=lambda lits: (not set(lits) <= avoid, min(map(len, lits)), -len(lits)))


def _looks_ahead(items: Any) -> bool:
    """Whether a parsed regex can test anything after its match end (look-aheads, anchors, group refs)."""
    for op, av in items:
        if op in (_sre.AT, _sre.GROUPREF, _sre.GROUPREF_EXISTS):
            return True
        if op in (_sre.ASSERT, _sre.ASSERT_NOT):
            if av[0] >= 0 or _looks_ahead(av[1]):
                return True
        elif op is _sre.SUBPATTERN:
            if _looks_ahead(av[-1]):
                return True
        elif op is _sre.BRANCH:
            if any(_looks_ahead(alt) for alt in av[1]):
                return True
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _sre.POSSESSIVE_REPEAT):
            if _looks_ahead(av[2]):
                return True
        elif op is _sre.ATOMIC_GROUP and _looks_ahead(av):
            return True
    return False


def _window_plan(pattern: str) -> tuple[int, dict[str, int]] | None:
    """``(max match width, required literal -> reach)`` when ``pattern`` can be searched in windows, else None.

    That needs: every match is 1 to ``_MAX_WINDOW`` characters long, holds one of the required literals of
    its top-level alternative, and depends on no character after its end (then ``search(text, pos,
    endpos)`` with ``endpos`` at least the width past the start finds exactly the match ``finditer`` finds
    there). A match holding literal ``lit`` at ``q`` starts in ``[q - reach, q]``.
    """
    parsed = _sre_parse.parse(pattern)
    low, high = parsed.getwidth()
    if low < 1 or high > _MAX_WINDOW or parsed.state.flags & ~re.UNICODE or _looks_ahead(parsed):
        return None
    alts = parsed.data[0][1][1] if len(parsed.data) == 1 and parsed.data[0][0] is _sre.BRANCH else [parsed]
    reach: dict[str, int] = {}
    for alt in alts:
        lits = _required(alt)
        if not lits:
            return None
        width = alt.getwidth()[1]
        for lit in lits:
            reach[lit] = max(reach.get(lit, 0), width - len(lit))
    return high, reach


@dataclass
class _Slot:
    """One regex run over the lower-cased post: a slang-prefix regex or one part of a rule regex."""

    pattern: re.Pattern[str]
    gate: tuple[str, ...] | None  # the part runs only when one of these literals occurs (None: always)
    # where its matches can start: "literal" (at one of the gate literals), "digits" (at a run of digits),
    # "window" (at most `reach[lit]` before a required literal) or "" (anywhere: finditer)
    starts: str
    width: int = 0
    reach: dict[str, int] = field(default_factory=dict)
    lead: re.Pattern[str] | None = None  # a "window" slot: a class holding every match's first character
    # a "literal" slot: literals one of which occurs in every match, when that is a stronger test than its
    # gate (None: none known); the slot is tried only when one of them occurs in the post
    live: tuple[str, ...] | None = None
    # a "" slot of the shape (?:lead|...)\s{0,n}(?:unit|...)(?!\w) (:func:`_chunk_plan`): its chunk markers
    # (a match inside the chunk, the chunk ends with a lead, the chunk starts with a unit), noted per chunk
    marks: tuple[str, str, str] | None = None


@dataclass
class _Skip:
    """Work a post can leave out: the rules of classes its detector signals rule out (see :func:`_skip_for`)."""

    rules: frozenset[int] = frozenset()
    always: dict[str, tuple[int, ...]] = field(default_factory=dict)  # `_Model.always` without skipped slots
    always_keys: frozenset[str] = frozenset()
    enliven: dict[str, tuple[int, ...]] = field(default_factory=dict)  # `_Model.enliven` without skipped slots
    enliven_keys: frozenset[str] = frozenset()
    digit_slots: tuple[int, ...] = ()
    digit_scanner: re.Pattern[str] | None = None


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
    literals: tuple[str, ...] = ()  # every gate literal and slang prefix
    slots: list[_Slot] = field(default_factory=list)  # prefix regexes first, then every rule part
    prefix_slots: list[tuple[int, int]] = field(default_factory=list)  # (slot, rule index) per prefix regex
    rule_slots: list[tuple[int, ...]] = field(default_factory=list)  # each rule's part slots, in order
    digit_slots: tuple[int, ...] = ()
    # finds the starts of digit runs and, in look-aheads there, each digit slot's match minus its first digit
    digit_scanner: re.Pattern[str] | None = None
    slot_rule: dict[int, int] = field(default_factory=dict)  # rule part slot -> rule index
    lazy_slots: tuple[int, ...] = ()  # "window" and "" slots: run while replaying the rules
    # "" slots with chunk markers: (in-chunk pattern, leads, unit pattern, (in, end, start) markers)
    chunk_plans: tuple[tuple[re.Pattern[str], tuple[str, ...], re.Pattern[str], tuple[str, str, str]], ...] = ()
    scanned: tuple[str, ...] = ()  # every literal the scan looks for
    always: dict[str, tuple[int, ...]] = field(default_factory=dict)  # literal -> slots it gates (no live test)
    checked: dict[str, tuple[int, ...]] = field(default_factory=dict)  # literal -> slots it gates (with one)
    enliven: dict[str, tuple[int, ...]] = field(default_factory=dict)  # live literal -> slots it makes live
    feeds: dict[str, tuple[int, ...]] = field(default_factory=dict)  # literal -> "window" slots it feeds
    # the keys of `checked`, `enliven` and `feeds` (set & frozenset walks the smaller side; set & dict does not)
    checked_keys: frozenset[str] = frozenset()
    enliven_keys: frozenset[str] = frozenset()
    feeds_keys: frozenset[str] = frozenset()
    # Literals without whitespace are found per chunk (cached with it): `trie` (char -> node, "" -> the literal
    # ending there). A literal with whitespace can only occur where a chunk ends with its first piece:
    # `multi_first` (first piece -> such literals); `multi_always`: those starting with whitespace.
    trie: dict[str, Any] = field(default_factory=dict)
    multi_first: dict[str, tuple[str, ...]] = field(default_factory=dict)
    multi_always: tuple[str, ...] = ()
    multi_keys: frozenset[str] = frozenset()  # every literal with whitespace
    max_piece: int = 0
    always_keys: frozenset[str] = frozenset()
    rule_info: list[tuple[str, str, float, float, str]] = field(default_factory=list)  # cls, tag, weight, cap, "label: "
    # (class, threshold, its `require` alternatives as sets, minus its priority rank), in `thresholds` order
    class_checks: list[tuple[str, float, list[frozenset[str]], int]] = field(default_factory=list)
    signal_weights: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)  # name -> (cls, w)
    signal_once: dict[str, tuple[tuple[str, float], ...]] = field(default_factory=dict)  # (cls, w * 1.0), w != 0
    drug_more: tuple[tuple[str, float, float], ...] = ()  # (cls, weight, drug_cap - drug_first) of "drug_more"
    producible: frozenset[str] = frozenset()  # the tags some rule can add
    skips: dict[frozenset[str], _Skip] = field(default_factory=dict)  # signal tags -> what to leave out
    no_skip: _Skip = field(default_factory=_Skip)


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
                # dict.fromkeys, not a set: a fixed order (surface form, then lemmas) whatever the hash seed
                for phrase in dict.fromkeys((tuple(w.lower().replace("ё", "е") for w in words),
                                             tuple(_lem(w) for w in words))):
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
    _plan_scan(model)
    model.rule_info = [(r.cls, r.tag, r.weight, r.cap, f"{r.label}: ") for r in model.rules]
    for cls, threshold in model.thresholds.items():
        rank = model.priority.index(cls) if cls in model.priority else len(model.priority)
        alts = [frozenset(alt) for alt in model.require.get(cls, [[]])]
        model.class_checks.append((cls, threshold, alts, -rank))
    model.signal_weights = {name: tuple(weights.items()) for name, weights in model.signals.items()}
    drug_cap, drug_first = model.signals.get("drug_cap", {}), model.signals.get("drug_first", {})
    model.drug_more = tuple((cls, w, drug_cap.get(cls, 99.0) - drug_first.get(cls, 0.0))
                            for cls, w in model.signal_weights.get("drug_more", ()))
    model.signal_once = {name: tuple((cls, w * 1.0) for cls, w in pairs if w * 1.0)
                         for name, pairs in model.signal_weights.items()}
    model.producible = frozenset(r.tag for r in model.rules if r.tag and r.cls != "*")
    model.no_skip = _make_skip(model, frozenset())
    return model


def _digit_scanner(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    """One regex over the runs of digits for the "digits" slots (None: they cannot share one).

    Slot k's pattern is ``\\d`` + rest (never empty): its match at a run start is that digit + the rest's
    match (group k + 1); the closing conditionals fail the scan where no slot matches, so ``finditer``
    yields only the runs where something does.
    """
    if not patterns or not all(
        r.pattern.startswith(_DIGIT_LED) and not r.groups and _sre_parse.parse(r.pattern[2:]).getwidth()[0]
        for r in patterns
    ):
        return None
    none_matched = "(?!)"
    for k in range(len(patterns), 0, -1):
        none_matched = f"(?({k})|{none_matched})"
    source = r"\d(?<!\d\d)" + "".join(f"(?:(?=({r.pattern[2:]}))|)" for r in patterns) + none_matched
    return _compile_possessive(source)


# ---------------------------------------------------------------- possessive repeats (same matches, less backtracking)
# A greedy repeat of one character class X (``\d{0,6}``) directly followed, in its own sequence, by items that
# must consume a character first and can only start with characters outside X (``\s{0,2}(?:₽|руб...)``) can
# never give a character back: the character it gives back is in X, and what follows cannot start with it. Such
# a repeat is made possessive (``\d{0,6}+``): the same matches and groups, without the failed retries at every
# shorter count. Only used where the parse and the class checks below are understood; anything else is kept.
_POSSESSIVE = getattr(_sre, "POSSESSIVE_REPEAT", None)
_REPEATS = tuple(op for op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT, _POSSESSIVE) if op is not None)
_ZERO_WIDTH = (_sre.ASSERT, _sre.ASSERT_NOT, _sre.AT)
_DISJOINT_CATEGORIES = frozenset({(_sre.CATEGORY_DIGIT, _sre.CATEGORY_SPACE), (_sre.CATEGORY_SPACE, _sre.CATEGORY_DIGIT)})
_MAX_RANGE = 2000  # wider ranges in a class are not enumerated (the repeat is kept)


def _compile_possessive(source: str) -> re.Pattern[str]:
    """``re.compile(source)`` with the greedy repeats that can never give a character back made possessive."""
    parsed = _sre_parse.parse(source)
    if _POSSESSIVE is None or parsed.state.flags & ~re.UNICODE or not _possessive(parsed):
        return re.compile(source)
    compiled: re.Pattern[str] = _re_compiler.compile(parsed)
    return compiled


def _possessive(items: Any) -> bool:
    """Make the eligible repeats of a parsed regex possessive, in place; whether any was."""
    changed = False
    data = items.data
    for i, (op, av) in enumerate(data):
        if op is _sre.SUBPATTERN:
            if not (av[1] or av[2]):  # inline flags (case folding ...) would change the class checks
                changed |= _possessive(av[-1])
        elif op is _sre.BRANCH:
            for alt in av[1]:
                changed |= _possessive(alt)
        elif op in (_sre.ASSERT, _sre.ASSERT_NOT):
            changed |= _possessive(av[1])
        elif op in _REPEATS:
            changed |= _possessive(av[2])
            if op is _sre.MAX_REPEAT and len(av[2].data) == 1:
                rest = _first_classes(data[i + 1 :])
                body = _char_class(av[2].data[0])
                if rest is not None and not rest[1] and body is not None and all(
                    _disjoint(body, other) for other in rest[0]
                ):
                    data[i] = (_POSSESSIVE, av)
                    changed = True
    return changed


_Class = tuple[bool, frozenset[str], frozenset[Any], re.Pattern[str]]  # negated, characters, categories, matcher


def _char_class(item: tuple[Any, Any]) -> _Class | None:
    """A one-character item (a literal or a ``[...]`` class) as a :data:`_Class`; None for anything else."""
    op, av = item
    if op is _sre.LITERAL:
        ch = chr(av)
        return False, frozenset(ch), frozenset(), re.compile(re.escape(ch))
    if op is not _sre.IN:
        return None
    negated, chars, cats = False, set(), set()
    for sub_op, sub_av in av:
        if sub_op is _sre.NEGATE:
            negated = True
        elif sub_op is _sre.LITERAL:
            chars.add(chr(sub_av))
        elif sub_op is _sre.RANGE and sub_av[1] - sub_av[0] <= _MAX_RANGE:
            chars.update(map(chr, range(sub_av[0], sub_av[1] + 1)))
        elif sub_op is _sre.CATEGORY:
            cats.add(sub_av)
        else:
            return None
    state = _sre_parse.State()
    state.flags = re.UNICODE
    matcher = _re_compiler.compile(_sre_parse.SubPattern(state, [item]))
    return negated, frozenset(chars), frozenset(cats), matcher


def _first_classes(items: list[tuple[Any, Any]]) -> tuple[list[_Class], bool] | None:
    """The classes one of which the first character a sequence consumes is in, and whether it can consume none."""
    out: list[_Class] = []
    for op, av in items:
        if op in _ZERO_WIDTH:
            continue  # consumes nothing (and can only make a match fail)
        if op in (_sre.LITERAL, _sre.IN):
            got = _char_class((op, av))
            if got is None:
                return None
            out.append(got)
            return out, False
        if op is _sre.SUBPATTERN:
            if av[1] or av[2]:
                return None
            sub = _first_classes(av[-1].data)
        elif op is _sre.BRANCH:
            alts = [_first_classes(alt.data) for alt in av[1]]
            if any(alt is None for alt in alts):
                return None
            sub = ([c for alt in alts if alt for c in alt[0]], any(alt[1] for alt in alts if alt))
        elif op in _REPEATS:
            sub = _first_classes(av[2].data)
            if sub is not None and av[0] == 0:
                sub = (sub[0], True)
        else:
            return None
        if sub is None:
            return None
        out.extend(sub[0])
        if not sub[1]:
            return out, False
    return out, True


def _disjoint(a: _Class, b: _Class) -> bool:
    """Whether no character is in both classes (False when that cannot be shown)."""
    if a[0] and b[0]:
        return False
    if b[0]:
        a, b = b, a
    if a[0]:  # b must lie within what negated a leaves out
        return not any(a[3].match(ch) for ch in b[1]) and b[2] <= a[2]
    return (not any(b[3].match(ch) for ch in a[1]) and not any(a[3].match(ch) for ch in b[1])
            and all((x, y) in _DISJOINT_CATEGORIES for x in a[2] for y in b[2]))


def _make_skip(model: _Model, rules: frozenset[int]) -> _Skip:
    slots = frozenset(slot for idx in rules for slot in model.rule_slots[idx])
    slots |= frozenset(slot for slot, idx in model.prefix_slots if idx in rules)
    skip = _Skip(rules)
    for table, out in ((model.always, skip.always), (model.enliven, skip.enliven)):
        for lit, ids in table.items():
            if kept := tuple(i for i in ids if i not in slots):
                out[lit] = kept
    skip.always_keys, skip.enliven_keys = frozenset(skip.always), frozenset(skip.enliven)
    skip.digit_slots = tuple(i for i in model.digit_slots if i not in slots)
    skip.digit_scanner = _digit_scanner([model.slots[i].pattern for i in skip.digit_slots])
    return skip


def _skip_for(model: _Model, tags: set[str]) -> _Skip:
    """What a post with these detector-signal ``tags`` can leave out, exactly.

    A class none of whose ``require`` alternatives can hold (a tag in each that only a detector signal
    gives is missing) is never a candidate, so its score and reasons are never read; its rules are left
    out unless their tag is one a possible class requires (negative rules always run).
    """
    key = frozenset(tags)
    skip = model.skips.get(key)
    if skip is None:
        reachable = key | model.producible
        impossible = {cls for cls, _, alts, _ in model.class_checks if not any(alt <= reachable for alt in alts)}
        needed = {tag for cls, _, alts, _ in model.class_checks if cls not in impossible for alt in alts for tag in alt}
        rules = frozenset(i for i, r in enumerate(model.rules) if r.cls in impossible and r.tag not in needed)
        skip = model.skips[key] = _make_skip(model, rules) if rules else model.no_skip
    return skip


def _plan_scan(model: _Model) -> None:
    """Slots and literal tables that let :func:`_scan` run every regex only where it can match."""
    for pattern, idx, lits in model.prefix_res:
        model.prefix_slots.append((len(model.slots), idx))
        model.slots.append(_Slot(pattern, tuple(sorted(lits)), "literal"))
    for rule in model.rules:
        ids = []
        for pattern, gate, starts in rule.parts:
            slot = _Slot(pattern, gate, starts)
            if not starts and (plan := _window_plan(pattern.pattern)) is not None:
                slot.starts, (slot.width, slot.reach) = "window", plan
                slot.lead = _lead_scanner(pattern.pattern)
            elif not starts and (cplan := _chunk_plan(pattern.pattern)) is not None:
                n = len(model.slots)
                slot.marks = (f"\x00in{n}", f"\x00end{n}", f"\x00start{n}")
                model.chunk_plans += ((pattern, cplan[0], cplan[1], slot.marks),)
            elif starts == "literal":
                parsed = _sre_parse.parse(pattern.pattern)
                need = None if parsed.state.flags & ~re.UNICODE else _required(parsed, frozenset(gate or ()))
                # worth a test only when it is not one of the gate literals and never a single character
                if need and min(map(len, need)) >= 2 and not set(need) <= set(gate or ()):
                    slot.live = tuple(dict.fromkeys(need))
            model.slot_rule[len(model.slots)] = len(model.rule_slots)
            ids.append(len(model.slots))
            model.slots.append(slot)
        model.rule_slots.append(tuple(ids))
    slots = model.slots
    model.digit_slots = tuple(i for i, s in enumerate(slots) if s.starts == "digits")
    model.digit_scanner = _digit_scanner([slots[i].pattern for i in model.digit_slots])
    model.lazy_slots = tuple(i for i, s in enumerate(slots) if s.starts in ("window", ""))
    scanned = set(model.literals)
    for slot in slots:
        scanned.update(slot.gate or (), slot.reach, slot.live or ())
    model.scanned = tuple(sorted(scanned))
    for lit in model.scanned:
        led = [i for i, s in enumerate(slots) if s.starts == "literal" and lit in (s.gate or ())]
        if always := tuple(i for i in led if slots[i].live is None):
            model.always[lit] = always
        if checked := tuple(i for i in led if slots[i].live is not None):
            model.checked[lit] = checked
        if enliven := tuple(i for i, s in enumerate(slots) if lit in (s.live or ())):
            model.enliven[lit] = enliven
        if feeds := tuple(i for i, s in enumerate(slots) if s.starts == "window" and lit in s.reach):
            model.feeds[lit] = feeds
    model.checked_keys, model.enliven_keys = frozenset(model.checked), frozenset(model.enliven)
    model.feeds_keys = frozenset(model.feeds)
    model.always_keys = frozenset(model.always)
    multi: dict[str, list[str]] = {}
    for lit in model.scanned:
        first, *rest = re.split(r"\s", lit, maxsplit=1)
        if not rest:
            node = model.trie
            for ch in lit:
                node = node.setdefault(ch, {})
            node[""] = lit
        elif first:
            multi.setdefault(first, []).append(lit)
        else:
            model.multi_always += (lit,)
    model.multi_first = {first: tuple(lits) for first, lits in multi.items()}
    model.multi_keys = frozenset(lit for lits in multi.values() for lit in lits) | frozenset(model.multi_always)
    model.max_piece = max(map(len, model.multi_first), default=0)
    if any(lit.startswith("\x00") for lit in model.scanned):
        raise ValueError("category rules: a literal starts like a marker")


class _Evidence:
    """Scores, reasons, tags and negative reasons gathered for one post."""

    __slots__ = ("scores", "reasons", "tags", "negatives")

    def __init__(self) -> None:
        self.scores: dict[str, float] = {}
        self.reasons: dict[str, list[str]] = {}
        self.tags: set[str] = set()
        self.negatives: list[str] = []

    def add(self, cls: str, weight: float, reason: str) -> None:
        self.scores[cls] = self.scores.get(cls, 0.0) + weight
        self.reasons.setdefault(cls, []).append(reason)


_WordInfo = tuple[str, str, bool, tuple[int, ...], tuple[tuple[tuple[str, ...], int], ...], frozenset[str]]


@lru_cache(maxsize=200_000)
def _word_info(word: str) -> _WordInfo:
    """``(lower-case, lemma, keyed, rules, phrases, seconds)`` of one word.

    ``keyed``: either form is a rule term or starts a rule phrase; ``rules``: the one-word rules it
    matches; ``phrases``: the ``(phrase, rule)`` pairs it can start (both in the order the scan visits them);
    ``seconds``: the second words of those phrases.
    """
    model = _model()
    low = word.lower().replace("ё", "е")
    lem = _lem(word)
    single = model.single
    keyed = low in single or lem in single or low in model.phrases or lem in model.phrases
    rules = tuple({*single.get(low, ()), *single.get(lem, ())})
    # the surface form's phrases first, then the lemma's: the same order in every process (a set of the
    # two strings would follow the hash seed, and with it the order of reasons when two phrases match)
    phrases = tuple(pair for first in dict.fromkeys((low, lem)) for pair in model.phrases.get(first, ()))
    return low, lem, keyed, rules, phrases, frozenset(phrase[1] for phrase, _ in phrases)


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


# (the keyed words as (index, lower-case, rules, phrases, seconds), every word's info, the scanned literals
# without whitespace in the lower-cased chunk plus those with whitespace that may start in it, the one-word
# rule hits (rule, lower-case) of its keyed words in scan order, whether a keyed word starts a phrase) of one chunk
_Chunk = tuple[tuple[tuple[int, str, tuple[int, ...], tuple[tuple[tuple[str, ...], int], ...], frozenset[str]], ...],
               tuple[_WordInfo, ...], frozenset[str], tuple[tuple[int, str], ...], bool]
_chunk_cache: dict[str, _Chunk] = {}
_NONE: frozenset[str] = frozenset()
# Noted with a chunk's literals when the chunk holds a digit: the "digits" slots run only then. Never a literal.
_DIGIT_MARK = "\x00digit"
_ANY_DIGIT_RE = re.compile(r"\d")


def _chunk(chunk: str) -> _Chunk:
    """The words and literals of one whitespace-free chunk (a word never spans whitespace).

    Lower-casing works chunk by chunk (whitespace stays whitespace and ends the final-sigma context), so
    the lower-cased chunk is the matching slice of the lower-cased post, and a literal without whitespace
    occurs in the post exactly when it occurs in one of its chunks.
    """
    model = _model()
    infos = tuple(map(_word_info, _TOKEN_RE.findall(chunk)))
    keyed = tuple((i, low, rules, phrases, seconds)
                  for i, (low, _, is_keyed, rules, phrases, seconds) in enumerate(infos) if is_keyed)
    low = chunk.lower().replace("ё", "е")
    lits: set[str] = set()
    if len(low) <= _MAX_CACHED_CHUNK:
        trie = model.trie
        for i in range(len(low)):
            node: dict[str, Any] | None = trie
            for ch in low[i:]:
                node = node.get(ch)  # type: ignore[union-attr]  # not None: the loop breaks first
                if node is None:
                    break
                if "" in node:
                    lits.add(node[""])
    else:  # bounded work on a huge chunk: one C substring search per literal
        lits.update(lit for lit in model.scanned if lit in low and not re.search(r"\s", lit))
    for k in range(1, min(len(low), model.max_piece) + 1):
        lits.update(model.multi_first.get(low[-k:], ()))  # to be checked on the whole post
    if _ANY_DIGIT_RE.search(low):
        lits.add(_DIGIT_MARK)
    for pattern, leads, unit, (inside, end, start) in model.chunk_plans:
        if pattern.search(low):
            lits.add(inside)
        if low.endswith(leads):
            lits.add(end)
        if unit.match(low):
            lits.add(start)
    pairs = tuple((idx, low) for _, low, rules, _, _ in keyed for idx in rules)
    return keyed, infos, frozenset(lits) if lits else _NONE, pairs, any(phrases for _, _, _, phrases, _ in keyed)


def _chunks(text: str) -> list[_Chunk]:
    """:func:`_chunk` of every whitespace-separated chunk of ``text``, through a bounded cache.

    A plain dict looked up with ``map`` (C speed); misses are filled in, chunks longer than
    ``_MAX_CACHED_CHUNK`` are not kept, and the cache is emptied when it reaches ``_CHUNK_CACHE_SIZE``.
    """
    chunks = text.split()
    recs = list(map(_chunk_cache.get, chunks))
    if not all(recs):  # a record is a non-empty tuple; a miss is None
        local: dict[str, _Chunk] = {}  # this post's misses, long chunks included
        for i in [i for i, rec in enumerate(recs) if rec is None]:
            chunk = chunks[i]
            rec = local.get(chunk)
            if rec is None:
                rec = local[chunk] = _chunk(chunk)
                if len(chunk) <= _MAX_CACHED_CHUNK:
                    if len(_chunk_cache) >= _CHUNK_CACHE_SIZE:
                        _chunk_cache.clear()
                    _chunk_cache[chunk] = rec
            recs[i] = rec
    return recs  # type: ignore[return-value]


def _next_word(recs: list[_Chunk], ci: int) -> _WordInfo | None:
    """The info of the first word after chunk ``ci``."""
    for j in range(ci + 1, len(recs)):
        if recs[j][1]:
            return recs[j][1][0]
    return None


def _following(recs: list[_Chunk], ci: int, wi: int, n: int) -> list[_WordInfo]:
    """The infos of (at most) ``n`` words from word ``wi`` of chunk ``ci`` on."""
    out = list(recs[ci][1][wi : wi + n])
    while len(out) < n and ci + 1 < len(recs):
        ci += 1
        out.extend(recs[ci][1][: n - len(out)])
    return out


def _starts(text: str, lit: str) -> list[int]:
    """Every index where ``lit`` starts in ``text`` (overlaps included)."""
    out = []
    pos = text.find(lit)
    while pos >= 0:
        out.append(pos)
        pos = text.find(lit, pos + 1)
    return out


def _windowed(pattern: re.Pattern[str], text: str, windows: list[tuple[int, int]], width: int,
              lead: re.Pattern[str] | None = None) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)`` for a "window" slot, given ``(lo, hi)`` ranges holding every match start.

    The ranges are merged and each searched with ``endpos`` ``width`` past its last start: that cuts off
    no match starting in it (a match is at most ``width`` long and looks at nothing after its end). With
    ``lead`` (:func:`_lead_scanner`: a class holding the first character of every match) the pattern is
    tried only where ``lead`` finds such a character, instead of ``search`` trying it at every position.
    """
    if lead is not None:
        yield from _windowed_led(pattern, text, windows, width, lead)
        return
    cur, size = 0, len(text)
    for lo, hi in _merged(windows):
        lo = max(lo, cur)
        while lo <= hi:
            m = pattern.search(text, lo, min(size, hi + width))
            if m is None or m.start() > hi:
                break
            yield m
            cur = lo = m.end()


def _merged(windows: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """The ``(lo, hi)`` ranges sorted, with overlapping or touching ones merged (sorts ``windows`` in place)."""
    windows.sort()
    i, n = 0, len(windows)
    while i < n:
        lo, hi = windows[i]
        i += 1
        while i < n and windows[i][0] <= hi + 1:
            hi = max(hi, windows[i][1])
            i += 1
        yield lo, hi


def _windowed_led(pattern: re.Pattern[str], text: str, windows: list[tuple[int, int]], width: int,
                  lead: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """:func:`_windowed` trying ``pattern`` only at the characters ``lead`` matches (the same matches)."""
    cur, size = 0, len(text)
    find, match = lead.search, pattern.match
    for lo, hi in _merged(windows):
        lo = max(lo, cur)
        end = min(size, hi + width)
        while lo <= hi:
            c = find(text, lo, end)
            if c is None or (pos := c.start()) > hi:
                break
            m = match(text, pos, end)
            if m is None:
                lo = pos + 1
                continue
            yield m
            cur = lo = m.end()


_PLAIN = r"[^\s\\()\[\]{}?*+.^$|]+"  # a literal without regex syntax or whitespace
_PLAIN_ALTS = rf"\(\?:((?:{_PLAIN}\|)*{_PLAIN})\)"
_CHUNK_PLAN_RE = re.compile(rf"{_PLAIN_ALTS}\\s\{{0,\d+\}}{_PLAIN_ALTS}\(\?!\\w\)")


def _chunk_plan(pattern: str) -> tuple[tuple[str, ...], re.Pattern[str]] | None:
    """``(leads, unit pattern)`` of a pattern ``(?:lead|...)\\s{0,n}(?:unit|...)(?!\\w)`` (None: another shape).

    Leads and units are plain literals without whitespace, so a match either lies inside one chunk (the
    pattern finds it in the chunk alone: what follows a chunk is whitespace or the end, never ``\\w``) or
    spans two neighbouring chunks, the first ending with a lead and the next starting with a unit match.
    """
    m = _CHUNK_PLAN_RE.fullmatch(pattern)
    if m is None:
        return None
    return tuple(m[1].split("|")), re.compile(rf"(?:{m[2]})(?!\w)")


def _chunk_gate(marks: tuple[str, str, str], present: set[str], recs: list[_Chunk]) -> bool:
    """False when a "" slot with chunk markers (:func:`_chunk_plan`) cannot match the post of ``recs``."""
    inside, end, start = marks
    if inside in present:
        return True
    if end not in present or start not in present:
        return False
    last = len(recs) - 1
    for i in compress(count(), map(contains, map(_third, recs), repeat(end))):
        if i < last and start in recs[i + 1][2]:
            return True
    return False


def _lead_scanner(pattern: str) -> re.Pattern[str] | None:
    """A one-character class holding the first character of every match of ``pattern`` (None: not known).

    From the parsed pattern (:func:`_first_classes`): only when no match can be empty, no flags are set and
    every first item is a literal or a class that is not negated.
    """
    parsed = _sre_parse.parse(pattern)
    if parsed.state.flags & ~re.UNICODE:
        return None
    first = _first_classes(parsed.data)
    if first is None or first[1] or not first[0]:
        return None
    members: list[tuple[Any, Any]] = []
    for negated, chars, cats, _ in first[0]:
        if negated:
            return None
        members += [(_sre.LITERAL, ord(ch)) for ch in sorted(chars)] + [(_sre.CATEGORY, cat) for cat in cats]
    state = _sre_parse.State()
    state.flags = re.UNICODE
    lead: re.Pattern[str] = _re_compiler.compile(_sre_parse.SubPattern(state, [(_sre.IN, members)]))
    return lead


def _scan(lowered: str, model: _Model, present: set[str], skip: _Skip
          ) -> tuple[dict[int, list[str]], dict[int, list[tuple[int, int]]]]:
    """``(slot -> matched texts, window slot -> start ranges)`` of one post, given its ``present`` literals.

    Every "literal" slot is tried where one of its gate literals starts, and only when a literal every
    match of it holds occurs; the "digits" slots where runs of digits start. A slot's matches are those
    its ``finditer`` would give (non-overlapping, in text order). Slots of ``skip.rules`` are left out.
    """
    slots = model.slots
    always = skip.always
    tried = {lit: always[lit] for lit in present & skip.always_keys}
    if present & model.checked_keys:
        for lit in present & skip.enliven_keys:
            for slot in skip.enliven[lit]:  # a live-tested slot whose live literal occurs
                for gate in present.intersection(slots[slot].gate or ()):
                    runs = tried.get(gate, ())
                    if slot not in runs:
                        tried[gate] = (*runs, slot)
    found: dict[int, list[str]] = {}
    if tried:
        cands = []
        for lit in tried:
            pos = lowered.find(lit)
            while pos >= 0:
                cands.append((pos, lit))
                pos = lowered.find(lit, pos + 1)
        cands.sort()
        ends: dict[int, int] = {}
        for start, lit in cands:
            for slot in tried[lit]:
                if start < ends.get(slot, 0):
                    continue
                m = slots[slot].pattern.match(lowered, start)
                if m is not None:
                    found.setdefault(slot, []).append(m.group())
                    ends[slot] = m.end()
    windows: dict[int, list[tuple[int, int]]] = {}
    fed = present & model.feeds_keys
    if fed:
        for slot in {slot for lit in fed for slot in model.feeds[lit]}:
            windows[slot] = []
        for lit in fed:
            for start in _starts(lowered, lit):
                for slot in model.feeds[lit]:
                    windows[slot].append((start - slots[slot].reach[lit], start))
    if skip.digit_slots and _DIGIT_MARK in present:  # no digit in the post: no "digits" slot can match
        _digit_scan(lowered, model, found, skip)
    return found, windows


def _digit_scan(lowered: str, model: _Model, found: dict[int, list[str]], skip: _Skip) -> None:
    """The matches of the "digits" slots (those ``skip`` keeps): tried where a run of digits starts."""
    digit_slots = skip.digit_slots
    if skip.digit_scanner is None:
        runs = [m.start() for m in _DIGIT_RUN_RE.finditer(lowered)]
        for slot in digit_slots:
            matched = [m.group() for m in _matches_at(model.slots[slot].pattern, lowered, runs)]
            if matched:
                found[slot] = matched
        return
    texts: list[list[str]] = [[] for _ in digit_slots]
    ends = [0] * len(digit_slots)
    for m in skip.digit_scanner.finditer(lowered):
        pos, groups, digit = m.start(), m.groups(), m.group()
        for k in compress(count(), groups):
            if pos >= ends[k]:
                text = digit + groups[k]
                texts[k].append(text)
                ends[k] = pos + len(text)
    for slot, matched in zip(digit_slots, texts, strict=True):
        if matched:
            found[slot] = matched


_SPACED_CACHE_SIZE = 20_000  # matched texts with their whitespace runs made single spaces; emptied when full
_spaced_cache: dict[str, str] = {}
_spaced_get = _spaced_cache.get


def _spaced(text: str) -> str:
    """``" ".join(text.split())``, remembered (a rule's matched texts repeat: prices, tiers, phrases)."""
    term = " ".join(text.split())
    if len(text) <= _MAX_CACHED_CHUNK:
        if len(_spaced_cache) >= _SPACED_CACHE_SIZE:
            _spaced_cache.clear()
        _spaced_cache[text] = term
    return term


def _rule_hits(text: str, model: _Model, skip: _Skip | None = None) -> dict[int, list[str]]:
    """Rule index -> distinct matched terms (surface forms), in text order; without the rules in ``skip``."""
    if skip is None:
        skip = model.no_skip
    hits: dict[int, list[str]] = {}

    def note(idx: int, term: str) -> None:
        terms = hits.setdefault(idx, [])
        if term not in terms:
            terms.append(term)

    recs = _chunks(text)
    # The (rule, term) notes of the words in text order; the first of each pair counts (dict.fromkeys below),
    # so rules and their terms come out in the order the notes were first made.
    pairs: list[tuple[int, str]] = []
    extend = pairs.extend
    for ci in compress(count(), map(_first, recs)):  # only chunks with a rule term or a phrase start
        rec = recs[ci]
        if not rec[4]:  # no phrase starts in this chunk: its one-word notes, worked out with the record
            extend(rec[3])
            continue
        for wi, low, rules, phrases, seconds in rec[0]:
            for idx in rules:
                pairs.append((idx, low))
            if not phrases:
                continue
            words = rec[1]
            nxt = words[wi + 1] if wi + 1 < len(words) else _next_word(recs, ci)
            if nxt is None or (nxt[0] not in seconds and nxt[1] not in seconds):
                continue  # no phrase can go on with the next word
            for phrase, idx in phrases:
                seq = _following(recs, ci, wi, len(phrase))
                lows = tuple(map(_first, seq))
                if lows == phrase or tuple(map(_second, seq)) == phrase:
                    pairs.append((idx, " ".join(lows)))
    for idx, term in dict.fromkeys(pairs):
        terms = hits.get(idx)
        if terms is None:
            hits[idx] = [term]
        else:
            terms.append(term)
    lowered = text.lower().replace("ё", "е")
    present: set[str] = set().union(*map(_third, recs))
    for lit in present & model.multi_keys:
        if lit not in lowered:
            present.discard(lit)
    for lit in model.multi_always:
        if lit in lowered:
            present.add(lit)
    found, windows = _scan(lowered, model, present, skip)
    for slot, idx in model.prefix_slots:
        for term in found.pop(slot, ()):
            note(idx, term)
    slots, slot_rule = model.slots, model.slot_rule
    # Only rules with a match, or with a slot that still has to run, can note anything.
    active = {slot_rule[slot] for slot in found}
    active.update(slot_rule[slot] for slot in model.lazy_slots if slot_rule[slot] not in active
                  and (slots[slot].starts != "window" or slot in windows))
    if skip.rules:
        active -= skip.rules
        for idx in skip.rules.intersection(hits):
            del hits[idx]  # noted from words
    for idx in sorted(active):
        rule = model.rules[idx]
        if rule.gate is not None and present.isdisjoint(rule.gate):
            continue  # none of its literals occurs
        for slot in model.rule_slots[idx]:
            part = slots[slot]
            if part.gate is not None and present.isdisjoint(part.gate):
                continue
            if part.starts == "window":
                texts: Iterable[str] = map(_group, _windowed(part.pattern, lowered, windows.get(slot, []), part.width,
                                                             part.lead))
            elif part.starts:
                texts = found.get(slot, ())
            elif part.marks is not None and not _chunk_gate(part.marks, present, recs):
                continue  # no match in the post
            else:
                texts = map(_group, part.pattern.finditer(lowered))
            terms = hits.get(idx)
            for text_ in texts:
                spaced = _spaced_get(text_)
                term = _spaced(text_) if spaced is None else spaced
                if terms is None:
                    terms = hits[idx] = [term]
                elif term not in terms:
                    terms.append(term)
                if len(terms) >= _MAX_REASONS_PER_RULE:
                    break
            if terms is not None and len(terms) >= _MAX_REASONS_PER_RULE:
                break
    return hits


def _signal(ev: _Evidence, model: _Model, name: str, reason: str, count: float = 1.0,
            cap_name: str | None = None) -> None:
    if count == 1.0 and cap_name is None:
        _signal_once(ev.scores, ev.reasons, model.signal_once.get(name, ()), reason)
        return
    caps = model.signals.get(cap_name, _NO_CAPS) if cap_name else _NO_CAPS
    scores, reasons = ev.scores, ev.reasons
    for cls, w in model.signal_weights.get(name, ()):
        value = w * count
        if cls in caps:
            value = min(value, caps[cls])
        if value:
            scores[cls] = scores.get(cls, 0.0) + value
            if cls in reasons:
                reasons[cls].append(reason)
            else:
                reasons[cls] = [reason]


def _signal_once(scores: dict[str, float], reasons: dict[str, list[str]], weights: tuple[tuple[str, float], ...],
                 reason: str) -> None:
    """:func:`_signal` with count 1 and no cap: ``weights`` are ``_Model.signal_once`` (``w * 1.0``, zeros left out)."""
    for cls, value in weights:
        scores[cls] = scores.get(cls, 0.0) + value
        got = reasons.get(cls)
        if got is None:
            reasons[cls] = [reason]
        else:
            got.append(reason)


def _fmt_amount(amount: Any) -> str:
    try:
        return f"{float(amount):g}"
    except (TypeError, ValueError):
        return str(amount)


def _detector_signals(ev: _Evidence, model: _Model, text: str, drugs: list[dict], offers: list[dict],
                      contacts: list[dict], precursors: list[dict], delivery: list[str] | None = None) -> None:
    scores, reasons, tags, once = ev.scores, ev.reasons, ev.tags, model.signal_once
    if drugs:
        substances = list(dict.fromkeys([str(sub) for sub in map(_get_substance, drugs) if sub]))
        if substances:
            tags.add("drug")
            _signal_once(scores, reasons, once.get("drug_first", ()), f"drug mention: {substances[0]}")
            for cls, w, room in model.drug_more:
                extra = min(w * (len(substances) - 1), room)
                if extra > 0:
                    ev.add(cls, extra, "drug mention: " + ", ".join(substances[1:4]))
    for o in offers:
        if o.get("amount") is not None:
            tags.add("price")
            _signal_once(scores, reasons, once.get("price", ()),
                         f"price: {_fmt_amount(o['amount'])} {o.get('currency') or ''}".rstrip())
            break
    for o in offers:
        if o.get("grams") is not None:
            tags.add("quantity")
            _signal_once(scores, reasons, once.get("quantity", ()), f"quantity: {_fmt_amount(o['grams'])} g")
            break
    if contacts:
        types = [c.get("type") for c in contacts]
        shop = list(dict.fromkeys([str(t) for t in types if t in _SHOP_CONTACTS]))
        if shop:
            tags.add("contact")
            _signal(ev, model, "shop_contact", "shop contact: " + ", ".join(shop), len(shop), "shop_contact_cap")
        pay = list(dict.fromkeys([str(t) for t in types if t in _PAYMENTS]))
        if pay:
            tags.add("payment")
            _signal_once(scores, reasons, once.get("payment", ()), "payment: " + ", ".join(pay))
    if delivery is None:
        delivery = find_delivery(text)
    if delivery:
        if "dead_drop" in delivery:
            tags.add("dead_drop")
            subtypes = [d.split(":", 1)[1] for d in delivery if d.startswith("dead_drop:")]
            _signal_once(scores, reasons, once.get("dead_drop", ()),
                         "dead drop delivery" + (f" ({', '.join(subtypes)})" if subtypes else ""))
        if "post" in delivery:
            tags.add("post")
            _signal_once(scores, reasons, once.get("post", ()), "postal delivery")
    if not precursors:
        return
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
    scores, tags, reasons, rule_info = ev.scores, ev.tags, ev.reasons, model.rule_info
    for idx, terms in _rule_hits(text, model, _skip_for(model, tags)).items():
        cls, tag, weight, cap, label = rule_info[idx]
        total = weight * len(terms)
        total = max(total, cap) if weight < 0 else min(total, cap)
        reason = label + ", ".join(terms[:_MAX_REASONS_PER_RULE])
        if cls == "*":
            penalties += total
            ev.negatives.append(reason)
            continue
        if tag:
            tags.add(tag)
        scores[cls] = scores.get(cls, 0.0) + total
        got = reasons.get(cls)
        if got is None:
            reasons[cls] = [reason]
        else:
            got.append(reason)
    candidates: list[tuple[float, int, str]] = []
    for cls, threshold, alts, neg_rank in model.class_checks:
        score = scores.get(cls, 0.0) + penalties
        if score < threshold:
            continue
        for alt in alts:
            if alt <= tags:
                candidates.append((score, neg_rank, cls))
                break
    if not candidates:
        if ev.negatives:
            return "other", ev.negatives
        return "other", ["no category reached its threshold"]
    _, _, best = max(candidates)
    return best, ev.reasons.get(best, []) + ev.negatives
