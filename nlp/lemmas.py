"""Cached lemmatisation: pymorphy3 for Russian and Ukrainian, lower-casing for other scripts.

pymorphy3's parse is the slow step of any Russian pipeline; word forms repeat heavily in market
text, so an LRU cache in front of it makes lemmatisation cheap after the first few hundred docs.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

_WORD_RE = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)
_CYRILLIC_RE = re.compile(r"[а-яёіїєґ]", re.IGNORECASE)
_UK_ONLY_RE = re.compile(r"[іїєґ]", re.IGNORECASE)


@lru_cache(maxsize=2)
def _analyzer(lang: str) -> Any:
    import pymorphy3

    return pymorphy3.MorphAnalyzer(lang=lang)


@lru_cache(maxsize=200_000)
def lemma(word: str, lang: str = "") -> str:
    """The dictionary form of one word, lower-cased; ``ё`` folded to ``е``."""
    low = word.lower().replace("ё", "е")
    if not _CYRILLIC_RE.search(low):
        return low
    morph_lang = lang if lang in ("ru", "uk") else ("uk" if _UK_ONLY_RE.search(low) else "ru")
    parses = _analyzer(morph_lang).parse(low)
    if not parses:
        return low
    return str(parses[0].normal_form).replace("ё", "е")


def words(text: str) -> list[str]:
    """Word tokens of ``text`` (letters and digits, hyphenated compounds kept whole)."""
    return _WORD_RE.findall(text)


def lemmatize_text(text: str, lang: str = "") -> str:
    """Space-joined lemmas of every word in ``text``: what the store indexes next to the text."""
    return " ".join(lemma(w, lang) for w in words(text))
