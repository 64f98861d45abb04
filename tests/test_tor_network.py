"""Acceptance (issue 3, point 1): the market spider crawls the fixture market at its .onion address over
the private Tor network and indexes the same items as a direct crawl of the same fixture.

Both crawls run through the real crawl runner (``narcowatch.crawl.run_crawls``: spider, item pipelines
with NLP, SQLite store) in one child process (a Twisted reactor starts once per process). The direct
source uses ``transport = "direct"``; the onion source uses ``transport = "tor"`` with the private
network's client as its only SOCKS5h proxy. Ids contain the source and the URL, so the stored items are
compared by content.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

try:
    import tornet  # tests/ is on sys.path under pytest (as for tests/fixtureworld.py)
except ImportError:  # pragma: no cover - imported as a package from the repository root
    from tests import tornet  # type: ignore[no-redef]

pytestmark = [pytest.mark.tor, pytest.mark.timeout(300)]
tor_network = tornet.tor_network

REPO = Path(__file__).resolve().parents[1]
# The whole fixture market (~200 pages) takes ~10 s over the private network, so it is not limited.
WORLD_SEED = 1

_DRIVER = """
import json, sys
from pathlib import Path
from narcowatch.config import Source
from narcowatch.crawl import run_crawls

args = json.loads(sys.argv[1])
common = dict(spider="market", adapter="fixture-market")
sources = [
    Source(name="market-direct", start_url=args["direct_url"], transport="direct", **common),
    Source(name="market-onion", start_url=args["onion_url"], transport="tor",
           tor_proxies=(args["socks_url"],), **common),
]
results = run_crawls(sources, store=Path(args["store"]), watchlists=[], overrides={"LOG_LEVEL": "WARNING"})
print(json.dumps([{"source": r.source, "reason": r.finish_reason, "pages": r.pages, "items": r.items,
                   "errors": r.errors, "stats": {k: v for k, v in r.stats.items() if isinstance(v, int)}}
                  for r in results]))
"""


@pytest.fixture(scope="module")
def onion_market(tor_network: tornet.TorNetwork) -> Iterator[str]:
    """The fixture market on the port behind the onion service's virtual port 80; yields its direct URL."""
    from fixtures.server import FixtureServer
    from fixtures.world import World

    with FixtureServer(World.generate(seed=WORLD_SEED), market_port=tor_network.target_port, only="market") as server:
        # the network is up (harness readiness check); now the market must answer at the onion address too
        status, body = tornet.socks_http_get_retry(tor_network.socks_port, tor_network.onion_hostname, "/")
        assert status == 200 and b"category" in body
        yield server.market_url


def _content(data: dict[str, Any]) -> tuple[Any, ...]:
    """A stored item without what depends on where it was fetched from (ids, host names, times)."""
    skip = {"id", "source", "fetched_at", "change", "nlp", "url", "vendor_url"}
    fields = {k: v for k, v in data.items() if k not in skip}
    fields["path"] = urlsplit(data["url"]).path
    fields["vendor_path"] = urlsplit(data.get("vendor_url") or "").path
    return tuple(sorted((k, json.dumps(v, sort_keys=True, ensure_ascii=False)) for k, v in fields.items()))


def _stored(db: Path, source: str, kind: str) -> list[dict[str, Any]]:
    with sqlite3.connect(db) as con:
        rows = con.execute("SELECT data FROM items WHERE source = ? AND kind = ?", (source, kind)).fetchall()
    return [json.loads(r[0]) for r in rows]


