"""Text normalisation that keeps a map back to the original offsets.

Steps, in order: Unicode NFKC per character (fullwidth digits, ligatures, compatibility forms),
removal of zero-width and variation-selector characters, lower-casing, leetspeak inside words
("m3ph", "к0кс"), Latin/Cyrillic homoglyph folding of mixed-script words ("мeф" with a Latin e,
"АМРНЕТAMINE"), and joining of letters split by spaces or dots ("м е ф", "м.е.ф") when the joined
word is known to the caller's vocabulary.

The normalised text is for matching only; every span found in it is mapped back with
:meth:`Normalized.span` so that reported offsets always index the original text.
"""

from __future__ import annotations

import re
import unicodedata
from array import array
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from functools import lru_cache

# Characters that carry no visible letter and are used to break up words ("м\u200bеф").
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff\ufe0e\ufe0f\u180e")

# Latin letter -> Cyrillic look-alike and back (lower case; the text is lower-cased first).
_INVISIBLE_RE = re.compile("[" + "".join(sorted(_INVISIBLE)) + "]")

_LAT2CYR = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "k": "к", "m": "м",
            "t": "т", "h": "н", "b": "в", "i": "і", "s": "ѕ", "j": "ј", "n": "п", "u": "и", "r": "г"}
_CYR2LAT = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y", "к": "k", "м": "m",
            "т": "t", "н": "h", "в": "b", "і": "i", "ѕ": "s", "ј": "j", "ԁ": "d", "г": "r", "п": "n",
            "и": "u", "ё": "e", "з": "3"}
# Only the first group of each table is a true homoglyph; the tail of _LAT2CYR/_CYR2LAT (n/п, u/и,
# r/г) are hand-writing look-alikes, used only when a word cannot be folded otherwise.
_STRICT_LAT = frozenset("aeopcxykmthbisj")
_STRICT_CYR = frozenset("аеорсхукмтнвіѕјԁ")

