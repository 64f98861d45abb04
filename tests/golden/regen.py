"""Rebuild the golden parser files from the fixture world (seed 1) and the current spiders.

    .venv/bin/python tests/golden/regen.py

Each case is a saved page (``<case>.html``) and ``<case>.json`` holding the URL, the spider arguments,
the callback, and what the callback produced: items (``fetched_at`` dropped), follow-up request URLs
and the narcowatch/* stats. Review the diff before committing: a changed golden file is a changed
parser or fixture.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from crawler.spiders.market import MarketSpider  # noqa: E402
from crawler.spiders.telegram import TelegramSpider  # noqa: E402
from fixtures import market, telegram  # noqa: E402
from fixtures.world import World  # noqa: E402

MARKET = "http://127.0.0.1:8000"
TG = "http://127.0.0.1:8001"
SPIDERS = {"market": MarketSpider, "telegram": TelegramSpider}


def run_case(case: dict[str, Any], body: bytes) -> dict[str, Any]:
    """Run ``case``'s callback on ``body``; returns items, requests and narcowatch stats."""
    cls = SPIDERS[case["spider"]]
    crawler = get_crawler(cls, {"ITEM_PIPELINES": {}})
    spider = cls.from_crawler(crawler, **case["args"])
    request = Request(case["url"], meta=case.get("meta", {}))
    response = HtmlResponse(url=case["url"], body=body, encoding="utf-8", request=request,
                            status=case.get("status", 200))
    items: list[dict[str, Any]] = []
    requests: list[str] = []
    for out in getattr(spider, case["callback"])(response) or []:
        if isinstance(out, Request):
            requests.append(out.url)
        else:
            data = dataclasses.asdict(out)
            data.pop("fetched_at")
            items.append(data)
    stats = {k: v for k, v in sorted(crawler.stats.get_stats().items()) if k.startswith("narcowatch/")}
    return {"items": items, "requests": requests, "stats": stats}


def cases(world: World) -> list[tuple[str, dict[str, Any], bytes]]:
    pages = market.render_all(world)
    margs = {"source": "golden-market", "start_url": MARKET + "/"}
    targs = {"source": "golden-channel", "start_url": f"{TG}/s/{world.channel}"}
    known = world.known_listing
    en_usd = next(x for x in world.listings if x.lang == "en" and x.currency == "USD")
    btc = next(x for x in world.listings if x.currency == "BTC")
    vendor = world.vendors[0]
    out: list[tuple[str, dict[str, Any], bytes]] = [
        ("market/index", {"spider": "market", "args": margs, "callback": "parse_start", "url": MARKET + "/"},
         pages["/"][1]),
        ("market/category_stimulants_p1", {"spider": "market", "args": margs, "callback": "parse_category",
                                           "url": MARKET + "/category/stimulants"},
         pages["/category/stimulants"][1]),
        ("market/listing_known_ru", {"spider": "market", "args": {**margs, "canonical_base": world.market_base},
                                     "callback": "parse_listing", "url": MARKET + known.path},
         pages[known.path][1]),
        ("market/listing_en_usd", {"spider": "market", "args": margs, "callback": "parse_listing",
                                   "url": MARKET + en_usd.path}, pages[en_usd.path][1]),
        ("market/listing_btc", {"spider": "market", "args": margs, "callback": "parse_listing",
                                "url": MARKET + btc.path}, pages[btc.path][1]),
        ("market/listing_broken", {"spider": "market", "args": margs, "callback": "parse_listing",
                                   "url": MARKET + "/listing/9001"}, pages["/listing/9001"][1]),
        ("market/vendor", {"spider": "market", "args": margs, "callback": "parse_vendor",
                           "url": MARKET + vendor.path}, pages[vendor.path][1]),
    ]
    newest = telegram.render_page(world, None).encode()
    out.append(("telegram/fixture_newest", {"spider": "telegram", "args": targs, "callback": "parse",
                                            "url": f"{TG}/s/{world.channel}", "meta": {"before": None}}, newest))
    second = world.posts_for_page(None)[0].post_id
    out.append(("telegram/fixture_page2", {"spider": "telegram", "args": targs, "callback": "parse",
                                           "url": f"{TG}/s/{world.channel}?before={second}",
                                           "meta": {"before": second}},
                telegram.render_page(world, second).encode()))
    oldest_before = world.posts[19].post_id + 1
    out.append(("telegram/fixture_oldest", {"spider": "telegram", "args": targs, "callback": "parse",
                                            "url": f"{TG}/s/{world.channel}?before={oldest_before}",
                                            "meta": {"before": oldest_before}},
                telegram.render_page(world, oldest_before).encode()))
    return out


def main() -> None:
    world = World.generate(seed=1)
    for name, case, body in cases(world):
        (HERE / f"{name}.html").write_bytes(body)
        result = run_case(case, body)
        (HERE / f"{name}.json").write_text(
            json.dumps({**case, "expected": result}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"{name}: {len(result['items'])} items, {len(result['requests'])} requests")
    # The real t.me page: expected output is regenerated too, the page itself is a saved excerpt.
    real = HERE / "telegram" / "tme_real_excerpt.html"
    case = {"spider": "telegram", "args": {"source": "golden-real", "start_url": "https://t.me/s/test_channel"},
            "callback": "parse", "url": "https://t.me/s/test_channel?before=1011", "meta": {"before": 1011}}
    result = run_case(case, real.read_bytes())
    (HERE / "telegram" / "tme_real_excerpt.json").write_text(
        json.dumps({**case, "expected": result}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"telegram/tme_real_excerpt: {len(result['items'])} items")


if __name__ == "__main__":
    main()
