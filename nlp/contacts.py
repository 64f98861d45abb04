"""Contact detection in untrusted post text: messengers, onions, URLs, e-mail, phones, wallets, cards, PGP.

The detectors are a table (``nlp/data/contacts/detectors.toml``: pattern, label, validator, context);
every regex hit goes through its validator (checksums, E.164 parsing, Luhn) before it is reported.

Normalised values:

* telegram: ``@handle`` lower-cased (Telegram usernames are case-insensitive); ``t.me/name``,
  ``t.me/s/name``, ``t.me/name?start=x``, ``тг: name`` and ``@ name`` all give ``@name``; invite links give
  ``t.me/+HASH`` (the hash is case-sensitive and kept as written; ``joinchat/HASH`` is rewritten to it).
* onion: lower-case ``<56 chars>.onion`` host (v3 only, checksum-valid; subdomain, scheme, port, path
  dropped). url: the URL with trailing punctuation removed and scheme/host lower-cased.
* email / jabber: ``local@domain`` lower-cased, ``[at]``/``(собака)``/``[dot]`` de-obfuscated.
* phone, signal, whatsapp, qiwi (phone numbers): E.164. A number preceded by a WhatsApp/Signal/QIWI
  keyword gets that type instead of ``phone`` (one type per span). signal usernames: lower-case.
* btc/ltc: bech32 lower-case or base58 as written (mainnet only; testnet coins are not payment
  contacts); eth: EIP-55 checksummed; trx, xmr: as written; card, yoomoney: digits only.
* session: 66 lower-case hex; wickr: lower-case handle; threema: 8 upper-case characters;
  pgp: 40-hex (v4) / 64-hex (v5/v6) upper-case fingerprint, or a 16-hex key id.
"""

from __future__ import annotations

import bisect
import logging
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from re import _constants as _sre_constants  # type: ignore[attr-defined]
from re import _parser as _sre_parser  # type: ignore[attr-defined]
from typing import Any, TypedDict

from nlp.validators import cards, crypto, onion, pgp, phones
from nlp.validators.pgp import find_armored_keys

__all__ = ["CONTACT_TYPES", "Contact", "find_contacts"]

log = logging.getLogger(__name__)

# The validators are pure functions of the matched string; the same contacts recur across a shop's posts,
# so their (immutable) results are cached, bounded.
_VALIDATOR_CACHE = 8192
validate_onion = lru_cache(maxsize=_VALIDATOR_CACHE)(onion.validate_onion)
validate_card = lru_cache(maxsize=_VALIDATOR_CACHE)(cards.validate_card)
normalize_fingerprint = lru_cache(maxsize=_VALIDATOR_CACHE)(pgp.normalize_fingerprint)
is_formatted_phone = lru_cache(maxsize=_VALIDATOR_CACHE)(phones.is_formatted_phone)
_validate_eth = lru_cache(maxsize=_VALIDATOR_CACHE)(crypto.validate_eth)
_classify_address = lru_cache(maxsize=_VALIDATOR_CACHE)(crypto.classify_address)


@lru_cache(maxsize=_VALIDATOR_CACHE)
def parse_phone(raw: str) -> str | None:
    """:func:`nlp.validators.phones.parse_phone` with its default regions, cached."""
    return phones.parse_phone(raw)

CONTACT_TYPES = ("telegram", "onion", "url", "email", "phone", "jabber", "session", "wickr", "threema",
                 "signal", "whatsapp", "btc", "ltc", "eth", "trx", "xmr", "card", "qiwi", "yoomoney", "pgp")

DATA_DIR = Path(__file__).parent / "data" / "contacts"
# Validation calls per detector per text: real posts carry a handful of contacts; hostile text with
# millions of candidates must not turn into millions of checksum or phonenumbers calls.
MAX_CANDIDATES = 400

# (type, value, start, end)
Hit = tuple[str, str, int, int]
# Literal heads grouped by the `requires` substrings they hold: ((needed, heads), ...); a head can occur
# only when all its needed substrings do.
HeadGroups = tuple[tuple[frozenset[str], tuple[str, ...]], ...]


class Contact(TypedDict):
    """One validated contact: ``text[start:end]`` is what was written, ``value`` its normalised form."""

    type: str
    value: str
    start: int
    end: int


@dataclass(frozen=True)
class _Detector:
    label: str
    regex: re.Pattern[str]
    validator: str
    context: str | None
    priority: int
    requires: tuple[str, ...]
    prefilter: re.Pattern[str] | None = None  # found inside every hit; nothing found: skip the detector
    prefilter_in_runs: bool = False  # every prefilter match lies inside one _RUN_RE piece (see _in_runs)
    heads: HeadGroups | None = None  # every match starts with one of these (see _literal_heads)
    prefilter_heads: HeadGroups | None = None  # the same for the prefilter
    icase: bool = False  # the regex ignores case
    window: _Window | None = None  # every match holds an anchor near its start (see _WINDOWS)
    scan: re.Pattern[str] | None = None  # finds what ``regex`` finds, faster (see _SCANS); None: ``regex``
    runs_prefilter: re.Pattern[str] | None = None  # matches in the runs iff ``prefilter`` does (_EXISTS)


@dataclass(frozen=True)
class _Window:
    """Every match of a detector's regex holds one of ``anchors`` (lower-case literals, looked up in the
    lower-cased case-safe text) starting at most ``before`` characters after the match start, and starts
    where ``starts`` (a single character with look-behinds, the regex's flags) matches."""

    anchors: tuple[str, ...]
    before: int
    starts: re.Pattern[str]
    to_anchor: bool = False  # ``starts`` is searched up to the anchor (endpos), not up to and including it
    check: re.Pattern[str] | None = None  # matches at the anchor of every match (other anchors are skipped)


