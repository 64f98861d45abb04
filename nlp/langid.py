"""Offline language identification for ru, uk, kk and en (plus "und").

Script first (Cyrillic against Latin letters), then letters unique to a language (Ukrainian і ї є ґ,
Kazakh ә ғ қ ң ө ұ ү һ) and stop-word counts from ``nlp/data/stopwords.tsv``. Looks at the first
4,000 characters only: posts do not switch language half-way often enough to pay for more.

The common cases (plain ASCII text, Russian text) are decided from byte counts of the text encoded
as ASCII or cp1251, which C does in one pass; anything else takes the full path (same answers).
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).parent / "data"
_SAMPLE = 4000
_CYR = re.compile(r"[а-яёіїєґәғқңөұүһ]", re.IGNORECASE)
_LAT = re.compile(r"[a-z]", re.IGNORECASE)
_UK = re.compile(r"[іїєґ]", re.IGNORECASE)
_KK = re.compile(r"[әғқңөұүһ]", re.IGNORECASE)
_RU_ONLY = re.compile(r"[ыэъё]", re.IGNORECASE)
_HANDLE_CHARS = re.compile(r"[@/._:0-9]")
# A whitespace-delimited token (as str.split() cuts them) holding one of _HANDLE_CHARS: one regex pass
# instead of a search per token. Linear: the lazy scan stops at the token's first handle character or end.
_HANDLE_TOKEN_RE = re.compile(r"(?<!\S)\S*?[@/._:0-9]\S*")
# Letter counts add up the lengths of runs: one match per word instead of one per letter.
_CYR_RUN = re.compile(_CYR.pattern + "+", re.IGNORECASE)
_LAT_RUN = re.compile(_LAT.pattern + "+", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")

LANGUAGES = ("ru", "uk", "kk", "en")

_ASCII_LETTERS = bytes(range(65, 91)) + bytes(range(97, 123))


def _cp1251_bytes(pattern: re.Pattern[str]) -> bytes:
    """The cp1251 bytes whose character ``pattern`` matches."""
    return bytes(b for b in range(256) if pattern.fullmatch(bytes([b]).decode("cp1251", "replace")))


# cp1251 is one byte per character and one-to-one, so a byte value counts the characters it encodes.
_CYR_CP1251 = _cp1251_bytes(_CYR)  # а-я, А-Я, ё, і, ї, є, ґ and their capitals
_UK_CP1251 = tuple(_cp1251_bytes(_UK))
# Characters outside cp1251 come out as "&#<code point>;" under xmlcharrefreplace: the Kazakh letters
# (none is in cp1251) and the four non-ASCII characters _LAT matches case-insensitively.
_KK_CHARS = "әғқңөұүһӘҒҚҢӨҰҮҺ"
_KK_REF = re.compile(("&#(?:" + "|".join(str(ord(c)) for c in _KK_CHARS) + ");").encode())
_ODD_LATIN = "İıſ\u212a"  # İ, dotless i, long s, Kelvin sign
_ODD_LATIN_REF = re.compile(("&#(?:" + "|".join(str(ord(c)) for c in _ODD_LATIN) + ");").encode())
# The other _CYR characters outside cp1251: Kazakh letters and the Cyrillic letter variants U+1C80-U+1C86
# (small rounded ve ... tall hard sign), which _CYR matches case-insensitively; U+1C86 also matches _RU_ONLY.
_CYR_REF = re.compile(("&#(?:" + "|".join(str(ord(c)) for c in _KK_CHARS + "\u1c80\u1c81\u1c82\u1c83\u1c84"
                                        "\u1c85\u1c86") + ");").encode())
_RU_ONLY_CP1251 = _cp1251_bytes(_RU_ONLY)
_RU_ONLY_REF = re.compile(b"&#7302;")  # U+1C86


def _count(data: bytes, values: bytes) -> int:
    """How many bytes of ``data`` are among ``values``."""
    return len(data) - len(data.translate(None, values))


def _quick(sample: str, head: str) -> str | None:
    """The answer of :func:`detect` for text without Cyrillic letters and for Russian text, or None (take
    the full path).

    Russian: no Ukrainian or Kazakh letter in ``sample`` and at least as many Cyrillic as Latin letters in
    ``head`` (the handle correction of the full path only lowers the Latin count). The Cyrillic count here
    is a lower bound (cp1251 letters only) and the Latin count an upper bound, so "ru" is returned only
    when the full path would return it too.
    """
    if sample.isascii():
        # No Cyrillic letter can occur: any Latin letter makes it English, none leaves it undetermined.
        ascii_head = head.encode("ascii")
        return "en" if len(ascii_head.translate(None, _ASCII_LETTERS)) < len(ascii_head) else "und"
    if _CYR.search(head) is None:  # no Cyrillic letter: English when there is a Latin one
        return "en" if _LAT.search(head) is not None else "und"
    encoded = sample.encode("cp1251", "xmlcharrefreplace")
    if any(map(encoded.__contains__, _UK_CP1251)):
        return None
    if b"&#" in encoded and _KK_REF.search(encoded) is not None:
        return None
    head_bytes = encoded if len(head) == len(sample) else head.encode("cp1251", "xmlcharrefreplace")
    n_cyr = len(head_bytes) - len(head_bytes.translate(None, _CYR_CP1251))
    n_lat = len(head_bytes) - len(head_bytes.translate(None, _ASCII_LETTERS))
    if b"&#" in head_bytes:
        n_lat += len(_ODD_LATIN_REF.findall(head_bytes))
    if n_cyr >= 1 and n_cyr >= n_lat:
        return "ru"
    return None


@lru_cache(maxsize=1)
def _stopwords() -> dict[str, frozenset[str]]:
    table: dict[str, set[str]] = {}
    for line in (_DATA / "stopwords.tsv").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        lang, _, words = line.partition("\t")
        table.setdefault(lang, set()).update(words.split())
    return {lang: frozenset(ws) for lang, ws in table.items()}


def detect(text: str) -> str:
    """The language code of ``text``: "ru", "uk", "kk", "en" or "und" when there are no letters."""
    sample = text[:_SAMPLE]
    head = sample[:1000]
    quick = _quick(sample, head)
    if quick is not None:
        return quick
    # Without a literal "&#" in the text, the cp1251 encoding (characters outside it written "&#<code>;")
    # gives every count below exactly; otherwise the regexes count.
    encoded = sample.encode("cp1251", "xmlcharrefreplace") if "&#" not in sample else None
    if encoded is not None:
        head_bytes = encoded if len(head) == len(sample) else head.encode("cp1251", "xmlcharrefreplace")
        n_cyr = _count(head_bytes, _CYR_CP1251) + len(_CYR_REF.findall(head_bytes))
        n_lat = _count(head_bytes, _ASCII_LETTERS) + len(_ODD_LATIN_REF.findall(head_bytes))
    else:
        n_cyr = sum(map(len, _CYR_RUN.findall(head)))
        n_lat = sum(map(len, _LAT_RUN.findall(head)))
    if n_lat and n_cyr:
        # Handles, links and tickers are Latin whatever the language of the post: do not count them.
        n_lat -= sum(len(_LAT.findall(tok)) for tok in _HANDLE_TOKEN_RE.findall(head))
    if n_cyr == 0 and n_lat == 0:
        return "und"
    if n_lat > n_cyr * 2 and n_lat >= 3:
        return "en"
    if n_cyr == 0:
        return "en"
    if encoded is not None:
        n_uk = _count(encoded, bytes(_UK_CP1251))
        n_kk = len(_KK_REF.findall(encoded))
        n_ru = _count(encoded, _RU_ONLY_CP1251) + len(_RU_ONLY_REF.findall(encoded))
    else:
        n_uk, n_kk, n_ru = len(_UK.findall(sample)), len(_KK.findall(sample)), len(_RU_ONLY.findall(sample))
    if not n_uk and not n_kk and n_cyr >= n_lat:
        return "ru"  # no Ukrainian or Kazakh letters at all: Russian (the fast, common case)
    stop = _stopwords()
    words = _WORD.findall(sample.lower())
    # One stop-word count per language, counted in C (a whole-number float, as adding 1.0 per word gave).
    scores = {lang: float(sum(map(stop.get(lang, frozenset()).__contains__, words))) for lang in ("ru", "uk", "kk")}
    scores["uk"] += 2.0 * n_uk
    scores["kk"] += 2.0 * n_kk
    scores["ru"] += 2.0 * n_ru
    best = max(scores, key=lambda k: scores[k])
    if scores[best] == 0.0:
        return "ru"
    if n_lat > n_cyr and scores[best] < 2:
        return "en"
    return best
