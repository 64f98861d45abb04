"""Real crawls (Scrapy in a subprocess, bench/crawl_site.py) through the handler and loopback SOCKS servers.

The site and the SOCKS servers run in this process on a background event loop, so the test can read what
each proxy saw and kill one in the middle of a crawl.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from socks_server import SocksServer
from test_handler_socks import make_onion, site_mod

ROOT = Path(__file__).parents[1]
T = TypeVar("T")


class Loopback:
    """A background asyncio loop hosting the test site and SOCKS servers."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.onions = [make_onion(f"crawl{i}") for i in range(24)]
        self.runner, self.port = self.call(site_mod.start_site(0.05))
        self.hits = self.runner.app[site_mod.HITS]
        self.servers: list[SocksServer] = []

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def socks(self, n: int) -> list[SocksServer]:
        mapping = {h: self.port for h in self.onions}
        servers = [self.call(SocksServer(mapping=dict(mapping)).start()) for _ in range(n)]
        self.servers.extend(servers)
        return servers

    def close(self) -> None:
        for s in self.servers:
            self.call(s.kill())
        self.call(self.runner.cleanup())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture(scope="module")
def lo() -> Iterator[Loopback]:
    env = Loopback()
    yield env
    env.close()


def crawl(tmp_path: Path, urls: list[str], proxies: list[str], *sets: str, wait: bool = True, count: int = 1
          ) -> subprocess.Popen[bytes] | dict[str, Any]:
    report = tmp_path / f"report-{time.monotonic_ns()}.json"
    cmd = [sys.executable, str(ROOT / "bench" / "crawl_site.py"), "--report", str(report), "--count", str(count)]
    for u in urls:
        cmd += ["--url", u]
    for p in proxies:
        cmd += ["--proxy", p]
    for s in sets:
        cmd += ["--set", s]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.report = report  # type: ignore[attr-defined]
    if not wait:
        return proc
    return finish(proc)


def finish(proc: subprocess.Popen[bytes]) -> dict[str, Any]:
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err.decode()[-3000:]
    report = json.loads(proc.report.read_text())  # type: ignore[attr-defined]
    report["log"] = err.decode()
    return report


def test_gzip_bomb_is_cut_by_httpcompression_maxsize(lo: Loopback, tmp_path: Path) -> None:
    [proxy] = lo.socks(1)
    onion = lo.onions[0]
    r = crawl(tmp_path, [f"http://{onion}/bomb", f"http://{onion}/p/1"], [proxy.url],
              "DOWNLOAD_MAXSIZE=1048576", "LOG_LEVEL=INFO")
    assert isinstance(r, dict)
    assert [p["url"] for p in r["pages"]] == [f"http://{onion}/p/1"]
    assert [f["type"] for f in r["failures"]] == ["IgnoreRequest"]
    assert "exceeded DOWNLOAD_MAXSIZE (1048576 B) during decompression" in r["log"]
    assert "httpcompression/response_bytes" not in r["stats"]
    assert r["maxrss_mb"] < 200, "the 64 MiB bomb must never be inflated in memory"


def test_redirect_loop_stops_at_redirect_max_times(lo: Loopback, tmp_path: Path) -> None:
    [proxy] = lo.socks(1)
    onion = lo.onions[1]
    before = sum(v for k, v in lo.hits.items() if k.startswith("/loop/"))
    r = crawl(tmp_path, [f"http://{onion}/loop/0"], [proxy.url], "REDIRECT_MAX_TIMES=5")
    assert isinstance(r, dict)
    assert r["pages"] == [] and [f["type"] for f in r["failures"]] == ["IgnoreRequest"]
    assert sum(v for k, v in lo.hits.items() if k.startswith("/loop/")) - before == 6
    assert r["stats"].get("retry/count") is None


def test_onion_to_clearnet_redirect_is_refused_unless_allowed(lo: Loopback, tmp_path: Path) -> None:
    [proxy] = lo.socks(1)
    onion, other = lo.onions[2], lo.onions[3]
    clear = f"http://localhost:{lo.port}/p/77"
    to_onion = f"http://{other}/p/78"
    start = [f"http://{onion}/to?url={clear}", f"http://{onion}/to?url={to_onion}"]
    r = crawl(tmp_path, start, [proxy.url])
    assert isinstance(r, dict)
    assert [p["url"] for p in r["pages"]] == [to_onion], "onion->onion redirects are followed"
    assert [f["type"] for f in r["failures"]] == ["OnionToClearnetRedirectError"]
    assert r["stats"]["narcowatch/tor/refused/onion_to_clearnet"] == 1
    assert lo.hits["/p/77"] == 0 and not any(rec.host == "localhost" for rec in proxy.records)

    allowed = crawl(tmp_path, start[:1], [proxy.url], "NARCOWATCH_ALLOW_ONION_TO_CLEARNET=true")
    assert isinstance(allowed, dict)
    assert [p["url"] for p in allowed["pages"]] == [clear]
    assert lo.hits["/p/77"] == 1
    assert any(rec.host == "localhost" for rec in proxy.records), "the allowed clearnet hop still uses Tor"


def test_pool_endpoint_dying_mid_crawl_loses_nothing(lo: Loopback, tmp_path: Path) -> None:
    servers = lo.socks(3)
    sites = lo.onions[4:24]
    urls = [f"http://{s}/p/{i}" for s in sites for i in range(25)]  # 500 pages, 20 sites
    url_file_templates = [f"http://{s}/p/{{i}}" for s in sites]
    proc = crawl(tmp_path, url_file_templates, [s.url for s in servers], "CONCURRENT_REQUESTS=32",
                 "CONCURRENT_REQUESTS_PER_DOMAIN=4", "RETRY_TIMES=3", "NARCOWATCH_TOR_PROBE_INTERVAL=60",
                 "LOG_LEVEL=INFO", wait=False, count=25)
    assert isinstance(proc, subprocess.Popen)
    victim = servers[0]
    deadline = time.monotonic() + 60
    pages_before = sum(v for k, v in lo.hits.items() if k.startswith("/p/"))
    while sum(v for k, v in lo.hits.items() if k.startswith("/p/")) - pages_before < 120:
        assert time.monotonic() < deadline and proc.poll() is None
        time.sleep(0.01)
    victim_sites = {rec.host for rec in victim.records}
    lo.call(victim.kill())
    killed_after = len(victim.records)
    r = finish(proc)
    fetched = [p["url"] for p in r["pages"]]
    assert r["failures"] == []
    assert sorted(fetched) == sorted(urls) and len(fetched) == len(set(fetched)) == 500, "each page exactly once"
    assert killed_after >= 1 and victim_sites, "the victim endpoint was in use when it died"
    assert r["stats"].get(f"narcowatch/tor/endpoint_down/{victim.host}:{victim.port}") == 1
    survivors = {rec.host for s in servers[1:] for rec in s.records}
    assert victim_sites <= survivors, "the dead endpoint's sites moved to live endpoints"
    assert r["stats"].get("retry/count", 0) >= 1, "requests in flight on the dead endpoint were retried"