# Detectors led by a look-behind have no fast first-character scan: ``finditer`` tries every position of the
# post, and the regex runs its word-run quantifiers at every word (e-mail, onion) or tries its optional
# prefixes at every letter (t.me links). The regex is tried only near its anchors instead. Keyed by the
# pattern's beginning up to its anchor: what the window rests on; a pattern that does not start so is
# scanned in full. (prefix, flags, anchors, before, starts, to_anchor, check); ``before`` adds the widest run in
# front of the anchor.
_WINDOWS: tuple[tuple[str, int, tuple[str, ...], int, str, bool, str | None], ...] = (
    # onion: 56 (or 16) base32 characters, up to 2 blanks, a dot of at most 5 characters, up to 2 blanks.
    (r"(?<![a-z0-9-])([a-z2-7]{56}|[a-z2-7]{16})\s{0,2}(?:\.|\[\.\]|\(\.\)|\[dot\]|\(dot\))\s{0,2}onion",
     re.IGNORECASE, ("onion",), 56 + 2 + 5 + 2, r"(?<![a-z0-9-])[a-z2-7]", False, None),
    # t.me: "https://" (8), "www." (4), "telegram" (8), up to 2 blanks, the dot, up to 2 blanks.
    (r"(?<![\w.@])(?:https?://)?(?:www\.)?(?:t|telegram)\s{0,2}\.\s{0,2}(?:me|dog)",
     re.IGNORECASE, ("me", "dog"), 8 + 4 + 8 + 2 + 1 + 2, r"(?<![\w.@])[hwt]", False, None),
    # e-mail: the local part (1 + 63 characters) and up to 2 blanks before the "@" or its spelled-out forms.
    # No anchor starts inside a local part and its blanks (an anchor's first character is "@", a bracket or
    # a blank followed by "с"), so a match's separator is the first anchor after its start: ``starts``
    # checks that the local part and blanks reach the anchor (``\Z`` at endpos = the anchor); the prefix holds
    # the domain's first label and dot, and ``check`` (the separator, label and dot) skips the anchors without
    # them ("@shop_bot").
    (r"(?<![\w.+-])[\w+-][\w.+-]{0,63}\s{0,2}(?:@|\[at\]|\(at\)|\[собака\]|\(собака\)|\{at\}| собака )"
     r"\s{0,2}[\w-]{1,63}(?:(?:\.|\[\.\]|\[dot\]|\(dot\)| dot | точка )[\w-]{1,63}){1,5}",
     re.IGNORECASE, ("@", "[at]", "(at)", "[собака]", "(собака)", "{at}", " собака "), 1 + 63 + 2,
     r"(?<![\w.+-])[\w+-](?=[\w.+-]{0,63}\s{0,2}\Z)", True,
     r"(?:@|\[at\]|\(at\)|\[собака\]|\(собака\)|\{at\}| собака )\s{0,2}[\w-]{1,63}"
     r"(?:\.|\[\.\]|\[dot\]|\(dot\)| dot | точка )"),
)

# Faster regexes that find exactly what a detector's regex finds (same spans, same groups), keyed by that
# regex and its flags. The phone regex starts with a look-behind; this one starts with the character class
# of the first character ("+", "(" or a digit, the digits as ranges with a digit test), so re skips to
# candidates in C, and then checks with look-behinds which character it took and what preceded it.
_SCANS: dict[tuple[str, int], str] = {
    (r"(?<![\w+(])(?:\+\s?|\()?\d[\d \u00a0().\-]{5,20}\d(?!\w)", 0):
        r"[+(0-9\u0660-\U0010ffff](?:(?<=\+)(?<![\w+(]\+)\s?\d|(?<=\()(?<![\w+(]\()\d|(?<=\d)(?<![\w+(]\d))"
        r"[\d \u00a0().\-]{5,20}\d(?!\w)",
    # base58 addresses: led by the class, which a look-behind then checks is no continuation of a word.
    (r"(?<![0-9A-Za-z])[1-9A-HJ-NP-Za-km-z]{25,35}(?![0-9A-Za-z])", 0):
        r"[1-9A-HJ-NP-Za-km-z](?<![0-9A-Za-z][1-9A-HJ-NP-Za-km-z])[1-9A-HJ-NP-Za-km-z]{24,34}(?![0-9A-Za-z])",
    # PGP key ids: "0x" and the hex run, or the hex run alone (its first character taken by the class).
    (r"(?<![0-9A-Za-z])(?:0x)?(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{16})(?![0-9A-Za-z])", 0):
        r"[0-9A-Fa-f](?<![0-9A-Za-z][0-9A-Fa-f])(?:(?<=0)x(?:[0-9A-Fa-f]{40}|[0-9A-Fa-f]{16})"
        r"|(?:[0-9A-Fa-f]{39}|[0-9A-Fa-f]{15}))(?![0-9A-Za-z])",
}

# Prefilters only answer "is there a match", so they may be replaced by regexes that match somewhere exactly
# when they do, with fewer attempts (a plain run of n class characters is left alone: re counts it in a tight
# loop, faster than any look-behind): 12 card digits with single separators
# exist iff such a sequence starts at a digit that no digit, or digit and separator, precede; four hex
# digits, one or two blanks, four hex digits: led by the first blank after the four digits.
_EXISTS: dict[tuple[str, int], str] = {
    (r"\d(?:[ \-\u00a0]?\d){11}", 0): r"\d(?<!\d\d)(?<!\d[ \-\u00a0]\d)(?:[ \-\u00a0]?\d){11}",
    (r"[0-9A-Fa-f]{4}[ \u00a0]{1,2}[0-9A-Fa-f]{4}", 0):
        r"[ \u00a0](?<=[0-9A-Fa-f]{4}[ \u00a0])[ \u00a0]?[0-9A-Fa-f]{4}",
}


