"""TelegramSpider: golden pages (fixture and real t.me markup), paging rules, canaries, and a real crawl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from crawler.spiders.telegram import TelegramSpider, parse_views
from fixtures import telegram
from fixtures.server import FixtureServer
from fixtures.world import World

try:
    from fixtureworld import GOLDEN, fixture_server, run_spider, world  # noqa: F401  (pytest fixtures)
except ImportError:  # pragma: no cover - run from the repository root
    from tests.fixtureworld import GOLDEN, fixture_server, run_spider, world  # noqa: F401

try:
    from golden.regen import run_case
except ImportError:  # pragma: no cover
    from tests.golden.regen import run_case

REAL_TME = Path("/work/shared/data/pages/telegram-tme-s-html/lifemodel_telegram-test-channel.html")
CASES = sorted(p.stem for p in (GOLDEN / "telegram").glob("*.json"))
BASE = "http://127.0.0.1:8001"


@pytest.mark.parametrize("case", CASES)
def test_golden_telegram_pages(case: str) -> None:
    spec = json.loads((GOLDEN / "telegram" / f"{case}.json").read_text(encoding="utf-8"))
    expected = spec.pop("expected")
    assert run_case(spec, (GOLDEN / "telegram" / f"{case}.html").read_bytes()) == expected


def test_real_tme_page_posts() -> None:
    spec = json.loads((GOLDEN / "telegram" / "tme_real_excerpt.json").read_text(encoding="utf-8"))
    posts = spec["expected"]["items"]
    assert [p["post_id"] for p in posts] == [1001, 1003, 1010]
    first, blank, forwarded = posts
    assert first["views"] == 2500 and first["posted_at"] == "2026-01-31T08:35:56+00:00"
    assert first["text"].startswith("This is a test message with multiple photos.")
    assert first["media"] == ["https://cdn4.telesco.pe/file/test-photo-1.jpg",
                              "https://cdn4.telesco.pe/file/test-photo-2.jpg"]
    assert blank["text"] == "" and blank["views"] == 1300
    assert forwarded["forwarded_from"] == "https://t.me/another_channel/500"
    assert forwarded["text"].count("This is a forwarded message") == 1  # the nested text div is not doubled
    assert spec["expected"]["requests"] == ["https://t.me/s/test_channel?before=1001"]


@pytest.mark.skipif(not REAL_TME.is_file(), reason="the full real t.me page (shared/data) is not on this machine")
def test_full_real_tme_page_gives_same_posts() -> None:
    spec = json.loads((GOLDEN / "telegram" / "tme_real_excerpt.json").read_text(encoding="utf-8"))
    expected = spec.pop("expected")
    assert run_case(spec, REAL_TME.read_bytes())["items"] == expected["items"]


@pytest.mark.parametrize(("text", "views"), [
    ("401", 401), ("1.2K", 1200), ("15K", 15000), ("1.1M", 1100000), ("7,7K", 7700), ("", None), ("n/a", None),
])
def test_parse_views(text: str, views: int | None) -> None:
    assert parse_views(text) == views


def _parse(world: World, before: int | None, meta_before: int | None = None, body: bytes | None = None,
           **kwargs: Any) -> tuple[list[Any], list[str], dict[str, Any]]:
    crawler = get_crawler(TelegramSpider, {"ITEM_PIPELINES": {}})
    spider = TelegramSpider.from_crawler(crawler, source="t", start_url=f"{BASE}/s/{world.channel}", **kwargs)
    url = f"{BASE}/s/{world.channel}" + (f"?before={before}" if before else "")
    html = body if body is not None else telegram.render_page(world, before).encode()
    response = HtmlResponse(url=url, body=html, encoding="utf-8",
                            request=Request(url, meta={"before": meta_before if meta_before is not None else before}))
    out = list(spider.parse(response))
    items = [o for o in out if not isinstance(o, Request)]
    requests = [o.url for o in out if isinstance(o, Request)]
    return items, requests, crawler.stats.get_stats()


def test_posts_match_ground_truth_on_every_page(world: World) -> None:
    truth = {p.post_id: p for p in world.real_posts}
    before: int | None = None
    seen: list[int] = []
    while True:
        items, requests, _ = _parse(world, before)
        for item in items:
            fact = truth[item.post_id]
            assert item.text == fact.text
            assert item.url == fact.permalink and item.posted_at == fact.posted_at
            assert item.views == fact.views and item.edited == fact.edited
            assert item.forwarded_from == fact.forwarded_from
            assert item.media == fact.photos + ([fact.video] if fact.video else [])
            assert [h for h in fact.handles if "https://t.me/" + h[1:] not in item.links] == []
            if fact.preview:
                assert fact.preview["url"] in item.links and fact.preview["description"] not in item.text
        seen = [i.post_id for i in items] + seen
        if not requests:
            break
        before = int(requests[0].rpartition("=")[2])
    assert seen == sorted(truth)


def test_stop_before_id_stops_paging(world: World) -> None:
    newest_page = [p.post_id for p in world.posts_for_page(None) if not p.service]
    mark = newest_page[5]
    items, requests, _ = _parse(world, None, stop_before_id=mark)
    assert [i.post_id for i in items] == [i for i in newest_page if i > mark]
    assert requests == []


def test_before_that_does_not_move_stops(world: World) -> None:
    lowest = world.posts_for_page(None)[0].post_id
    items, requests, stats = _parse(world, None, meta_before=lowest)
    assert items and requests == []
    assert stats["narcowatch/telegram/before_stuck"] == 1


def test_max_pages(world: World) -> None:
    _, requests, _ = _parse(world, None, max_pages=1)
    assert requests == []


def test_canary_on_a_page_without_posts(world: World) -> None:
    page = telegram.render_page(world, world.posts[0].post_id)  # nothing is older than the first post
    items, requests, stats = _parse(world, world.posts[0].post_id, body=page.encode())
    assert items == [] and requests == []
    assert stats["narcowatch/telegram/canary_empty"] == 1
    _, _, stats = _parse(world, None, body=b"<html><body><div class='tgme_page'>no preview</div></body></html>")
    assert stats["narcowatch/telegram/no_preview"] == 1 and stats["narcowatch/telegram/canary_empty"] == 1


def test_start_url_must_be_a_preview() -> None:
    with pytest.raises(ValueError, match="t.me/s/<channel>"):
        TelegramSpider(source="t", start_url="https://t.me/some_channel")


def test_crawl_fixture_channel(fixture_server: FixtureServer, world: World, tmp_path: Path) -> None:
    result = run_spider("telegram", tmp_path, source="fixture-channel", start_url=fixture_server.telegram_url)
    items, stats = result["items"], result["stats"]
    posts = [i for i in items if i["kind"] == "channel_post"]
    assert len(posts) >= 60
    assert len(posts) == len(world.real_posts)
    assert len({p["id"] for p in posts}) == len(posts), "duplicate posts"
    assert {p["post_id"] for p in posts} == {p.post_id for p in world.real_posts}
    assert stats["narcowatch/crawl/pages"] >= 3 and stats["narcowatch/crawl/pages"] == world.post_pages
    assert stats["narcowatch/telegram/posts"] == len(posts)
    assert stats["narcowatch/telegram/service_messages"] == sum(p.service for p in world.posts)
    assert "narcowatch/telegram/canary_empty" not in stats
    assert stats["finish_reason"] == "finished"
    assert all(p["channel"] == world.channel and p["posted_at"] for p in posts)
    assert sum(1 for p in posts if p["text"]) >= 60
