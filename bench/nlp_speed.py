"""Throughput of the full Narcowatch NLP pipeline against a naive spaCy + pymorphy3 baseline.

Both run in the same process on the same synthetic 100-word Russian shop posts (seeded, built from
a vocabulary of shop, drug, price and contact words). The baseline is ``spacy.blank("ru")`` with
spaCy's own lemmatizer in "pymorphy3" mode, which parses every token with pymorphy3.

Run: ``.venv/bin/python bench/nlp_speed.py [--docs 2000] [--baseline-docs 300]``.
"""

from __future__ import annotations

import argparse
import random
import time

_VOCAB = (
    "продам меф кристаллы шишки бошки гашиш амф соль альфа качество лучшее в городе закладки магнит прикоп "
    "цена за грамм рублей пишите в телеграм оператор бот быстро надежно доставка по всей россии гарантия "
    "оплата биткоин скидки постоянным клиентам москва санкт-петербург новосибирск казань екатеринбург "
    "работа курьер зарплата от в неделю опыт не нужен обучение наш магазин работает круглосуточно "
    "отзывы довольных покупателей проверено новинка опт розница чистый товар без примесей вес точный "
    "фото координаты выдача сразу после оплаты обменник карта сбербанк qiwi"
).split()
_TAILS = ("1г - 2500₽", "2г - 4500₽", "0,5 г 1 500 руб", "5г 10 000р", "@shop_bot", "$40")


def make_posts(n: int, words: int = 100, seed: int = 7) -> list[str]:
    """``n`` posts of ``words`` words each: vocabulary words plus a price tier or a contact now and then."""
    rng = random.Random(seed)
    posts = []
    for _ in range(n):
        out: list[str] = []
        while len(out) < words:
            if rng.random() < 0.08:
                out.extend(rng.choice(_TAILS).split())
            else:
                out.append(rng.choice(_VOCAB))
        posts.append(" ".join(out[:words]))
    return posts


def _rate(fn: object, posts: list[str]) -> float:
    start = time.perf_counter()
    fn(posts)  # type: ignore[operator]
    return len(posts) / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--baseline-docs", type=int, default=300)
    args = parser.parse_args()

    import spacy

    from nlp.api import Extractor

    posts = make_posts(args.docs)
    words = sum(len(p.split()) for p in posts) / len(posts)

    extractor = Extractor()
    extractor.extract_batch([{"id": "warm", "text": posts[0]}])

    def full(batch: list[str]) -> None:
        extractor.extract_batch([{"id": str(i), "text": t} for i, t in enumerate(batch)])

    naive = spacy.blank("ru")
    naive.add_pipe("lemmatizer", config={"mode": "pymorphy3"})
    naive.initialize()
    list(naive.pipe(posts[:5]))

    def baseline(batch: list[str]) -> None:
        for doc in naive.pipe(batch, batch_size=64):
            _ = [t.lemma_ for t in doc]

    full_rate = _rate(full, posts)
    base_rate = _rate(baseline, make_posts(args.baseline_docs, seed=11))
    print(f"posts: {args.docs} (baseline {args.baseline_docs}), {words:.0f} words each")
    print(f"full narcowatch pipeline : {full_rate:9.1f} docs/s  {full_rate * words:11.0f} words/s")
    print(f"naive blank ru + pymorphy3: {base_rate:9.1f} docs/s  {base_rate * words:11.0f} words/s")
    print(f"speed-up                  : {full_rate / base_rate:9.1f}x (target >= 20x)")
    print("per component (docs/s, same posts):")
    docs = []
    for text in posts[:500]:
        doc = extractor.nlp.make_doc(text)
        doc._.nw_text = text
        docs.append(doc)
    for name, proc in extractor.nlp.pipeline:
        start = time.perf_counter()
        docs = [proc(doc) for doc in docs]
        print(f"  {name:24s} {len(docs) / (time.perf_counter() - start):9.1f}")


if __name__ == "__main__":
    main()