def _window_of(pattern: str, flags: int) -> _Window | None:
    for prefix, prefix_flags, anchors, before, starts, to_anchor, check in _WINDOWS:
        if pattern.startswith(prefix) and flags == prefix_flags:
            return _Window(anchors, before, re.compile(starts, flags), to_anchor,
                           re.compile(check, flags) if check is not None else None)
    return None


@dataclass(frozen=True)
class _Tables:
    detectors: tuple[_Detector, ...]
    requires: tuple[str, ...]  # every detector's `requires` substrings, once each
    run_requires: tuple[str, ...]  # those made of a-z, 0-9, "." and "@" (see _present)
    other_requires: tuple[str, ...]  # the rest
    context: dict[str, re.Pattern[str]]
    context_words: dict[str, tuple[str, ...]]
    window: int
    tg_reserved: frozenset[str]
    xmpp_servers: frozenset[str]


# Runs of ASCII letters, digits (any script), blanks and ( ) . - @ that start with a letter, digit, "." or
# "@". A prefilter whose every match is made of these characters and starts with one of its start
# characters, with no look-around or anchor, matches in the text exactly when it matches in the runs joined
# by line breaks (a line break is no run character, so no match spans two runs; a match in the text lies in
# the run that starts at the first start character of its stretch of run characters). _RUN_START and
# _RUN_CHAR are the exact classes the prefilters are checked against; _RUN_RE scans with wider classes
# (every character from U+0660 on, where the non-ASCII digits are: a range test is cheaper than the digit
# category), which only makes some runs longer. The runs regex starts with a character class, so one C
# scan collects them; the prefilters then search a few characters, not the post.
_RUN_START = re.compile(r"[\dA-Za-z.@]")
_RUN_CHAR = re.compile(r"[\dA-Za-z \u00a0().\-@]")
_RUN_RE = re.compile(r"[0-9A-Za-z.@\u0660-\U0010ffff][0-9A-Za-z \u00a0().\-@\u0660-\U0010ffff]*")
_RUN_LITERAL = re.compile(r"[a-z0-9.@]+")  # requires substrings that _present looks for in the runs
_REPEATS = (_sre_constants.MAX_REPEAT, _sre_constants.MIN_REPEAT, _sre_constants.POSSESSIVE_REPEAT)


def _set_in(items: Any, chars: re.Pattern[str]) -> bool:
    """Every character of a parsed character set (``IN`` items) matches ``chars``."""
    for op, av in items:
        if op is _sre_constants.LITERAL:
            ok = chars.fullmatch(chr(av)) is not None
        elif op is _sre_constants.RANGE:
            ok = av[1] - av[0] < 1024 and all(chars.fullmatch(chr(c)) for c in range(av[0], av[1] + 1))
        elif op is _sre_constants.CATEGORY:
            ok = av is _sre_constants.CATEGORY_DIGIT  # both run classes hold \d
        else:
            ok = False
        if not ok:
            return False
    return True


def _all_in(seq: Any, chars: re.Pattern[str]) -> bool:
    """Every character a parsed pattern can match matches ``chars``; no look-around, anchor or flag group."""
    for op, av in seq:
        if op is _sre_constants.LITERAL:
            ok = chars.fullmatch(chr(av)) is not None
        elif op is _sre_constants.IN:
            ok = _set_in(av, chars)
        elif op in _REPEATS:
            ok = _all_in(av[2], chars)
        elif op is _sre_constants.SUBPATTERN:
            ok = not av[1] and not av[2] and _all_in(av[3], chars)
        elif op is _sre_constants.BRANCH:
            ok = all(_all_in(branch, chars) for branch in av[1])
        else:
            ok = False
        if not ok:
            return False
    return True


def _head_in(seq: Any, chars: re.Pattern[str]) -> bool:
    """The first character of every match of a parsed pattern matches ``chars``."""
    if not len(seq):
        return False
    op, av = seq[0]
    if op is _sre_constants.LITERAL:
        return chars.fullmatch(chr(av)) is not None
    if op is _sre_constants.IN:
        return _set_in(av, chars)
    if op in _REPEATS:
        return bool(av[0] >= 1) and _head_in(av[2], chars)
    if op is _sre_constants.SUBPATTERN:
        return _head_in(av[3], chars)
    if op is _sre_constants.BRANCH:
        return all(_head_in(branch, chars) for branch in av[1])
    return False


def _in_runs(prefilter: re.Pattern[str]) -> bool:
    """Whether ``prefilter`` may search the joined runs instead of the text (see ``_RUN_RE``)."""
    if prefilter.flags & re.IGNORECASE:
        return False  # case folding reaches characters outside the runs (the Kelvin sign is a "k")
    try:
        parsed = _sre_parser.parse(prefilter.pattern, prefilter.flags)
    except Exception:  # a private module: should it change, search the whole text
        return False
    return _all_in(parsed, _RUN_CHAR) and _head_in(parsed, _RUN_START)


def _present(lower: str, runs: str, case_safe: bool, tables: _Tables) -> set[str]:
    """The ``requires`` substrings that occur in ``lower`` (``text.lower()``).

    In case-safe text (see ``_NOT_CASE_SAFE``) a substring made of ASCII letters, digits, "." and "@"
    comes from such characters of the text, all inside one run (see ``_RUN_RE``): it is looked for in the
    lower-cased runs, a few characters in a Cyrillic post, instead of the whole post.
    """
    if not case_safe:
        return set(filter(lower.__contains__, tables.requires))
    found = set(filter(runs.lower().__contains__, tables.run_requires))
    found.update(filter(lower.__contains__, tables.other_requires))
    return found


