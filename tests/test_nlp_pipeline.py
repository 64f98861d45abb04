"""The spaCy side of the NLP pipeline: config, ``doc._.nw_*`` attributes, batched ``nlp.pipe``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from spacy.language import Language

from nlp.api import RESULT_KEYS, Extractor, load_pipeline
from nlp.components import ANALYSIS_KEY, Analysis, analysis

POST = "Продам меф 1г - 2500₽, шишки 2г 4500 руб. Москва, закладки. Пишите @shop_bot"


@pytest.fixture(scope="module")
def pipeline() -> Language:
    return load_pipeline()


def test_pipeline_components_come_from_the_config(pipeline: Language) -> None:
    assert pipeline.pipe_names == [
        "narcowatch_normalizer", "narcowatch_langid", "narcowatch_drugs", "narcowatch_offers",
        "narcowatch_contacts", "narcowatch_places", "narcowatch_precursors", "narcowatch_category",
    ]


def test_doc_extensions_show_what_the_components_found(pipeline: Language) -> None:
    doc = pipeline(POST)
    assert doc.text == POST
    assert doc._.nw_lang == "ru"
    assert {d["substance"] for d in doc._.nw_drugs} >= {"mephedrone", "cannabis"}
    assert any(o.get("grams") == 1.0 and o.get("amount") == 2500 for o in doc._.nw_offers)
    assert [c["value"] for c in doc._.nw_contacts if c["type"] == "telegram"] == ["@shop_bot"]
    assert "dead_drop" in doc._.nw_delivery
    assert doc._.nw_category == "sale"
    # The attributes are views of the one Analysis object kept in user_data.
    found = doc.user_data[ANALYSIS_KEY]
    assert isinstance(found, Analysis) and found.drugs is doc._.nw_drugs


def test_setting_an_extension_reaches_the_components(pipeline: Language) -> None:
    doc = pipeline.make_doc(POST)
    doc._.nw_lang_hint = "uk"
    assert analysis(doc).lang_hint == "uk"
    for _, proc in pipeline.pipeline:
        doc = proc(doc)
    assert doc._.nw_lang == "uk"  # the caller's hint wins over detection
    assert pipeline.make_doc("x")._.nw_drugs is None  # untouched docs read as empty


def test_batched_pipe_gives_the_same_results_as_one_doc_at_a_time(pipeline: Language) -> None:
    texts = [f"{POST} {i} шт" if i % 3 else f"Weed 3.5g $40 from Berlin #{i}" for i in range(70)]
    one_by_one = [pipeline(t) for t in texts]
    batched = list(pipeline.pipe(texts, batch_size=16))  # 70 = 4 full batches and a partial one
    assert [d.text for d in batched] == texts
    for a, b in zip(one_by_one, batched, strict=True):
        for key in ("lang", "drugs", "offers", "contacts", "places", "ships_from", "delivery", "category"):
            assert getattr(analysis(a), key) == getattr(analysis(b), key), key


def test_extractor_keeps_record_order_across_batches() -> None:
    extractor = Extractor(batch_size=8)
    records = [{"id": i, "text": POST if i % 2 else "nothing to see here"} for i in range(21)]
    out = extractor.extract_batch(records)
    assert [r["id"] for r in out] == list(range(21))
    assert all(tuple(r) == RESULT_KEYS for r in out)
    assert [r["category"] for r in out[:2]] == ["other", "sale"]


def test_every_extension_has_a_slot() -> None:
    from nlp.components import EXTENSIONS

    assert sorted(Analysis.__slots__) == sorted(name.removeprefix("nw_") for name in EXTENSIONS)


def test_tokenizer_splits_on_whitespace_only_and_keeps_the_text(pipeline: Language) -> None:
    for text in ("", " ", "  меф\t1г  -\n2500₽ \u00a0@shop_bot  ", "a-b,c.d(e)", "😀" * 1000):
        doc = pipeline.make_doc(text)
        assert doc.text == text
        assert all(not t.text.strip() or not any(ch.isspace() for ch in t.text) for t in doc)
    assert [t.text for t in pipeline.make_doc("мука,соль (1г)-2500₽")] == ["мука,соль", "(1г)-2500₽"]


def test_output_does_not_depend_on_the_hash_seed(tmp_path: Path) -> None:
    """Set iteration order follows PYTHONHASHSEED; no output (reasons order included) may depend on it."""
    script = (
        "import json, sys\n"
        "from nlp.api import Extractor\n"
        "recs = [json.loads(l) for l in open(sys.argv[1], encoding='utf-8') if l.strip()]\n"
        "out = Extractor().extract_batch([{'id': r['id'], 'text': r['text']} for r in recs])\n"
        "print(json.dumps(out, ensure_ascii=False, sort_keys=True))\n"
    )
    labelled = Path(__file__).parent / "data" / "nlp_labelled.jsonl"
    outputs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run([sys.executable, "-c", script, str(labelled)], capture_output=True, text=True,
                             env=env, timeout=300, check=True)
        outputs.append(json.loads(run.stdout))
    assert len(outputs[0]) >= 400
    assert outputs[0] == outputs[1]


def test_extract_batch_leaves_the_garbage_collector_as_it_found_it() -> None:
    import gc

    extractor = Extractor(batch_size=4)
    records = [{"id": i, "text": POST} for i in range(9)]
    assert gc.isenabled()
    assert len(extractor.extract_batch(records)) == 9
    assert gc.isenabled()
    gc.disable()
    try:
        extractor.extract_batch(records)
        assert not gc.isenabled()  # a caller that turned it off keeps it off
    finally:
        gc.enable()
    with pytest.raises(AttributeError):
        extractor.extract_batch([{"id": 1, "text": POST}, None])  # type: ignore[list-item]
    assert gc.isenabled()  # and an error inside a batch turns it back on
