"""Offline language identification for ru, uk, kk and en (plus "und").

Script first (Cyrillic against Latin letters), then letters unique to a language (Ukrainian і ї є ґ,
Kazakh ә ғ қ ң ө ұ ү һ) and stop-word counts from ``nlp/data/stopwords.tsv``. Looks at the first
4,000 characters only: posts do not switch language half-way often enough to pay for more.
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
    if not _UK.search(sample) and not _KK.search(sample) and n_cyr >= n_lat:
        return "ru"  # no Ukrainian or Kazakh letters at all: Russian (the fast, common case)
    stop = _stopwords()
    scores = {"ru": 0.0, "uk": 0.0, "kk": 0.0}
    for word in _WORD.findall(sample.lower()):
        for lang in scores:
            if word in stop.get(lang, frozenset()):
                scores[lang] += 1.0
    scores["uk"] += 2.0 * len(_UK.findall(sample))
    scores["kk"] += 2.0 * len(_KK.findall(sample))
    scores["ru"] += 2.0 * len(_RU_ONLY.findall(sample))
    best = max(scores, key=lambda k: scores[k])
    if scores[best] == 0.0:
        return "ru"
    if n_lat > n_cyr and scores[best] < 2:
        return "en"
    return best