def _heads(seq: Any) -> list[str] | None:
    """The literal text every match of a parsed pattern starts with, per alternative; None if unknown."""
    k = 0
    while k < len(seq) and seq[k][0] in (_sre_constants.ASSERT, _sre_constants.ASSERT_NOT):
        k += 1  # look-arounds take no characters
    if k == len(seq):
        return None
    op, av = seq[k]
    if op is _sre_constants.LITERAL:
        head = ""
        while k < len(seq) and seq[k][0] is _sre_constants.LITERAL:
            head += chr(seq[k][1])
            k += 1
        return [head]
    if op is _sre_constants.SUBPATTERN and not av[1] and not av[2]:
        return _heads(av[3])
    if op is _sre_constants.BRANCH:
        heads: list[str] = []
        for branch in av[1]:
            got = _heads(branch)
            if got is None:
                return None
            heads += got
        return heads
    return None


def _literal_heads(pattern: str, flags: int, requires: tuple[str, ...] = ()) -> tuple[str, ...] | None:
    """Strings one of which starts every match of ``pattern`` (lower-cased when it ignores case), fewest needed.

    The literal text each alternative starts with, replaced by a ``requires`` substring it starts with (which
    occurs wherever the head does, and may be known absent). ``_matches`` then tries the regex only where one
    of them occurs: a regex led by a look-behind, or by letters under IGNORECASE, has no fast
    first-character scan of its own, so ``finditer`` tries every position of the post.
    """
    try:
        parsed = _sre_parser.parse(pattern, flags)
    except Exception:  # a private module: should it change, scan with finditer
        return None
    if not flags & re.IGNORECASE and len(parsed) and parsed[0][0] is _sre_constants.LITERAL:
        return None  # re scans for a leading literal itself
    heads = _heads(parsed)
    if not heads or not all(heads):
        return None
    if flags & re.IGNORECASE:
        heads = [h.lower() for h in heads]
    shortest = sorted(requires, key=len)
    heads = [next((r for r in shortest if r and h.startswith(r)), h) for h in heads]
    kept: list[str] = []
    for h in sorted(set(heads), key=len):
        if not any(h.startswith(k) for k in kept):  # a head's occurrences include any longer one's
            kept.append(h)
    return tuple(kept)


# Characters of which str.lower() and IGNORECASE agree: ASCII, basic Cyrillic, and characters without case
# (Latin-1 punctuation but the micro sign, ×, ÷, general punctuation, currency signs, arrows, technical
# and box-drawing symbols, dingbats, variation selectors, emoji); tests check every one. In text made only
# of them, lower-casing keeps every offset, and a letter matches a pattern letter case-insensitively
# exactly when their lower cases are equal (the odd case partners, like the Kelvin sign or the long s,
# are not among them).
_NOT_CASE_SAFE = re.compile(r"[^\x00-\x7f\u00a0-\u00b4\u00b6-\u00bf\u00d7\u00f7\u0400-\u04ff\u2000-\u206f"
                            r"\u20a0-\u20cf\u2190-\u23ff\u2500-\u27bf\u2b00-\u2bff\ufe00-\ufe0f"
                            r"\U0001f000-\U0001faff]")


def _odd_folds() -> re.Pattern[str] | None:
    """Characters outside the case-safe ones that IGNORECASE matches to a letter of another lower case
    (the long s for "s", the dotless i for "i", Cyrillic small letter rounded ve for "в" ...), from re's own
    table; None if that private module changes."""
    try:
        from re import _casefix  # type: ignore[attr-defined]

        chars = {chr(c) for k, vs in _casefix._EXTRA_CASES.items() for c in (k, *vs)}
    except Exception:
        return None
    odd = sorted(c for c in chars if _NOT_CASE_SAFE.match(c))
    return re.compile("[" + "".join(re.escape(c) for c in odd) + "]")


_ODD_FOLDS = _odd_folds()


def _fold_proxy(text: str, lower: str, case_safe: bool) -> str | None:
    """``lower`` (``text.lower()``) where every case-insensitive occurrence in ``text`` of a literal made of
    case-safe characters is an occurrence of the literal's lower case at the same offset; else None.

    Case-safe text qualifies. Other text does when lower-casing keeps its length (only U+0130 lower-cases
    to two characters) and it has none of ``_ODD_FOLDS``: a character then matches such a literal's
    character case-insensitively only when its lower case is that character's lower case.
    """
    if case_safe:
        return lower
    if _ODD_FOLDS is None or len(lower) != len(text) or _ODD_FOLDS.search(text) is not None:
        return None
    return lower


def _head_groups(heads: tuple[str, ...] | None, requires: tuple[str, ...]) -> HeadGroups | None:
    """``heads`` grouped by the ``requires`` substrings each holds (in first-seen order)."""
    if heads is None:
        return None
    groups: dict[frozenset[str], list[str]] = {}
    for head in heads:
        groups.setdefault(frozenset(r for r in requires if r in head), []).append(head)
    return tuple((needed, tuple(hs)) for needed, hs in groups.items())


def _head_starts(groups: HeadGroups, hay: str, present: set[str], limit: int) -> list[int] | None:
    """Sorted offsets in ``hay`` where one of the heads occurs; None past ``limit``.

    A head holding a ``requires`` substring that is not in the post (not in ``present``) does not occur.
    """
    starts: list[int] = []
    for needed, heads in groups:
        if needed and not needed <= present:
            continue
        for head in heads:
            pos = hay.find(head)
            while pos >= 0:
                starts.append(pos)
                pos = hay.find(head, pos + 1)
        if len(starts) > limit:
            return None
    starts.sort()
    return starts


