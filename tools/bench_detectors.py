"""Throughput of the pure-Python detectors (places, shipping, delivery, precursors, category).

Builds ~100-word Russian shop posts from a fixed vocabulary (seeded, so runs are comparable), warms
the lemma cache with one pass, then times each detector over the same posts and prints docs/s and
words/s. Usage: ``python tools/bench_detectors.py [N_DOCS]``.
"""

from __future__ import annotations

import random
import sys
import time

from nlp.category import classify
from nlp.places import find_delivery, find_places, find_shipping
from nlp.precursors import find_precursors

_WORDS = (
    "меф кристаллы шишки гашиш соль альфа закладки магнит прикоп клад курьер отправка доставка почтой по "
    "России из Германии в Москве Бишкеке Алматы Нижнем Новгороде Ростове-на-Дону Питере цена за грамм руб "
    "качество гарантия бот оператор работа кладмен зарплата в неделю ацетон сафрол эфедрин уксусный ангидрид "
    "и с на для не это мы вы они сегодня завтра быстро надёжно анонимно пишите заказ скидка акция"
).split()


def _posts(n: int, words: int = 100) -> list[str]:
    rnd = random.Random(42)
    return [" ".join(rnd.choice(_WORDS) for _ in range(words)) for _ in range(n)]


def main(argv: list[str]) -> None:
    n = int(argv[1]) if len(argv) > 1 else 2000
    posts = _posts(n)
    n_words = sum(len(p.split()) for p in posts)
    start = time.perf_counter()
    for p in posts[:50]:  # load data files, warm the lemma cache
        find_places(p, "ru")
    print(f"first-load + warm-up of 50 docs: {time.perf_counter() - start:.2f} s")
    detectors = {
        "find_places": lambda t: find_places(t, "ru"),
        "find_shipping": lambda t: find_shipping(t, "ru"),
        "find_delivery": find_delivery,
        "find_precursors": find_precursors,
        "classify": lambda t: classify(t, "ru", [{"substance": "mephedrone"}], [], [], []),
    }
    total = 0.0
    for name, fn in detectors.items():
        start = time.perf_counter()
        for p in posts:
            fn(p)
        took = time.perf_counter() - start
        total += took
        print(f"{name:16s} {n / took:9.0f} docs/s {n_words / took:11.0f} words/s")
    print(f"{'all five':16s} {n / total:9.0f} docs/s {n_words / total:11.0f} words/s  ({n} docs x 100 words)")


if __name__ == "__main__":
    main(sys.argv)