def test_onion_crawl_indexes_the_same_items_as_a_direct_crawl(
    tor_network: tornet.TorNetwork, onion_market: str, tmp_path: Path
) -> None:
    store = tmp_path / "narcowatch.db"
    args = {
        "store": str(store),
        "direct_url": onion_market,
        "onion_url": tor_network.onion_url,
        "socks_url": tor_network.socks_url,
    }
    env = dict(os.environ, NARCOWATCH_HOME=str(tmp_path / "home"))
    for var in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        env.pop(var, None)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _DRIVER, json.dumps(args)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=240)
    elapsed = time.monotonic() - started
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = {r["source"]: r for r in json.loads(proc.stdout.strip().splitlines()[-1])}
    direct, onion = results["market-direct"], results["market-onion"]
    print(f"\ncrawl child process {elapsed:.1f} s; direct {direct['pages']} pages / {direct['items']} items, "
          f"onion {onion['pages']} pages / {onion['items']} items; network {tor_network.timings}")
    assert direct["reason"] == onion["reason"] == "finished"
    assert onion["pages"] == direct["pages"] > 100

    listings_direct = _stored(store, "market-direct", "listing")
    listings_onion = _stored(store, "market-onion", "listing")
    from fixtures.world import World

    world = World.generate(seed=WORLD_SEED)
    truth = {(f.title, f.price, f.currency, f.vendor) for f in world.listings}
    assert len(listings_direct) == len(world.listings)  # the bad pages are extra links, not listings
    # the onion crawl really fetched the onion (its URLs), the direct one loopback
    assert {urlsplit(i["url"]).hostname for i in listings_onion} == {tor_network.onion_hostname}
    assert {urlsplit(i["url"]).hostname for i in listings_direct} == {"127.0.0.1"}
    # the acceptance comparison: same (title, price, currency, vendor) set and the same count
    key = ("title", "price", "currency", "vendor")
    assert len(listings_onion) == len(listings_direct)
    assert {tuple(i[k] for k in key) for i in listings_onion} == {tuple(i[k] for k in key) for i in listings_direct}
    assert {tuple(i[k] for k in key) for i in listings_onion} == truth
    # and stricter: every stored field except ids, hosts and times
    assert sorted(map(_content, listings_onion)) == sorted(map(_content, listings_direct))
    vendors_direct = _stored(store, "market-direct", "vendor")
    vendors_onion = _stored(store, "market-onion", "vendor")
    assert vendors_direct and sorted(map(_content, vendors_onion)) == sorted(map(_content, vendors_direct))
    # both went through the NLP pipeline into the index
    assert all(i.get("nlp") for i in listings_onion)
    assert [i["nlp"].get("drugs") for i in sorted(listings_onion, key=_content)] == [
        i["nlp"].get("drugs") for i in sorted(listings_direct, key=_content)
    ]


def test_operator_workflow_tor_start_then_narcowatch_crawl_of_the_onion(
    tor_network: tornet.TorNetwork, onion_market: str, tmp_path: Path
) -> None:
    """`narcowatch tor start -n 2` (joined to the private network), then `narcowatch crawl source.toml` of
    the onion with the printed proxies and control ports: the store gets every listing of the market."""
    from crawler.tor.launcher import TorLauncher, pid_alive
    from fixtures.world import World

    extra = tmp_path / "private-net.torrc"
    extra.write_text("\n".join(tor_network.client_torrc_lines()) + "\n")
    state = tmp_path / "tor"
    env = dict(os.environ, NARCOWATCH_HOME=str(tmp_path / "home"))
    try:
        started = subprocess.run(
            [sys.executable, "-m", "narcowatch", "tor", "start", "-n", "2", "--state-dir", str(state),
             "--torrc-extra", str(extra), "--timeout", "120"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=150,
        )
        assert started.returncode == 0, started.stdout + started.stderr
        hints = dict(line.split("=", 1) for line in started.stdout.splitlines()
                     if line.startswith("NARCOWATCH_TOR_"))
        proxies = hints["NARCOWATCH_TOR_PROXIES"].split(",")
        assert len(proxies) == 2 and all(p.startswith("socks5h://127.0.0.1:") for p in proxies)
        source = tmp_path / "onion-market.toml"
        source.write_text(
            "# source: the fixture market behind the private network's onion service (test)\n"
            'name = "onion-market"\nspider = "market"\nadapter = "fixture-market"\n'
            f'start_url = "{tor_network.onion_url}"\ntransport = "tor"\n'
            f"[tor]\nproxies = {json.dumps(proxies)}\n"
        )
        store = tmp_path / "crawl.db"
        crawl = subprocess.run(
            [sys.executable, "-m", "narcowatch", "crawl", str(source), "--store", str(store),
             "--set", f"NARCOWATCH_TOR_CONTROL_PORTS={hints['NARCOWATCH_TOR_CONTROL_PORTS']}"],
            cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
        )
        assert crawl.returncode == 0, crawl.stdout + crawl.stderr[-3000:]
        assert "onion-market: finished" in crawl.stdout, crawl.stdout
    finally:
        launcher = TorLauncher(state)
        pids = [i.pid for i in launcher.instances]
        launcher.stop_all()
    assert pids and not any(pid_alive(p) for p in pids)
    world = World.generate(seed=WORLD_SEED)
    listings = _stored(store, "onion-market", "listing")
    assert {urlsplit(i["url"]).hostname for i in listings} == {tor_network.onion_hostname}
    assert {(i["title"], i["price"], i["currency"], i["vendor"]) for i in listings} == {
        (f.title, f.price, f.currency, f.vendor) for f in world.listings
    }