def _matches(det: _Detector, text: str, lower: str | None, present: set[str],
             proxy: str | None = None) -> Iterator[re.Match[str]]:
    """Exactly ``det.regex.finditer(text)``, trying the regex only where one of ``det.heads`` occurs.

    ``match(text, pos)`` sees the text around ``pos`` (look-behinds), and the scan resumes after each match
    as ``finditer`` does. Case-insensitive heads are looked up in ``lower`` (``text.lower()``; None when
    the text is not made of case-safe characters: then, and for text dense with heads, ``finditer``);
    heads holding ``requires`` substrings not in ``present`` are not looked up. A detector with a window
    (see ``_WINDOWS``) is tried at the start candidates before its anchors, looked up in ``proxy`` (see
    :func:`_fold_proxy`; None: ``finditer``).
    """
    heads = det.heads
    hay = lower if det.icase else text
    limit = len(text) // 4 + 16
    if det.window is not None:
        # Text dense with anchors (hostile) is scanned with finditer: windows cost Python work per anchor.
        starts = None if proxy is None else _window_starts(det.window, text, proxy, len(text) // 16 + 16)
    else:
        starts = None if heads is None or hay is None else _head_starts(heads, hay, present, limit)
    if starts is None:
        yield from (det.scan or det.regex).finditer(text)
        return
    match = det.regex.match
    end = 0
    tried = -1
    for pos in starts:
        if pos < end or pos == tried:
            continue
        tried = pos
        m = match(text, pos)
        if m is not None:
            yield m
            end = m.end()


def _window_starts(window: _Window, text: str, lower: str, limit: int) -> list[int] | None:
    """Sorted offsets where a match can start: ``window.starts`` within ``window.before`` characters before
    an anchor (``lower`` is the case-safe text lower-cased); None past ``limit`` anchors."""
    anchors: list[int] = []
    for anchor in window.anchors:
        pos = lower.find(anchor)
        while pos >= 0:
            anchors.append(pos)
            pos = lower.find(anchor, pos + 1)
        if len(anchors) > limit:
            return None
    anchors.sort()
    if window.check is not None:
        check = window.check.match
        anchors = [a for a in anchors if check(text, a) is not None]
    out: list[int] = []
    scanned = 0  # candidates below this were collected already
    finditer = window.starts.finditer
    before = window.before
    stop = 0 if window.to_anchor else 1
    for a in anchors:
        lo = a - before
        if lo < scanned:
            lo = scanned
        if lo > a:
            continue
        # The start class takes one character and looks only back (or, ``to_anchor``, ahead up to the
        # anchor): endpos cuts nothing it needs.
        out.extend(m.start() for m in finditer(text, lo, a + stop))
        scanned = a + 1
    return out


def _prefilter_found(det: _Detector, text: str, lower: str | None, runs: str, present: set[str]) -> bool:
    """Whether ``det.prefilter`` matches somewhere in ``text`` (same answer as ``search``, found cheaper)."""
    prefilter = det.prefilter
    assert prefilter is not None
    if det.prefilter_in_runs and det.runs_prefilter is not None:
        return det.runs_prefilter.search(runs) is not None
    hay = lower if det.icase else text
    if det.prefilter_heads is not None and hay is not None:
        # Every match starts at an occurrence of a head: try the prefilter there only.
        starts = _head_starts(det.prefilter_heads, hay, present, 32)
        if starts is not None:
            return any(prefilter.match(text, pos) is not None for pos in starts)
    return prefilter.search(text) is not None


def _keyword_regex(words: list[str]) -> re.Pattern[str]:
    alts = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alts})(?!\w)", re.IGNORECASE)


@cache
def _tables() -> _Tables:
    spec = tomllib.loads((DATA_DIR / "detectors.toml").read_text(encoding="utf-8"))
    ctx = tomllib.loads((DATA_DIR / "context.toml").read_text(encoding="utf-8"))
    detectors: list[_Detector] = []
    for d in spec["detector"]:
        flags = re.IGNORECASE if "i" in d.get("flags", "") else 0
        prefilter = re.compile(d["prefilter"], flags) if d.get("prefilter") else None
        requires = tuple(d.get("requires", ()))
        detectors.append(_Detector(
            d["label"], re.compile(d["pattern"], flags), d["validator"], d.get("context"),
            int(d.get("priority", 50)), requires, prefilter,
            prefilter_in_runs=prefilter is not None and _in_runs(prefilter),
            runs_prefilter=None if prefilter is None else re.compile(
                _EXISTS.get((d["prefilter"], flags), d["prefilter"]), flags),
            heads=_head_groups(_literal_heads(d["pattern"], flags, requires), requires),
            prefilter_heads=_head_groups(_literal_heads(d["prefilter"], flags, requires), requires)
            if prefilter is not None else None,
            icase=bool(flags & re.IGNORECASE), window=_window_of(d["pattern"], flags),
            scan=re.compile(_SCANS[d["pattern"], flags], flags) if (d["pattern"], flags) in _SCANS else None))
    requires = tuple(dict.fromkeys(r for det in detectors for r in det.requires))
    return _Tables(
        detectors=tuple(detectors),
        requires=requires,
        run_requires=tuple(r for r in requires if _RUN_LITERAL.fullmatch(r)),
        other_requires=tuple(r for r in requires if not _RUN_LITERAL.fullmatch(r)),
        context={k: _keyword_regex(v) for k, v in ctx["context"].items()},
        context_words={k: tuple(v) for k, v in ctx["context"].items()},
        window=int(ctx.get("window", 48)),
        tg_reserved=frozenset(ctx["telegram"]["reserved_paths"]),
        xmpp_servers=frozenset(ctx["jabber"]["servers"]),
    )


def _window_start(text: str, start: int, window: int | None = None) -> int:
    """Context is looked for in the ``window`` characters before a hit, on the same line."""
    w = _tables().window if window is None else window
    lo = max(0, start - w)
    nl = text.rfind("\n", lo, start)
    return nl + 1 if nl >= 0 else lo


