"""TorPool: rendezvous pinning, health probes, per-site rotation and rate-limited NEWNYM."""

from __future__ import annotations

import asyncio

import pytest
from socks_server import SocksServer

from crawler.tor.pool import (
    Endpoint,
    NoLiveEndpointError,
    ProxyConfigError,
    TorPool,
    parse_proxy_url,
    stem_newnym_factory,
)

SITES = [f"site{i}.example" for i in range(400)]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def pool_of(n: int, **kwargs: object) -> TorPool:
    return TorPool.from_urls([f"socks5h://127.0.0.1:{9050 + 2 * i}" for i in range(n)],
                             [9051 + 2 * i for i in range(n)], **kwargs)


def test_parse_proxy_url_accepts_only_socks5h() -> None:
    assert parse_proxy_url("socks5h://127.0.0.1:9050").key == "127.0.0.1:9050"
    for bad in ("socks5://127.0.0.1:9050", "socks4://127.0.0.1:9050", "http://127.0.0.1:8118", "127.0.0.1:9050"):
        with pytest.raises(ProxyConfigError):
            parse_proxy_url(bad)


def test_pinning_is_stable_balanced_and_a_dead_endpoint_only_moves_its_own_sites() -> None:
    pool = pool_of(4)
    before = {s: pool.endpoint_for(s).key for s in SITES}
    assert before == {s: pool_of(4).endpoint_for(s).key for s in SITES}, "pinning must not depend on the process"
    counts = {e.key: list(before.values()).count(e.key) for e in pool.endpoints}
    assert min(counts.values()) > 50, counts
    dead = pool.endpoints[1]
    pool.mark_down(dead, "test")
    after = {s: pool.endpoint_for(s).key for s in SITES}
    moved = {s for s in SITES if before[s] != after[s]}
    assert moved == {s for s in SITES if before[s] == dead.key}
    assert dead.key not in after.values()
    pool.mark_up(dead)
    assert {s: pool.endpoint_for(s).key for s in SITES} == before, "sites return when the endpoint does"


def test_all_endpoints_down_fails_closed() -> None:
    pool = pool_of(2)
    for e in pool.endpoints:
        pool.mark_down(e, "killed")
    with pytest.raises(NoLiveEndpointError, match="fail closed"):
        pool.endpoint_for("x.example")


def test_probe_brings_back_only_endpoints_that_speak_socks5() -> None:
    async def main() -> None:
        server = await SocksServer().start()
        not_socks = await asyncio.start_server(lambda r, w: w.close(), "127.0.0.1", 0)
        ns_port = not_socks.sockets[0].getsockname()[1]
        pool = TorPool.from_urls([server.url, f"socks5h://127.0.0.1:{ns_port}"], probe_timeout=1.0)
        for e in pool.endpoints:
            pool.mark_down(e, "test")
        assert await pool.probe_down() == 1
        assert [e.alive for e in pool.endpoints] == [True, False]
        await server.kill()
        assert await pool.probe(pool.endpoints[0]) is False
        not_socks.close()

    asyncio.run(main())


def test_repeated_failures_rotate_the_site_identity_and_newnym_is_rate_limited() -> None:
    clock = Clock()
    calls: list[int | None] = []

    def newnym(ep: Endpoint) -> bool:
        calls.append(ep.control_port)
        return True

    pool = pool_of(2, newnym=newnym, clock=clock, failure_threshold=3, newnym_min_interval=30.0,
                   rotation_min_interval=5.0)
    site = "a.example"
    ep = pool.endpoint_for(site)
    first = pool.identity(site)
    assert pool.identity("b.example")[0] != first[0]
    assert [pool.report_failure(site, ep) for _ in range(3)] == [False, False, True]
    second = pool.identity(site)
    assert second[0] == first[0] and second[1] != first[1], "same user, new password: a new Tor circuit"
    assert calls == [ep.control_port]
    clock.now += 6  # rotation allowed again, NEWNYM not yet
    assert [pool.report_failure(site, ep) for _ in range(3)][-1] is True
    assert len(calls) == 1 and pool.identity(site) != second
    clock.now += 31
    pool.report_success(site)
    assert [pool.report_failure(site, ep) for _ in range(3)][-1] is True
    assert len(calls) == 2 and pool.newnym_calls == 2


def test_newnym_failure_never_breaks_the_crawl() -> None:
    def broken(ep: Endpoint) -> bool:
        raise OSError("control port gone")

    pool = pool_of(1, newnym=broken, failure_threshold=1)
    assert pool.report_failure("a.example", pool.endpoints[0]) is True  # rotated; NEWNYM error swallowed+logged


def test_stem_newnym_factory_uses_the_tor_controller_when_present() -> None:
    newnym = stem_newnym_factory()
    try:
        import crawler.tor.control  # noqa: F401
    except ImportError:
        assert newnym is None
        return
    assert callable(newnym)
    # No tor listens on this control port: the controller raises, the pool logs and carries on.
    pool = TorPool.from_urls(["socks5h://127.0.0.1:1"], [1], newnym=newnym, failure_threshold=1)
    assert pool.report_failure("a.example", pool.endpoints[0]) is True