_LEET_LAT = {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
_LEET_CYR = {"0": "о", "1": "і", "3": "е", "4": "ч", "6": "б", "@": "а", "$": "ѕ"}

_LATIN = re.compile(r"[a-z]")
# "x[x]*" rather than "x+": a pattern led by a plain character class lets re skip to candidate characters.
_LATIN_RUN = re.compile(r"[a-z][a-z]*")
_CYRILLIC = re.compile(r"[а-яёіїєґѕјԁ]")
_CYRILLIC_CHARS = frozenset(chr(cp) for cp in range(0x400, 0x530) if _CYRILLIC.match(chr(cp)))  # the same set
# A Latin letter next to a Cyrillic one: the cheap, linear test for a mixed-script word.
_MIXED_PAIR = re.compile(r"[a-z][а-яёіїєґѕјԁ]|[а-яёіїєґѕјԁ][a-z]")
# A leet character between two letters. The look-behind sits after the character (same matches) so that the
# pattern starts with a character class and re jumps straight to the candidates.
_LEET = re.compile(r"[0134567@$](?<=[^\W\d_][0134567@$])(?=[^\W\d_])")
_WORD_CHARS = re.compile(r"[^\W_]+")
# Single letters separated by one or two separator characters, at least three letters.
_SPLIT_LETTERS = re.compile(r"(?<![^\W_])[^\W\d_](?:[ .\-_*·•/|]{1,2}[^\W\d_]){2,}(?![^\W_])")
_SEPARATORS = frozenset(" .-_*·•/|")
# Words ([^\W_]+ runs) and the gaps between them: split() with this captured complement alternates
# word, gap, word, ... (the first and last word may be empty).
_WORD_SPLIT = re.compile(r"([\W_][\W_]*)")  # written so that re skips to the separators


def _bmp_word_class() -> str:
    """The BMP characters ``[^\\W_]`` matches as regex class ranges, plus every character above the BMP."""
    ranges: list[str] = []
    start = None
    for cp in range(0x10001):
        word = cp < 0x10000 and _WORD_SPLIT.fullmatch(chr(cp)) is None
        if word and start is None:
            start = cp
        elif not word and start is not None:
            ranges.append(f"\\u{start:04x}-\\u{cp - 1:04x}")
            start = None
    return "".join(ranges) + "\\U00010000-\\U0010ffff"


# The same split for text without characters above the BMP (nearly every post): an explicit class of ranges
# that compiles to one bitmap test per character, where the Unicode word category takes several database
# lookups (~25 % faster on a Russian post). The one astral range (counted as word characters, which is wrong
# for most of them) keeps the class a bitmap; such text takes _WORD_SPLIT.
@lru_cache(maxsize=1)
def _bmp_split() -> Callable[[str], list[str]]:
    """``split`` of the BMP word-gap pattern (built once, ~40 ms, on first use)."""
    word = _bmp_word_class()
    return re.compile(f"([^{word}][^{word}]*)").split


def _split_words(text: str) -> list[str]:
    """``_WORD_SPLIT.split(text)``."""
    if not text.isascii():
        try:  # UTF-16 takes two bytes for every BMP character, four above it; lone surrogates raise
            bmp = len(text.encode("utf-16-le")) == 2 * len(text)
        except UnicodeEncodeError:
            bmp = False
        if not bmp:
            return _WORD_SPLIT.split(text)
    return _bmp_split()(text)


@dataclass(frozen=True, slots=True)
class Normalized:
    """Normalised text plus, when lengths differ, the original offset of every normalised char."""

    text: str
    original_length: int
    index: list[int] | None = None  # index[i]: original offset where normalised char i comes from
    # ``_WORD_SPLIT.split(text)`` when the normaliser computed it anyway (None: not computed); readers
    # that need the words of ``text`` reuse it instead of scanning the text again.
    parts: list[str] | None = field(default=None, compare=False, repr=False)
    # True when ``text`` is exactly ``original.lower()`` (then both have the same words at the same offsets:
    # lower-casing one character never changes whether it is a word character).
    lowered: bool = field(default=False, compare=False, repr=False)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``[start, end)`` span of the normalised text to the original text."""
        index = self.index
        if index is None:
            return start, end
        o_start = index[start] if start < len(index) else self.original_length
        o_end = index[end] if end < len(index) else self.original_length
        if o_end <= o_start:  # span ends inside a one-to-many expansion
            o_end = min(self.original_length, o_start + 1)
        return o_start, o_end


def _char_level(text: str) -> tuple[str, list[int] | None]:
    """NFKC, invisible-character removal and lower-casing, with an offset map when needed."""
    if text.isascii():
        return text.lower(), None
    low = text.lower()
    # isprintable() is one fast C pass and False for every invisible character except the variation selectors
    # (and for line breaks, tabs and no-break spaces, where the regex decides).
    if len(low) == len(text) and unicodedata.is_normalized("NFKC", low) and (
            (low.isprintable() and "\ufe0f" not in low and "\ufe0e" not in low) or not _INVISIBLE_RE.search(low)):
        return low, None
    # Characters that only lower-case (most of any text) go through in runs; the others one at a time.
    out: list[str] = []  # non-empty pieces; the last character of the last one is the previous output character
    index: list[int] = []
    prev = 0
    for m in _special_chars().finditer(text):
        pos = m.start()
        if pos > prev:
            out.append(text[prev:pos].lower())  # one character each, as for the characters one by one
            index.extend(range(prev, pos))
        prev = pos + 1
        ch = m.group()
        if ch in _INVISIBLE:
            continue
        cp = ord(ch)
        if 0x1F130 <= cp <= 0x1F189:  # squared / negative circled / negative squared Latin letters
            out.append(chr(ord("a") + (cp - 0x1F130) % 26))
            index.append(pos)
            continue
        norm = unicodedata.normalize("NFKC", ch).lower()
        if unicodedata.combining(ch) and out:
            # A combining mark: compose it with the previous letter ("и" + breve -> "й") or drop it.
            composed = unicodedata.normalize("NFC", out[-1][-1] + ch)
            if len(composed) == 1:
                out[-1] = out[-1][:-1] + composed
            continue
        if norm:
            out.append(norm)
            index.extend([pos] * len(norm))
    if prev < len(text):
        out.append(text[prev:].lower())
        index.extend(range(prev, len(text)))
    return "".join(out), index


# Characters from here on are all taken one at a time: a class with ranges above the BMP is tested range by
# range (~135 ns a character), one limited to the BMP plus this single range as a bitmap (~4 ns).
_PLAIN_LIMIT = 0x10000


def _needs_own_step(ch: str) -> bool:
    """True unless ``ch`` is unchanged by NFKC, not combining, not invisible, not a squared letter, and
    lower-cases to one character on its own (capital sigma lower-cases by context, so it is excluded)."""
    cp = ord(ch)
    return (ch in _INVISIBLE or 0x1F130 <= cp <= 0x1F189 or ch == "\u03a3" or len(ch.lower()) != 1
            or bool(unicodedata.combining(ch)) or unicodedata.normalize("NFKC", ch) != ch)


@lru_cache(maxsize=1)
def _special_chars() -> re.Pattern[str]:
    """A character class of the characters :func:`_char_level` must handle one at a time (built once,
    ~30 ms, the first time a text needs the per-character path)."""
    ranges: list[str] = []
    start = None
    for cp in range(0x80, _PLAIN_LIMIT):
        special = _needs_own_step(chr(cp))
        if special and start is None:
            start = cp
        elif not special and start is not None:
            ranges.append(f"\\U{start:08x}-\\U{cp - 1:08x}")
            start = None
    ranges.append(f"\\U{_PLAIN_LIMIT if start is None else start:08x}-\\U0010ffff")
    return re.compile("[" + "".join(ranges) + "]")


def _fold_word(word: str) -> str:
    """Fold a mixed-script word to the script all its letters can be written in."""
    lat = [c for c in word if "a" <= c <= "z"]
    cyr = [c for c in word if _CYRILLIC.match(c)]
    to_cyr_ok = all(c in _STRICT_LAT for c in lat)
    to_lat_ok = all(c in _STRICT_CYR for c in cyr)
    if to_cyr_ok and (len(cyr) >= len(lat) or not to_lat_ok):
        return "".join(_LAT2CYR.get(c, c) for c in word)
    if to_lat_ok:
        return "".join(_CYR2LAT.get(c, c) if _CYRILLIC.match(c) else c for c in word)
    if all(c in _LAT2CYR for c in lat):
        return "".join(_LAT2CYR.get(c, c) for c in word)
    if all(c in _CYR2LAT for c in cyr):
        return "".join(_CYR2LAT.get(c, c) if _CYRILLIC.match(c) else c for c in word)
    return word


def _leet(match: re.Match[str]) -> str:
    text = match.string
    pos = match.start()
    # Hashes, ids and addresses mix digits and letters too: leave digit-heavy or long words alone.
    lo, hi = max(0, pos - 24), min(len(text), pos + 25)
    left = pos
    while left > lo and text[left - 1].isalnum():
        left -= 1
    right = pos + 1
    while right < hi and text[right].isalnum():
        right += 1
    word = text[left:right]
    if left == lo and lo > 0 or right == hi and hi < len(text) or sum(c.isdigit() for c in word) > 2:
        return match.group()
    prev = text[pos - 1]
    table = _LEET_CYR if _CYRILLIC.match(prev) else _LEET_LAT
    return table.get(match.group(), match.group())


def _word_at(text: str, pos: int) -> tuple[int, int]:
    start = pos
    while start > 0 and text[start - 1].isalnum():
        start -= 1
    end = pos
    n = len(text)
    while end < n and text[end].isalnum():
        end += 1
    return start, end


def _fold_mixed(text: str) -> str:
    """Fold every word holding a Latin letter next to a Cyrillic one (a ``_MIXED_PAIR``), in text order.

    Such a pair borders a run of Latin letters, so only the (few, in Cyrillic text) Latin runs are visited:
    a run with a Cyrillic letter right before or after it lies in a mixed word.
    """
    if text.isascii() or not _CYRILLIC.search(text):
        return text  # (no Latin run: the loop below finds nothing either)
    pieces: list[str] = []
    last = 0
    cyrillic = _CYRILLIC_CHARS
    n = len(text)
    for m in _LATIN_RUN.finditer(text):
        run_start, run_end = m.span()
        if run_start < last:
            continue
        if not ((run_start and text[run_start - 1] in cyrillic) or (run_end < n and text[run_end] in cyrillic)):
            continue
        start, end = _word_at(text, run_start)
        if start < last:
            continue
        pieces.append(text[last:start])
        pieces.append(_fold_word(text[start:end]))
        last = end
    if not pieces:
        return text
    pieces.append(text[last:])
    return "".join(pieces)


_MAX_RUN = 40  # letters of one split run searched for known words (quadratic in this, so capped)


def _known_pieces(text: str, m: re.Match[str], keep: Callable[[str], bool] | None,
                  prefixes: Container[str] | None) -> list[list[int]]:
    """Positions of the letters of each sub-run of ``m`` that joins into a known word (longest first)."""
    letters = [pos for pos in range(m.start(), m.end()) if text[pos] not in _SEPARATORS]
    if keep is None:
        return [letters]
    pieces: list[list[int]] = []
    i = 0
    n = len(letters)
    while i < n:
        found = 0
        if prefixes is not None:
            # Walk forward only while the letters so far begin some known word: linear in practice.
            joined = ""
            j = i
            while j < n and j - i < _MAX_RUN:
                joined += text[letters[j]]
                if joined not in prefixes:
                    break
                j += 1
                if j - i >= 3 and keep(joined):
                    found = j
        else:
            for j in range(min(n, i + _MAX_RUN), i + 2, -1):
                if keep("".join(text[p] for p in letters[i:j])):
                    found = j
                    break
        if found:
            pieces.append(letters[i:found])
            i = found
        else:
            i += 1
    return pieces


def _fold_runs(text: str, matches: list[re.Match[str]]) -> str:
    """Fold each split-letter run ("m е ф" with a Latin m) to one script, like a mixed word."""
    chars = list(text)
    for m in matches:
        letters = [p for p in range(m.start(), m.end()) if chars[p] not in _SEPARATORS]
        folded = _fold_word("".join(chars[p] for p in letters))
        for p, c in zip(letters, folded, strict=True):
            chars[p] = c
    return "".join(chars)


_ONE = array("I", [1]).tobytes()
_THREE_ONES = _ONE * 3
_MAX_TRIPLES = 16  # one-character word triples looked at in Python before leaving it to the regex


def _may_split_letters(parts: list[str]) -> bool:
    """False when ``_SPLIT_LETTERS`` cannot match ``parts`` (a ``_WORD_SPLIT`` split): a match is three or
    more consecutive one-letter words (not digits) with gaps of one or two characters.

    Three one-character words in a row are found as a byte pattern in the word lengths packed into bytes
    (one C pass; an unsigned int array when a word is too long for a byte); only those triples are looked
    at in Python.
    """
    words = parts[::2]
    try:
        lengths, size = bytes(map(len, words)), 1
    except ValueError:  # a word of 256 characters or more
        lengths, size = array("I", map(len, words)).tobytes(), len(_ONE)
    three_ones = b"\x01\x01\x01" if size == 1 else _THREE_ONES
    pos = lengths.find(three_ones)
    for _ in range(_MAX_TRIPLES):
        if pos < 0:
            return False
        k, misaligned = divmod(pos, size)
        if (not misaligned and not (words[k].isdecimal() or words[k + 1].isdecimal() or words[k + 2].isdecimal())
                and len(parts[2 * k + 1]) <= 2 and len(parts[2 * k + 3]) <= 2):
            return True
        pos = lengths.find(three_ones, pos + 1)
    return pos >= 0  # many one-character words ("1.2.3.4..."): let the regex decide, in linear time


def _join_split_letters(text: str, index: list[int] | None, keep: Callable[[str], bool] | None,
                        prefixes: Container[str] | None) -> tuple[str, list[int] | None, list[str] | None]:
    """Join split-letter runs; also returns ``_WORD_SPLIT.split`` of the text when no run was found."""
    parts = _split_words(text)
    matches = list(_SPLIT_LETTERS.finditer(text)) if _may_split_letters(parts) else []
    if not matches:
        return text, index, parts
    drop: set[int] = set()  # separator positions inside joined pieces
    if _LATIN.search(text) and _CYRILLIC.search(text):
        text = _fold_runs(text, matches)
    for m in matches:
        for piece in _known_pieces(text, m, keep, prefixes):
            drop.update(p for p in range(piece[0], piece[-1]) if text[p] in _SEPARATORS)
    if not drop:
        return text, index, None
    base = index if index is not None else list(range(len(text)))
    keep_pos = [p for p in range(len(text)) if p not in drop]
    return "".join(text[p] for p in keep_pos), [base[p] for p in keep_pos], None


def normalize(text: str, keep_joined: Callable[[str], bool] | None = None,
              prefixes: Container[str] | None = None) -> Normalized:
    """Normalise ``text`` for matching; see the module docstring for the steps.

    ``keep_joined`` decides whether letters split by separators ("м е ф") are joined: it receives
    the joined word and returns True to join (None joins every run of three or more letters).
    ``prefixes`` (every prefix of every joinable word) makes that search linear on long runs.
    """
    norm, index = _char_level(text)
    low = norm  # text.lower() when index is None
    if _LEET.search(norm) is not None:  # (one scan that skips to the leet characters; sub only on a hit)
        norm = _LEET.sub(_leet, norm)
    norm = _fold_mixed(norm)
    norm, index, parts = _join_split_letters(norm, index, keep_joined, prefixes)
    return Normalized(norm, len(text), index, parts, index is None and norm is low)


def words(norm: str) -> list[tuple[str, int, int]]:
    """Alphanumeric runs of a normalised text with their offsets."""
    return [(m.group(), m.start(), m.end()) for m in _WORD_CHARS.finditer(norm)]