# The text :func:`_candidates` works on and its lower case where :func:`_fold_proxy` allows (else None): validators get
# the text only. One tuple, replaced whole, so a thread never pairs one text with another's lower case.
_LAST_LOWER: tuple[str | None, str | None] = (None, None)


def _safe_lower(text: str) -> str | None:
    """``text.lower()`` where it finds every case-insensitive keyword occurrence (see :func:`_fold_proxy`)."""
    global _LAST_LOWER
    last = _LAST_LOWER
    if last[0] is text:
        return last[1]
    lower = text.lower()
    proxy = _fold_proxy(text, lower, _NOT_CASE_SAFE.search(text) is None)
    _LAST_LOWER = (text, proxy)
    return proxy


@lru_cache(maxsize=64)
def _context_gate(keys: tuple[str, ...]) -> re.Pattern[str] | None:
    """The keywords of ``keys``, lower-cased, as one case-sensitive alternation without look-arounds.

    In text :func:`_fold_proxy` accepts, every keyword match of a context regex is an occurrence of one of
    these in the lower case (the regexes only add word-boundary look-arounds): where this finds nothing in a window, none of
    the regexes does, found by one fast scan. None when a keyword is not case-safe itself.
    """
    words = {w.lower() for key in keys for w in _tables().context_words[key]}
    if not words or any(_NOT_CASE_SAFE.search(w) for w in words):
        return None
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


def _no_context(text: str, lo: int, hi: int, keys: tuple[str, ...]) -> bool:
    """True when no keyword of ``keys`` can occur in ``text[lo:hi]`` (False: it may)."""
    lower = _safe_lower(text)
    if lower is None:
        return False
    gate = _context_gate(keys)
    return gate is not None and gate.search(lower, lo, hi) is None


def _has_context(text: str, start: int, key: str, window: int | None = None) -> bool:
    lo = _window_start(text, start, window)
    if _no_context(text, lo, start, (key,)):
        return False
    return _tables().context[key].search(text, lo, start) is not None


def _nearest_context(text: str, start: int, keys: tuple[str, ...]) -> str | None:
    """The key whose keyword occurs closest before ``start`` (same line, within the window)."""
    lo = _window_start(text, start)
    if _no_context(text, lo, start, keys):
        return None
    best: tuple[int, str] | None = None
    for key in keys:
        for m in _tables().context[key].finditer(text, lo, start):
            if best is None or m.end() > best[0]:
                best = (m.end(), key)
    return best[1] if best else None


def _context_after(text: str, end: int, keys: tuple[str, ...], window: int = 16) -> str | None:
    """The key whose keyword starts first within ``window`` characters after ``end`` (same line)."""
    hi = min(len(text), end + window)
    nl = text.find("\n", end, hi)
    hi = nl if nl >= 0 else hi
    if _no_context(text, end, hi, keys):
        return None
    best: tuple[int, str] | None = None
    for key in keys:
        m = _tables().context[key].search(text, end, hi)
        if m and (best is None or m.start() < best[0]):
            best = (m.start(), key)
    return best[1] if best else None


# ------------------------------------------------------------------ validators (match -> Hit | None)
_TG_HANDLE = re.compile(r"^[a-z][a-z0-9_]{4,31}$")
# Cyrillic letters that look like Latin ones, as used to dodge filters ("@shор_bot" with Cyrillic о, р).
_HOMOGLYPHS = str.maketrans("аеорсухкіАВЕКМНОРСТХ", "aeopcyxkiABEKMHOPCTX")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")


@lru_cache(maxsize=_VALIDATOR_CACHE)
def _tg_handle(name: str) -> str | None:
    """``@handle`` for a Telegram username as written (homoglyphs folded), None if it is not one (cached)."""
    if _CYRILLIC.search(name):
        if not re.search(r"[A-Za-z]", name):
            return None  # an all-Cyrillic word is a word, not a disguised handle
        name = name.translate(_HOMOGLYPHS)
    h = name.lower()
    if not _TG_HANDLE.match(h) or h.endswith("_") or "__" in h:
        return None
    return "@" + h


def _v_telegram_link(m: re.Match[str], text: str, label: str) -> Hit | None:
    preview, invite, name = m.group(1), m.group(2), m.group(3)
    if invite:
        if len(name) < 10 or _CYRILLIC.search(name):
            return None
        return "telegram", "t.me/+" + name, m.start(), m.end()
    if not preview and name.lower() in _tables().tg_reserved:
        return None
    handle = _tg_handle(name)
    return ("telegram", handle, m.start(), m.end()) if handle else None


def _v_at_handle(m: re.Match[str], text: str, label: str) -> Hit | None:
    handle = _tg_handle(m.group(1))
    return ("telegram", handle, m.start(), m.end()) if handle else None


_HANDLE_STOPWORDS = frozenset({"wickr", "wickrme", "signal", "telegram", "threema", "session", "jabber"})


def _v_context_handle(m: re.Match[str], text: str, label: str) -> Hit | None:
    name = m.group(1)
    between = text[m.start() : m.start(1)]
    if not any(c in between for c in ":-–—=@") and not re.search(r"[_\d.]", name):
        return None  # "wickr ldn_brown" is a handle; "telegram channel" / "wickr is dead" are words
    if label == "telegram":
        handle = _tg_handle(name)
        return ("telegram", handle, m.start(1), m.end(1)) if handle else None
    value = name.lower().rstrip(".-")
    if value in _HANDLE_STOPWORDS or (label == "wickr" and not re.search(r"[a-z]", value)):
        return None
    return label, value, m.start(1), m.start(1) + len(value)


