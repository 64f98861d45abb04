"""Hostile text finishes in bounded time: huge one-line posts, emoji floods, and repetitions aimed at
each regex of the pipeline (ours and the helpers' it runs). Generous limit: 10 s per document on a
shared CI machine; typical times are well under 2 s.

Inputs are capped at nlp.api.MAX_CHARS characters per document before analysis; the regex-level
tests below run our own detectors on the uncapped 1 MB strings.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

import pytest

from nlp.api import MAX_CHARS, Extractor, get_extractor
from nlp.components import shared_lexicon
from nlp.langid import detect
from nlp.normalize import normalize
from nlp.prices import find_prices
from nlp.quantities import find_quantities

LIMIT_S = 10.0
MB = 1_000_000


def _one_mb_post() -> str:
    rng = random.Random(3)
    words = "продам меф 1г 2500₽ @shop_bot закладка москва cocaine 5g $100 btc ❄️ м е ф к0кс".split()
    return " ".join(rng.choice(words) for _ in range(160_000))[:MB]


HOSTILE: dict[str, Callable[[], str]] = {
    "one_mb_one_line": _one_mb_post,
    "100k_mixed_emoji": lambda: "❄️🍁💊😀" * 25_000,
    "100k_pill_emoji": lambda: "💊" * 100_000,
    "digits": lambda: "1" * MB,
    "number_dots": lambda: "1." * (MB // 2),
    "thousands_groups": lambda: "1 000 " * (MB // 6),
    "quantity_price_pairs": lambda: "1г 2р " * (MB // 6),
    "split_letters": lambda: "м е ф " * (MB // 6),
    "hyphen_chain": lambda: "a-" * (MB // 2),
    "at_chain": lambda: "@a" * (MB // 2),
    "mixed_scripts": lambda: "аa" * (MB // 2),
    "leet_chain": lambda: "a1" * (MB // 2),
    "url_like": lambda: "http://" + "a." * (MB // 2 - 4),
    "email_like": lambda: "a" * (MB // 2) + "@" + "b." * (MB // 4),
    "plus_phone_like": lambda: "+7 " * (MB // 3),
    "price_lines": lambda: "меф 1г 100р\n" * (MB // 12),
    "currency_signs": lambda: "$₽€" * (MB // 3),
}


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return get_extractor()


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_document_finishes_in_bounded_time(extractor: Extractor, name: str) -> None:
    text = HOSTILE[name]()
    start = time.perf_counter()
    result = extractor.extract({"id": name, "text": text})
    elapsed = time.perf_counter() - start
    assert elapsed < LIMIT_S, f"{name}: {elapsed:.1f}s"
    assert result["id"] == name
    for mention in result["drugs"]:
        assert mention["end"] <= MAX_CHARS
        assert text[mention["start"]:mention["end"]] == mention["text"]


def test_text_past_the_cap_is_not_analysed(extractor: Extractor) -> None:
    text = "x " * (MAX_CHARS // 2) + "меф 1г 2500р"
    assert extractor.extract({"id": "cap", "text": text})["drugs"] == []
    assert extractor.extract({"id": "cap", "text": text[-40:]})["drugs"] != []


def _timed(fn: Callable[[], Any]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", ["number_dots", "thousands_groups", "quantity_price_pairs", "digits",
                                  "split_letters", "mixed_scripts", "leet_chain", "hyphen_chain"])
def test_own_detectors_are_linear_on_uncapped_input(name: str) -> None:
    text = HOSTILE[name]()
    lex = shared_lexicon()
    assert _timed(lambda: normalize(text, lex.knows, lex.prefixes)) < LIMIT_S
    assert _timed(lambda: find_quantities(text)) < LIMIT_S
    assert _timed(lambda: find_prices(text, "ru")) < LIMIT_S
    assert _timed(lambda: detect(text)) < LIMIT_S
