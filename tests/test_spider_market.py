"""MarketSpider: golden parser files, price and text helpers, adapter validation, and a real crawl."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from crawler.spiders._adapter import AdapterError, load_adapter
from crawler.spiders._price import parse_price
from crawler.spiders._text import html_to_text
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

MARKET_CASES = sorted(p.stem for p in (GOLDEN / "market").glob("*.json"))


@pytest.mark.parametrize("case", MARKET_CASES)
def test_golden_market_pages(case: str) -> None:
    spec = json.loads((GOLDEN / "market" / f"{case}.json").read_text(encoding="utf-8"))
    body = (GOLDEN / "market" / f"{case}.html").read_bytes()
    expected = spec.pop("expected")
    assert run_case(spec, body) == expected


def test_golden_market_pages_are_the_current_fixture(world: World) -> None:
    """The saved pages are what the fixture serves today (regenerate both together)."""
    from fixtures import market

    pages = market.render_all(world)
    for case in MARKET_CASES:
        spec = json.loads((GOLDEN / "market" / f"{case}.json").read_text(encoding="utf-8"))
        key = urlsplit(spec["url"]).path + (f"?{urlsplit(spec['url']).query}" if urlsplit(spec["url"]).query else "")
        assert (GOLDEN / "market" / f"{case}.html").read_bytes() == pages[key][1], case


def test_golden_listing_agrees_with_ground_truth(world: World) -> None:
    spec = json.loads((GOLDEN / "market" / "listing_known_ru.json").read_text(encoding="utf-8"))
    (item,) = spec["expected"]["items"]
    truth = world.known_listing
    assert (item["title"], item["price"], item["currency"], item["vendor"]) == (
        truth.title, truth.price, truth.currency, truth.vendor)
    assert item["url"] == world.known_search_case()[0]
    assert "@" + world.vendor_by_slug[truth.vendor_slug].telegram in item["description"]


@pytest.mark.parametrize(("text", "expected"), [
    ("5 000 руб", (5000.0, "RUB")),
    ("5.000₽", (5000.0, "RUB")),
    ("5\u00a0000 руб.", (5000.0, "RUB")),
    ("12 500 RUB", (12500.0, "RUB")),
    ("1 250 000₽", (1250000.0, "RUB")),
    ("$45", (45.0, "USD")),
    ("45 USD", (45.0, "USD")),
    ("$1,250.00", (1250.0, "USD")),
    ("45.50 $", (45.5, "USD")),
    ("€40", (40.0, "EUR")),
    ("1.250,00 €", (1250.0, "EUR")),
    ("0.0012 BTC", (0.0012, "BTC")),
    ("0.001 BTC", (0.001, "BTC")),
    ("BTC 0.0150", (0.015, "BTC")),
    ("₿0.0037", (0.0037, "BTC")),
    ("1,5 BTC", (1.5, "BTC")),
    ("цена: ??", (None, None)),
    ("", (None, None)),
])
def test_parse_price(text: str, expected: tuple[float | None, str | None]) -> None:
    assert parse_price(text) == expected


def test_html_to_text_keeps_links_and_structure() -> None:
    html = ('<p><b>Меф</b> кристалл.</p><ul><li>1г - 2 500₽</li><li>2г - 4 500₽</li></ul>'
            '<p>Бот: <a href="https://t.me/x_bot">@x_bot</a>, сайт <a href="/about">о нас</a>'
            '<br/>BTC: <code>bc1q</code></p><script>alert(1)</script><a href="javascript:void(0)">x</a>')
    assert html_to_text(html, "http://m.test/listing/1") == (
        "Меф кристалл.\n\n• 1г - 2 500₽\n• 2г - 4 500₽\n\n"
        "Бот: @x_bot, сайт о нас (http://m.test/about)\nBTC: bc1q\n\nx"
    )
    assert html_to_text("") == "" and html_to_text("<p>  </p>") == ""


def test_adapter_file_documents_every_key() -> None:
    adapter = load_adapter("fixture-market")
    text = adapter.path.read_text(encoding="utf-8")
    assert text.startswith("# source: ")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "=" in line and not line.startswith("#") and not line.startswith("["):
            assert lines[i - 1].startswith("#"), f"undocumented key: {line}"


@pytest.mark.parametrize(("content", "problem"), [
    (None, "adapter file not found"),
    ('name = "x"\n[follow\n', "not valid TOML"),
    ('name = "other"\nmarket = "m"\n', "name must be"),
    ('name = "{stem}"\nmarket = "m"\n[follow]\nlistings = "a::attr(href)"\nbogus = "a"\n', "unknown key 'bogus'"),
    ('name = "{stem}"\nmarket = "m"\n[follow]\nlistings = "a[[["\n', "not a valid selector"),
    ('name = "{stem}"\nmarket = "m"\n[follow]\nlistings = "a::attr(href)"\n', "missing table [listing]"),
])
def test_bad_adapter_files_name_file_and_problem(tmp_path: Path, content: str | None, problem: str) -> None:
    path = tmp_path / "broken-adapter.toml"
    if content is not None:
        path.write_text(content.replace("{stem}", path.stem), encoding="utf-8")
    with pytest.raises(AdapterError) as err:
        load_adapter(str(path))
    assert str(path) in str(err.value) and problem in str(err.value)


def _by_path(items: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {urlsplit(i["url"]).path: i for i in items if i["kind"] == kind}


def test_crawl_fixture_market(fixture_server: FixtureServer, world: World, tmp_path: Path) -> None:
    result = run_spider("market", tmp_path, source="fixture-market", start_url=fixture_server.market_url,
                        canonical_base=world.market_base)
    items, stats = result["items"], result["stats"]
    listings = _by_path(items, "listing")
    assert len(listings) >= 150
    assert len(listings) == len(world.listings)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids)), "duplicate items"
    for truth in world.listings:
        got = listings[truth.path]
        assert got["title"] == truth.title
        assert (got["price"], got["currency"]) == (truth.price, truth.currency)
        assert got["vendor"] == truth.vendor
        assert got["vendor_url"] == world.market_base.rstrip("/") + f"/vendor/{truth.vendor_slug}"
        assert got["ships_from"] == truth.ships_from and got["ships_to"] == truth.ships_to
        assert got["description"] and "<" not in got["description"]
        assert got["url"].startswith(world.market_base)
    vendors = _by_path(items, "vendor")
    assert {v["name"] for v in vendors.values()} == {v.name for v in world.vendors}
    for vendor in world.vendors:
        got = vendors[vendor.path]
        assert (got["rating"], got["sales"], got["joined"]) == (vendor.rating, vendor.sales, vendor.joined)
    assert stats["narcowatch/crawl/broken_html"] == 1
    assert stats["narcowatch/crawl/empty_page"] == 1
    assert stats["narcowatch/crawl/http_404"] == 1
    assert stats["narcowatch/crawl/items/listing"] == len(listings)
    assert stats["narcowatch/crawl/items/vendor"] == len(vendors)
    assert stats["narcowatch/crawl/pages"] == stats["response_received_count"]
    assert stats["finish_reason"] == "finished"
    assert not [k for k in stats if k.startswith("spider_exceptions")]
    assert world.known_search_case()[0] in {i["url"] for i in items}


def test_max_pages_limits_category_pages(fixture_server: FixtureServer, tmp_path: Path) -> None:
    result = run_spider("market", tmp_path, source="fixture-market", start_url=fixture_server.market_url,
                        max_pages=1, settings={"CONCURRENT_REQUESTS": 1})
    assert result["stats"]["narcowatch/crawl/category_pages"] == 1
    assert result["stats"]["narcowatch/crawl/items/listing"] > 0
    listing_urls = {i["url"] for i in result["items"] if i["kind"] == "listing"}
    assert all(u.startswith(fixture_server.market_url) for u in listing_urls)