def _v_threema(m: re.Match[str], text: str, label: str) -> Hit | None:
    tid = m.group(1).upper()
    if not re.search(r"[A-Z*]", tid) or not re.search(r"\d", tid):
        return None  # real IDs mix letters and digits; this also rejects plain words after "threema"
    return "threema", tid, m.start(1), m.end(1)


_ONION_PREFIX = re.compile(r"(?:[a-z][a-z0-9+.-]{0,15}://)?(?:[a-z0-9-]{1,63}\.){0,3}\Z", re.I)


def _v_onion(m: re.Match[str], text: str, label: str) -> Hit | None:
    check = validate_onion(m.group(1) + ".onion")
    if not check.valid or check.normalized is None:
        return None
    end = m.end()
    while end > m.start() and text[end - 1] in ".,;:!?)]}'\"":
        end -= 1
    # Extend the span back over "scheme://" and subdomains ("www."), looking at most 300 characters back.
    lo = max(0, m.start() - 300)
    pre = _ONION_PREFIX.search(text, lo, m.start())
    start = pre.start() if pre else m.start()
    return "onion", check.normalized, start, end


_URL_TRAIL = ".,;:!?)]}'\"»…"
_HOST_RE = re.compile(r"^(?:[a-z0-9\u00a1-\uffff](?:[a-z0-9\u00a1-\uffff-]{0,61}[a-z0-9\u00a1-\uffff])?\.){1,8}"
                      r"(?:[a-z\u00a1-\uffff]{2,63}|xn--[a-z0-9-]{1,59})$|^\d{1,3}(?:\.\d{1,3}){3}$")


def _v_url(m: re.Match[str], text: str, label: str) -> Hit | None:
    raw = m.group(0)
    while raw and raw[-1] in _URL_TRAIL:
        raw = raw[:-1]
    lower = raw.lower()
    if lower.startswith("www."):
        scheme, rest = "", raw
    elif "://" not in raw:
        return None  # "www.." lost its dot to the trailing punctuation: no host left
    else:
        scheme, rest = raw.split("://", 1)[0].lower() + "://", raw.split("://", 1)[1]
    host_end = len(rest)
    for sep in "/?#":
        i = rest.find(sep)
        if i >= 0:
            host_end = min(host_end, i)
    hostport, tail = rest[:host_end], rest[host_end:]
    host = hostport.rsplit("@", 1)[-1].split(":", 1)[0].lower().rstrip(".")
    if not _HOST_RE.match(host):
        return None
    bare = host[4:] if host.startswith("www.") else host
    if bare.endswith(".onion") or bare in ("t.me", "telegram.me", "telegram.dog", "wa.me", "threema.id"):
        return None  # own types
    value = scheme + hostport.lower() + tail
    return "url", value, m.start(), m.start() + len(raw)


_EMAIL_SPLIT = re.compile(r"\s{0,2}(?:@|\[at\]|\(at\)|\[собака\]|\(собака\)|\{at\}| собака )\s{0,2}", re.I)
_DOT_OBF = re.compile(r"\[\.\]|\[dot\]|\(dot\)| dot | точка ", re.I)
_LOCAL_RE = re.compile(r"^[\w+-](?:[\w.+-]{0,62}[\w+-])?$")


def _v_email(m: re.Match[str], text: str, label: str) -> Hit | None:
    raw = m.group(0)
    parts = _EMAIL_SPLIT.split(raw, maxsplit=1)
    if len(parts) != 2:
        return None
    local, domain = parts[0], _DOT_OBF.sub(".", parts[1]).lower()
    end = m.end()
    while domain.endswith((".", "-")):
        domain, end = domain[:-1], end - 1
    if not _LOCAL_RE.match(local) or ".." in local or not _HOST_RE.match(domain):
        return None
    if domain.endswith(".onion") and not validate_onion(domain).valid:
        return None
    value = f"{local.lower()}@{domain}"
    kind = "email"
    bare = domain[4:] if domain.startswith("www.") else domain
    if bare in _tables().xmpp_servers or _has_context(text, m.start(), "jabber"):
        kind = "jabber"
    return kind, value, m.start(), end


_AREA_CODE_FORM = re.compile(r"^\(\d{3,5}\)[ \u00a0]?\d")


def _v_phone(m: re.Match[str], text: str, label: str) -> Hit | None:
    raw = m.group(0).rstrip(" .-(\u00a0")
    if raw.count("(") != raw.count(")"):
        return None
    start, end = m.start(), m.start() + len(raw)
    kind = _nearest_context(text, start, ("whatsapp", "signal", "qiwi", "phone"))
    if kind in (None, "phone"):
        # "+7 701 234 56 78 (WhatsApp)": a messenger named right after the number decides the type.
        after = _context_after(text, end, ("whatsapp", "signal", "qiwi"))
        kind = after or kind
    if kind is None:
        # Without a keyword only numbers written like phones count: "+..." international, a 10+ digit
        # national number with trunk prefix 8/0 ("8 (916) 123-45-67", "0555 123 456") or "(415) 555-2671".
        digits = sum(ch.isdigit() for ch in raw)
        national = (raw[:1] in "80" and digits >= 10) or _AREA_CODE_FORM.match(raw) is not None
        if not is_formatted_phone(raw) or not (raw.startswith("+") or national):
            return None
        kind = "phone"
    e164 = parse_phone(raw)
    if e164 is None:
        return None
    return kind, e164, start, end


def _v_wa_link(m: re.Match[str], text: str, label: str) -> Hit | None:
    e164 = parse_phone("+" + m.group(1))
    return ("whatsapp", e164, m.start(), m.end()) if e164 else None


