"""Item pipelines, each built from a test crawler and fed hand-made items."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from scrapy.exceptions import DropItem, NotConfigured
from scrapy.utils.test import get_crawler

from crawler.items import ChannelPost, Listing
from pipelines.alerts import AlertPipeline
from pipelines.changes import ChangeDetectionPipeline
from pipelines.enrich import NlpEnrichPipeline
from pipelines.index import IndexPipeline
from pipelines.normalize import NormalizePipeline, clean_text
from store.sqlite import SqliteStore

SAMPLE_WATCHLIST = Path(__file__).resolve().parents[1] / "config" / "watchlists" / "sample.toml"


def _listing(n: int = 1, **fields: Any) -> Listing:
    base: dict[str, Any] = {"title": "Мефедрон 2 г", "description": "Кристаллы, Бишкек", "price": 5000.0,
                            "currency": "RUB", "vendor": "v"}
    base.update(fields)
    return Listing.build("t", f"http://m.test/listing/{n}", **base)


def test_clean_text() -> None:
    assert clean_text("  a\u200b b\r\n\r\n\r\n\tc\x00 ") == "a b\n\nc"
    assert clean_text("е\u0308") == "ё"  # NFC


def test_normalize_drops_items_without_id() -> None:
    pipe = NormalizePipeline.from_crawler(get_crawler())
    with pytest.raises(DropItem):
        pipe.process_item({"title": "no id"})
    item = pipe.process_item(_listing(title="  Мефедрон\t\t2 г "))
    assert item.title == "Мефедрон 2 г"


def test_change_detection_and_index_against_a_real_store(tmp_path: Path) -> None:
    settings = {"NARCOWATCH_STORE": str(tmp_path / "s.db")}
    crawler = get_crawler(settings_dict=settings)
    changes = ChangeDetectionPipeline.from_crawler(crawler)
    index = IndexPipeline.from_crawler(crawler)
    changes.open_spider()
    index.open_spider()

    async def run(item: Listing) -> str | None:
        await changes.process_item(item)
        await index.process_item(item)
        return item.change

    try:
        assert asyncio.run(run(_listing())) == "new"
        assert asyncio.run(run(_listing())) == "unchanged"
        assert asyncio.run(run(_listing(price=4000.0))) == "changed"
        # the same listing through another mirror is the same item, unchanged
        mirror = Listing.build("t", "http://mirror.test/listing/1", title="Мефедрон 2 г",
                               description="Кристаллы, Бишкек", price=4000.0, currency="RUB", vendor="v")
        assert asyncio.run(run(mirror)) == "unchanged"
    finally:
        changes.close_spider()
        index.close_spider()
    stats = crawler.stats.get_stats()  # type: ignore[union-attr]
    assert stats["narcowatch/index/new"] == 1
    assert stats["narcowatch/index/changed"] == 1
    assert stats["narcowatch/index/unchanged"] == 2
    store = SqliteStore(tmp_path / "s.db")
    assert store.count() == 1
    store.close()


class _RecordingExtractor:
    """Stands in for the NLP extractor at the seam the pipeline owns: batching and error handling."""

    def __init__(self, fail: bool = False) -> None:
        self.batches: list[int] = []
        self.fail = fail

    def extract_batch(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.batches.append(len(records))
        if self.fail:
            raise RuntimeError("model exploded")
        return [{"id": r["id"], "drugs": [], "text_seen": r["title"] + "|" + r["text"]} for r in records]


def _enrich(extractor: _RecordingExtractor, batch_size: int) -> tuple[NlpEnrichPipeline, Any]:
    crawler = get_crawler(settings_dict={"NARCOWATCH_NLP_BATCH_SIZE": batch_size,
                                         "NARCOWATCH_NLP_BATCH_WAIT": 0.02})
    pipe = NlpEnrichPipeline.from_crawler(crawler)
    pipe._extractor = extractor
    return pipe, crawler.stats


def test_enrich_batches_items_and_keeps_order() -> None:
    extractor = _RecordingExtractor()
    pipe, stats = _enrich(extractor, batch_size=4)
    items = [_listing(n) for n in range(10)]
    items.append(ChannelPost.build("t", "chan", 7, "https://t.me/chan/7", text="пост"))
    unchanged = _listing(99)
    unchanged.change = "unchanged"

    async def run() -> list[Any]:
        out = await asyncio.gather(*(pipe.process_item(i) for i in [*items, unchanged]))
        await pipe.close_spider()
        return list(out)

    out = asyncio.run(run())
    assert out[:-1] == items
    assert all(i.nlp and i.nlp["id"] == i.id for i in items)
    assert items[0].nlp["text_seen"] == "Мефедрон 2 г|Кристаллы, Бишкек"  # type: ignore[index]
    assert items[-1].nlp["text_seen"] == "|пост"  # type: ignore[index]
    assert unchanged.nlp is None
    assert sorted(extractor.batches, reverse=True)[:2] == [4, 4]
    assert sum(extractor.batches) == 11
    assert stats.get_value("narcowatch/nlp/docs") == 11
    assert stats.get_value("narcowatch/nlp/skipped_unchanged") == 1


def test_enrich_failure_reaches_every_item_of_the_batch() -> None:
    pipe, stats = _enrich(_RecordingExtractor(fail=True), batch_size=3)

    async def run() -> list[Any]:
        return await asyncio.gather(*(pipe.process_item(_listing(n)) for n in range(3)),
                                    return_exceptions=True)

    results = asyncio.run(run())
    assert all(isinstance(r, RuntimeError) for r in results)
    assert stats.get_value("narcowatch/nlp/failed_batches") == 1


def test_enrich_rejects_bad_batch_size() -> None:
    with pytest.raises(NotConfigured, match="BATCH_SIZE"):
        NlpEnrichPipeline.from_crawler(get_crawler(settings_dict={"NARCOWATCH_NLP_BATCH_SIZE": 0}))


def test_alerts_need_watchlists_and_record_once(tmp_path: Path) -> None:
    with pytest.raises(NotConfigured):
        AlertPipeline.from_crawler(get_crawler())
    crawler = get_crawler(settings_dict={"NARCOWATCH_STORE": str(tmp_path / "s.db"),
                                         "NARCOWATCH_WATCHLISTS": [str(SAMPLE_WATCHLIST)]})
    pipe = AlertPipeline.from_crawler(crawler)
    pipe.open_spider()
    item = _listing(nlp={"category": "sale", "drugs": [{"substance": "mephedrone", "class": "stimulant",
                                                         "nps": True}],
                         "places": [{"name": "Bishkek", "country": "KG"}]})
    try:
        asyncio.run(pipe.process_item(item))
        asyncio.run(pipe.process_item(item))
    finally:
        pipe.close_spider()
    assert crawler.stats.get_value("narcowatch/alerts/new") == 2  # type: ignore[union-attr]
    store = SqliteStore(tmp_path / "s.db")
    assert {rule for _, rule, _ in store.alert_counts()} == {"nps-stimulants", "central-asia-sales"}
    store.close()
