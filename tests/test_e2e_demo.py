"""End to end: the real `narcowatch demo` (fixture world, spiders, pipelines, NLP, SQLite) and `search`."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

NARCOWATCH = [sys.executable, "-m", "narcowatch"]


def _run(args: list[str], env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*NARCOWATCH, *args], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def demo_twice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], list[str]]:
    home = tmp_path_factory.mktemp("demo-home")
    env = dict(os.environ, NARCOWATCH_HOME=str(home), COLUMNS="160")
    outputs = []
    for _ in range(2):
        proc = _run(["demo"], env)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        outputs.append(proc.stdout)
    return home / "narcowatch.db", env, outputs


def _db(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    return db


def test_demo_indexes_listings_and_posts(demo_twice: tuple[Path, dict[str, str], list[str]]) -> None:
    store, _, outputs = demo_twice
    db = _db(store)
    counts = dict(db.execute("SELECT kind, COUNT(*) FROM items GROUP BY kind").fetchall())
    assert counts.get("listing", 0) >= 150
    assert counts.get("channel_post", 0) >= 60
    assert counts.get("vendor", 0) >= 1
    # the summary printed numbers, top drugs and alerts
    for heading in ("Crawl", "Top drugs", "Alerts", "Sample search"):
        assert heading in outputs[0]


def test_listing_fields_came_through(demo_twice: tuple[Path, dict[str, str], list[str]]) -> None:
    store, _, _ = demo_twice
    rows = _db(store).execute("SELECT data FROM items WHERE kind = 'listing'").fetchall()
    listings = [json.loads(r[0]) for r in rows]
    complete = [li for li in listings if li["title"] and li["price"] and li["currency"] and li["vendor"]]
    assert len(complete) >= 150
    assert {li["currency"] for li in complete} >= {"RUB", "USD"}
    enriched = [li for li in listings if (li.get("nlp") or {}).get("drugs")]
    assert len(enriched) >= 0.9 * len(listings)


def test_demo_twice_creates_no_duplicates(demo_twice: tuple[Path, dict[str, str], list[str]]) -> None:
    store, _, _ = demo_twice
    db = _db(store)
    total = db.execute("SELECT COUNT(*) FROM items").fetchone()[0]
    assert db.execute("SELECT COUNT(DISTINCT id) FROM items").fetchone()[0] == total
    assert db.execute("SELECT COUNT(DISTINCT kind || url) FROM items").fetchone()[0] == total
    assert db.execute("SELECT COUNT(*) FROM items_fts").fetchone()[0] == total
    runs = [json.loads(r[0]) for r in db.execute("SELECT stats FROM crawl_runs ORDER BY id").fetchall()]
    assert len(runs) == 4
    for second in runs[2:]:
        assert second.get("narcowatch/index/new", 0) == 0
        assert second.get("narcowatch/index/unchanged", 0) == second.get("item_scraped_count")
    alerts = db.execute("SELECT COUNT(*), COUNT(DISTINCT watchlist || rule || item_id) FROM alerts").fetchone()
    assert alerts[0] == alerts[1] > 0


def test_bad_pages_are_counted_not_fatal(demo_twice: tuple[Path, dict[str, str], list[str]]) -> None:
    store, _, _ = demo_twice
    db = _db(store)
    market = json.loads(db.execute(
        "SELECT stats FROM crawl_runs WHERE spider = 'market' ORDER BY id LIMIT 1").fetchone()[0])
    assert market["finish_reason"] == "finished"
    assert market.get("narcowatch/crawl/http_404", 0) >= 1
    assert market.get("narcowatch/crawl/empty_page", 0) >= 1
    assert market.get("narcowatch/crawl/broken_html", 0) >= 1
    assert market.get("spider_exceptions", 0) == 0 and not any(k.startswith("spider_exceptions/") for k in market)


def test_search_finds_listing_by_other_inflected_form(demo_twice: tuple[Path, dict[str, str], list[str]]) -> None:
    from fixtures.world import World

    store, env, _ = demo_twice
    url, query = World.generate(seed=1).known_search_case()
    path = urlsplit(url).path  # the demo serves the world on a run-time port: match on the path
    rows = _db(store).execute("SELECT title, body, url FROM items WHERE kind = 'listing'").fetchall()
    matching = [r for r in rows if urlsplit(r["url"]).path == path]
    assert len(matching) == 1, path
    row = matching[0]
    # the query word is not literally a word of the listing: only lemmatisation can connect them
    from nlp.lemmas import words

    listing_words = {w.lower() for w in words(row["title"] + " " + row["body"])}
    for word in words(query.lower()):
        assert word not in listing_words
        # nor a prefix of one, so prefix matching alone cannot explain the hit
        assert not any(w.startswith(word) for w in listing_words)
    proc = _run(["search", "--json", "-n", "50", query], env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    paths = [urlsplit(json.loads(line)["url"]).path for line in proc.stdout.splitlines()]
    assert path in paths


def test_missing_and_malformed_config_name_the_file(tmp_path: Path) -> None:
    env = dict(os.environ, NARCOWATCH_HOME=str(tmp_path))
    missing = tmp_path / "absent.toml"
    proc = _run(["crawl", str(missing)], env, timeout=60)
    assert proc.returncode != 0
    assert f"{missing}: file not found" in proc.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('spider = "market"\nstart_url = [\n', encoding="utf-8")
    proc = _run(["crawl", str(bad)], env, timeout=60)
    assert proc.returncode != 0
    assert f"{bad}: malformed TOML" in proc.stderr
    assert "Traceback" not in proc.stderr