def _v_card(m: re.Match[str], text: str, label: str) -> Hit | None:
    raw = m.group(0)
    grouped = re.fullmatch(r"\d{4}(?:[ \-\u00a0]\d{4}){2,3}(?:[ \-\u00a0]\d{1,3})?", raw) is not None
    if not grouped and " " not in raw and "-" not in raw and not _has_context(text, m.start(), "card"):
        return None
    if not grouped and not _has_context(text, m.start(), "card"):
        return None
    check = validate_card(raw)
    return ("card", check.normalized, m.start(), m.end()) if check.valid and check.normalized else None


def _v_yoomoney(m: re.Match[str], text: str, label: str) -> Hit | None:
    digits = re.sub(r"\D", "", m.group(0))
    return "yoomoney", digits, m.start(), m.end()


def _v_session(m: re.Match[str], text: str, label: str) -> Hit | None:
    return "session", m.group(0).lower(), m.start(), m.end()


def _v_eth(m: re.Match[str], text: str, label: str) -> Hit | None:
    res = _validate_eth(m.group(0))
    return ("eth", res.normalized, m.start(), m.end()) if res.valid and res.normalized else None


def _v_segwit(m: re.Match[str], text: str, label: str) -> Hit | None:
    res = _classify_address(m.group(0))
    if res is None or res.network != "mainnet" or res.coin is None or res.normalized is None:
        return None
    return res.coin, res.normalized, m.start(), m.end()


_v_base58_address = _v_segwit


def _v_pgp_grouped(m: re.Match[str], text: str, label: str) -> Hit | None:
    fpr = normalize_fingerprint(m.group(0))
    return ("pgp", fpr, m.start(), m.end()) if fpr else None


def _v_pgp_hex(m: re.Match[str], text: str, label: str) -> Hit | None:
    raw = m.group(0)
    hexpart = raw[2:] if raw[:2].lower() == "0x" else raw
    if hexpart.isdigit() or hexpart.isalpha():
        return None  # an all-digit or all-letter run is not a key id
    return "pgp", hexpart.upper(), m.start(), m.end()


_VALIDATORS: dict[str, Callable[[re.Match[str], str, str], Hit | None]] = {
    "onion": _v_onion, "telegram_link": _v_telegram_link, "at_handle": _v_at_handle,
    "context_handle": _v_context_handle, "threema": _v_threema, "url": _v_url, "email": _v_email,
    "phone": _v_phone, "wa_link": _v_wa_link, "card": _v_card, "yoomoney": _v_yoomoney,
    "session": _v_session, "eth": _v_eth, "segwit": _v_segwit, "base58_address": _v_base58_address,
    "pgp_grouped": _v_pgp_grouped, "pgp_hex": _v_pgp_hex,
}


# Validators whose verdict depends on the text around the match, so a failure is not cached by string.
_CONTEXT_DEPENDENT = frozenset({"phone", "card", "email", "context_handle"})


def _candidates(text: str) -> list[tuple[int, Hit]]:
    tables = _tables()
    out: list[tuple[int, Hit]] = []
    for start, end, pgp_key in find_armored_keys(text):
        out.append((100, ("pgp", pgp_key.fingerprint, start, end)))
    global _LAST_LOWER
    lower = text.lower()
    case_safe = _NOT_CASE_SAFE.search(text) is None
    proxy = _fold_proxy(text, lower, case_safe)
    _LAST_LOWER = (text, proxy)
    runs = "\n".join(_RUN_RE.findall(text))
    present = _present(lower, runs, case_safe, tables)
    safe_lower = lower if case_safe else None
    # (No combined search of the runs' prefilters first: it cost as much as searching them one by one where
    # none matches, and was wasted where one does, in most posts with a wide vocabulary.)
    for det in tables.detectors:
        if det.requires and present.isdisjoint(det.requires):
            continue
        if det.prefilter is not None:
            if not _prefilter_found(det, text, safe_lower, runs, present):
                continue
        validate = _VALIDATORS[det.validator]
        failed: set[str] = set()
        calls = 0
        for m in _matches(det, text, safe_lower, present, proxy):
            if det.context and not _has_context(text, m.start(), det.context):
                continue
            matched = m.group(0)
            if matched in failed:
                continue  # the same string failed already (context-free validators are deterministic)
            calls += 1
            if calls > MAX_CANDIDATES:
                log.debug("contacts: detector %s hit the %d-candidate cap", det.validator, MAX_CANDIDATES)
                break
            hit = validate(m, text, det.label)
            if hit is None:
                if det.validator not in _CONTEXT_DEPENDENT:
                    failed.add(matched)
                continue
            out.append((det.priority, hit))
    return out


def find_contacts(text: str) -> list[Contact]:
    """Find and validate contacts in ``text``.

    Returns dicts ``{"type", "value", "start", "end"}`` (offsets into ``text``), sorted by start,
    without duplicates; where hits overlap the higher-priority detector wins (an onion URL is an
    onion, not a url; an e-mail's domain is not a separate url).
    """
    if not text:
        return []
    cands = _candidates(text)
    # Highest priority first, then longest span; accept hits that do not overlap an accepted one.
    cands.sort(key=lambda c: (-c[0], -(c[1][3] - c[1][2]), c[1][2]))
    starts: list[int] = []  # accepted spans never overlap, so sorted starts and ends stay aligned
    ends: list[int] = []
    accepted: list[Hit] = []
    for _, hit in cands:
        s, e = hit[2], hit[3]
        i = bisect.bisect_right(starts, s)
        if (i > 0 and ends[i - 1] > s) or (i < len(starts) and starts[i] < e):
            continue
        starts.insert(i, s)
        ends.insert(i, e)
        accepted.append(hit)
    accepted.sort(key=lambda h: (h[2], h[3], h[0]))
    result: list[Contact] = []
    seen: set[Hit] = set()
    for h in accepted:
        if h not in seen:
            seen.add(h)
            result.append(Contact(type=h[0], value=h[1], start=h[2], end=h[3]))
    return result
