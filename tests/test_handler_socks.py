"""SocksDownloadHandler against a real loopback SOCKS5 server and a real aiohttp site (no crawler loop).

Each test runs in its own asyncio loop: the handler is pure asyncio, so it is driven directly with
hand-made Requests, like Scrapy's own handler tests.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import importlib.util
import json
import os
import ssl
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    NotConfigured,
)
from scrapy.utils.test import get_crawler
from socks_server import ATYP_DOMAIN, SocksServer

from crawler.handlers.config import Config
from crawler.handlers.socks import RefusedRequestError, SocksDownloadHandler

_spec = importlib.util.spec_from_file_location("nw_bench_site", Path(__file__).parents[1] / "bench" / "site.py")
assert _spec and _spec.loader
site_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(site_mod)


def make_onion(seed: str) -> str:
    """A syntactically valid v3 onion host (checksum and version byte) made from a seed; never a real one."""
    pubkey = hashlib.sha256(seed.encode()).digest()
    checksum = hashlib.sha3_256(b".onion checksum" + pubkey + b"\x03").digest()[:2]
    return base64.b32encode(pubkey + checksum + b"\x03").decode().lower() + ".onion"


Env = dict[str, Any]


def run(body: Callable[[Env], Awaitable[None]], *, proxies: int = 1, settings: dict[str, Any] | None = None,
        onions: int = 2) -> None:
    """Start the site and SOCKS servers, build a handler from a test crawler, run ``body``, tear down."""

    async def main() -> None:
        runner, port = await site_mod.start_site()
        onion_hosts = [make_onion(f"site{i}") for i in range(onions)]
        servers = [await SocksServer(mapping={x: port for h in onion_hosts for x in (h, "www." + h)}).start() for _ in range(proxies)]
        conf = {
            "NARCOWATCH_TRANSPORT": "tor",
            "NARCOWATCH_TOR_PROXIES": [s.url for s in servers],
            "DOWNLOAD_TIMEOUT": 10,
            "DOWNLOAD_MAXSIZE": 1024 * 1024,
            "DOWNLOAD_WARNSIZE": 512 * 1024,
            "NARCOWATCH_TOR_PROBE_INTERVAL": 0.2,
            **(settings or {}),
        }
        crawler = get_crawler(settings_dict=conf)
        handler = SocksDownloadHandler.from_crawler(crawler)
        env: Env = {"port": port, "servers": servers, "handler": handler, "onions": onion_hosts,
                    "hits": runner.app[site_mod.HITS], "stats": crawler.stats, "base": f"http://127.0.0.1:{port}"}
        try:
            await body(env)
        finally:
            await handler.close()
            for s in servers:
                await s.kill()
            await runner.cleanup()

    asyncio.run(main())


# -- configuration -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, words",
    [
        ("socks5://127.0.0.1:9050", "socks5h"),
        ("socks4://127.0.0.1:9050", "SOCKS4"),
        ("socks4a://127.0.0.1:9050", "SOCKS4"),
        ("http://127.0.0.1:8118", "HTTP proxies"),
        ("socks5h://user:pw@127.0.0.1:9050", "credentials"),
        ("socks5h://127.0.0.1", "port"),
    ],
)
def test_config_refuses_leaky_or_unsupported_proxies(url: str, words: str) -> None:
    with pytest.raises(NotConfigured, match=words):
        Config.from_settings({"NARCOWATCH_TOR_PROXIES": [url]})


def test_config_tor_without_proxy_is_not_configured_and_says_why() -> None:
    with pytest.raises(NotConfigured, match="fail closed"):
        Config.from_settings({"NARCOWATCH_TRANSPORT": "tor", "NARCOWATCH_TOR_PROXIES": []})
    with pytest.raises(NotConfigured, match="must be one of"):
        Config.from_settings({"NARCOWATCH_TRANSPORT": "clearnet"})
    with pytest.raises(NotConfigured, match="CONTROL_PORTS"):
        Config.from_settings({"NARCOWATCH_TOR_PROXIES": ["socks5h://127.0.0.1:1"],
                              "NARCOWATCH_TOR_CONTROL_PORTS": [1, 2]})


def test_config_parses_types_and_defaults() -> None:
    cfg = Config.from_settings({
        "NARCOWATCH_TOR_PROXIES": "socks5h://127.0.0.1:9050, socks5h://127.0.0.1:9052",
        "NARCOWATCH_TOR_CONTROL_PORTS": ["9051", ""],
        "NARCOWATCH_TOR_ISOLATE_SITES": "false",
        "DOWNLOAD_TIMEOUT": "30",
        "NARCOWATCH_TOR_BLOCK_HTTP_CODES": "403,429",
    })
    assert cfg.transport == "tor"
    assert [p.key for p in cfg.proxies] == ["127.0.0.1:9050", "127.0.0.1:9052"]
    assert cfg.control_ports == (9051, None)
    assert cfg.isolate_sites is False and cfg.allow_onion_to_clearnet is False
    assert cfg.download_timeout == 30.0 and cfg.block_http_codes == frozenset({403, 429})
    assert Config.from_settings({"NARCOWATCH_TRANSPORT": "direct"}).proxies == ()


def test_handler_is_registered_for_http_and_https_in_project_settings() -> None:
    import crawler.settings as project

    assert project.DOWNLOAD_HANDLERS["http"] == "crawler.handlers.socks.SocksDownloadHandler"
    assert project.DOWNLOAD_HANDLERS["https"] == "crawler.handlers.socks.SocksDownloadHandler"
    for scheme in ("ftp", "s3", "file"):
        assert project.DOWNLOAD_HANDLERS[scheme] is None
    assert project.NARCOWATCH_TRANSPORT == os.environ.get("NARCOWATCH_TRANSPORT", "tor")


# -- remote DNS, isolation, headers -------------------------------------------------------------


def test_hostnames_go_to_the_proxy_as_atyp3_with_one_identity_per_site() -> None:
    async def body(env: Env) -> None:
        h: SocksDownloadHandler = env["handler"]
        a, b = env["onions"]
        urls = [f"http://{a}/p/1", f"http://{a}/p/2", f"http://www.{a}/p/3", f"http://{b}/p/1",
                f"http://localhost:{env['port']}/p/9"]
        responses = await asyncio.gather(*(h.download_request(Request(u)) for u in urls))
        assert [r.status for r in responses] == [200] * 5
        assert b"Listing 1" in responses[0].body and responses[0].ip_address is None
        recs = env["servers"][0].records
        assert {r.atyp for r in recs} == {ATYP_DOMAIN}, "every name must reach the proxy unresolved"
        assert {r.host for r in recs} == {a, "www." + a, b, "localhost"}
        by_host: dict[str, set[tuple[str | None, str | None]]] = {}
        for r in recs:
            by_host.setdefault(r.host, set()).add((r.username, r.password))
        assert len(by_host[a]) == 1 and by_host[a] == by_host["www." + a], "subdomains share the site circuit"
        identities = [next(iter(by_host[x])) for x in (a, b, "localhost")]
        assert len(set(identities)) == 3 and all(u for u, _ in identities), "distinct identity per site"
        port = env["servers"][0].port
        assert env["stats"].get_value(f"narcowatch/tor/requests/127.0.0.1:{port}") == 5

    run(body)


def test_no_isolation_means_no_socks_credentials() -> None:
    async def body(env: Env) -> None:
        a, b = env["onions"]
        for u in (f"http://{a}/p/1", f"http://{b}/p/1"):
            assert (await env["handler"].download_request(Request(u))).status == 200
        assert {(r.username, r.password) for r in env["servers"][0].records} == {(None, None)}

    run(body, settings={"NARCOWATCH_TOR_ISOLATE_SITES": False})


def test_proxy_authorization_is_never_forwarded_and_no_auto_headers() -> None:
    async def body(env: Env) -> None:
        req = Request(f"http://{env['onions'][0]}/headers",
                      headers={"Proxy-Authorization": "Basic c2VjcmV0OnNlY3JldA==", "X-Test": "1"},
                      meta={"proxy": "http://127.0.0.1:1"})
        resp = await env["handler"].download_request(req)
        seen = {k.lower(): v for k, v in json.loads(resp.body).items()}
        assert "proxy-authorization" not in seen
        assert seen["x-test"] == "1"
        assert "user-agent" not in seen and "accept-encoding" not in seen, "aiohttp auto headers leaked"
        assert env["hits"]["/headers"] == 1

    run(body)


# -- size limits, timeouts, errors --------------------------------------------------------------


@pytest.mark.parametrize("content_length", ["1", "0"])
def test_maxsize_with_and_without_content_length(content_length: str) -> None:
    async def body(env: Env) -> None:
        h: SocksDownloadHandler = env["handler"]
        onion = env["onions"][0]
        with pytest.raises(DownloadCancelledError, match="max size"):
            await h.download_request(Request(f"http://{onion}/big?n={4 * 1024 * 1024}&cl={content_length}"))
        small = await h.download_request(Request(f"http://{onion}/big?n=600000&cl={content_length}"))
        assert len(small.body) == 600000
        with pytest.raises(DownloadCancelledError):
            await h.download_request(Request(f"http://{onion}/big?n=600000&cl={content_length}",
                                             meta={"download_maxsize": 100000}))
        assert env["stats"].get_value("narcowatch/tor/maxsize_cancelled") == 2

    run(body)


def test_slow_server_times_out_with_scrapy_timeout_error() -> None:
    async def body(env: Env) -> None:
        loop = asyncio.get_running_loop()
        t0 = loop.time()
        with pytest.raises(DownloadTimeoutError):
            await env["handler"].download_request(
                Request(f"http://{env['onions'][0]}/slow?s=30", meta={"download_timeout": 0.5}))
        assert loop.time() - t0 < 3

    run(body)


def test_dead_proxy_fails_closed_and_never_fetches_directly() -> None:
    async def body(env: Env) -> None:
        await env["servers"][0].kill()
        h: SocksDownloadHandler = env["handler"]
        for url in (f"{env['base']}/p/1", f"http://{env['onions'][0]}/p/1"):
            with pytest.raises(DownloadConnectionRefusedError, match="fail closed"):
                await h.download_request(Request(url))
        assert sum(env["hits"].values()) == 0, "the site was reached without the proxy"
        assert h.pool is not None and not h.pool.endpoints[0].alive

    run(body)


def test_unknown_host_maps_socks_reply_code_to_retryable_error() -> None:
    async def body(env: Env) -> None:
        with pytest.raises(DownloadFailedError, match="SOCKS"):
            await env["handler"].download_request(Request("http://no-such-host.example/"))
        assert env["stats"].get_value("narcowatch/tor/errors/proxy_error/4") == 1

    run(body)


def test_invalid_and_v2_onions_are_refused_before_any_connection() -> None:
    async def body(env: Env) -> None:
        for host in ("expyuzz4wqqyqhjn.onion", "a" * 56 + ".onion"):
            with pytest.raises(RefusedRequestError, match="invalid onion"):
                await env["handler"].download_request(Request(f"http://{host}/"))
        assert env["servers"][0].connections == 0

    run(body)


def test_direct_transport_refuses_onions_and_fetches_loopback() -> None:
    async def body(env: Env) -> None:
        h: SocksDownloadHandler = env["handler"]
        assert (await h.download_request(Request(f"{env['base']}/p/1"))).status == 200
        with pytest.raises(RefusedRequestError, match="direct transport"):
            await h.download_request(Request(f"http://{env['onions'][0]}/p/1"))
        assert env["servers"][0].connections == 0

    run(body, settings={"NARCOWATCH_TRANSPORT": "direct"})


def test_session_lru_never_closes_a_session_with_requests_in_flight() -> None:
    async def body(env: Env) -> None:
        h: SocksDownloadHandler = env["handler"]
        onions = env["onions"]
        # One session allowed, four sites in parallel: evicting an in-flight session would fail them.
        reqs = [Request(f"http://{o}/slow?s=0.3") for o in onions]
        responses = await asyncio.gather(*(h.download_request(r) for r in reqs))
        assert [r.body for r in responses] == [b"late"] * 4
        assert env["stats"].get_value("narcowatch/tor/sessions_opened") == 4
        assert len(h._sessions) == 1, "idle sessions above the cap are closed afterwards"

    run(body, settings={"NARCOWATCH_TOR_MAX_SESSIONS": 1}, onions=4)


def test_site_moves_to_a_live_endpoint_when_its_endpoint_dies_and_comes_back() -> None:
    async def body(env: Env) -> None:
        h: SocksDownloadHandler = env["handler"]
        assert h.pool is not None
        a = env["onions"][0]
        first = h.pool.endpoint_for(a)
        dead = next(s for s in env["servers"] if s.port == first.proxy.port)
        other = next(s for s in env["servers"] if s is not dead)
        assert (await h.download_request(Request(f"http://{a}/p/1"))).status == 200
        port = dead.port
        await dead.kill()
        with pytest.raises(DownloadConnectionRefusedError):
            await h.download_request(Request(f"http://{a}/p/2"))
        # The retry goes to the other endpoint.
        assert (await h.download_request(Request(f"http://{a}/p/2"))).status == 200
        assert any(r.host == a for r in other.records)
        # The endpoint comes back on the same port; the periodic probe returns it, and the site with it.
        revived = await SocksServer(port=port, mapping=dead.mapping).start()
        env["servers"].append(revived)
        for _ in range(50):
            if first.alive:
                break
            await asyncio.sleep(0.1)
        assert first.alive and h.pool.endpoint_for(a) is first
        assert (await h.download_request(Request(f"http://{a}/p/3"))).status == 200
        assert [r.host for r in revived.records] == [a]

    run(body, proxies=2)


def test_a_site_that_keeps_blocking_gets_a_new_circuit_identity() -> None:
    async def body(env: Env) -> None:
        h: SocksDownloadHandler = env["handler"]
        a, b = env["onions"]
        for _ in range(3):
            assert (await h.download_request(Request(f"http://{a}/status/503"))).status == 503
        assert (await h.download_request(Request(f"http://{a}/p/1"))).status == 200
        assert (await h.download_request(Request(f"http://{b}/status/200"))).status == 200
        recs = env["servers"][0].records
        a_ids = [(r.username, r.password) for r in recs if r.host == a]
        assert len({u for u, _ in a_ids}) == 1 and len({p for _, p in a_ids}) == 2, a_ids
        assert a_ids[-1][1] != a_ids[0][1], "the request after the third block uses a new SOCKS password"
        assert env["stats"].get_value("narcowatch/tor/blocked/503") == 3
        assert [r.password for r in recs if r.host == b] == ["r0"], "other sites keep their circuit"

    run(body, settings={"NARCOWATCH_TOR_FAILURE_THRESHOLD": 3})


@pytest.mark.parametrize("content_length", ["1", "0"])
def test_warnsize_logs_but_keeps_the_body(content_length: str, caplog: pytest.LogCaptureFixture) -> None:
    async def body(env: Env) -> None:
        resp = await env["handler"].download_request(
            Request(f"http://{env['onions'][0]}/big?n=700000&cl={content_length}"))
        assert len(resp.body) == 700000

    with caplog.at_level("WARNING"):
        run(body)
    assert any("warn size (524288)" in r.getMessage() for r in caplog.records)


def test_http_and_https_share_one_handler_per_crawler() -> None:
    settings = {"NARCOWATCH_TOR_PROXIES": ["socks5h://127.0.0.1:9050"]}
    crawler = get_crawler(settings_dict=settings)
    assert SocksDownloadHandler.from_crawler(crawler) is SocksDownloadHandler.from_crawler(crawler)
    assert SocksDownloadHandler.from_crawler(get_crawler(settings_dict=settings)) is not \
        SocksDownloadHandler.from_crawler(crawler)


def _self_signed(tmp_path: Path, host: str) -> ssl.SSLContext:
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "k.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                       serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(tmp_path / "c.pem", tmp_path / "k.pem")
    return ctx


@pytest.mark.parametrize("verify", [False, True])
def test_https_onion_through_socks_self_signed(tmp_path: Path, verify: bool) -> None:
    from aiohttp import web

    onion = make_onion("tls")
    server_ctx = _self_signed(tmp_path, onion)

    async def main() -> None:
        runner = web.AppRunner(site_mod.make_app(), shutdown_timeout=0.5)
        await runner.setup()
        tls_site = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=server_ctx)
        await tls_site.start()
        port = tls_site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        proxy = await SocksServer(mapping={onion: port}).start()
        crawler = get_crawler(settings_dict={"NARCOWATCH_TOR_PROXIES": [proxy.url],
                                             "DOWNLOAD_VERIFY_CERTIFICATES": verify})
        handler = SocksDownloadHandler.from_crawler(crawler)
        try:
            req = Request(f"https://{onion}/p/5")
            if verify:
                with pytest.raises(DownloadFailedError, match="TLS"):
                    await handler.download_request(req)
            else:
                resp = await handler.download_request(req)
                assert resp.status == 200 and b"Listing 5" in resp.body
            assert [(r.atyp, r.host) for r in proxy.records] == [(ATYP_DOMAIN, onion)]
        finally:
            await handler.close()
            await proxy.kill()
            await runner.cleanup()

    asyncio.run(main())


@pytest.fixture
def tor_control(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    """A real, offline tor (DisableNetwork) with a cookie-authenticated control port."""
    import shutil
    import socket
    import subprocess

    tor = shutil.which("tor")
    if tor is None:
        pytest.skip("needs the tor binary (apt-get install tor)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    data = tmp_path / "tor"
    data.mkdir(mode=0o700)
    proc = subprocess.Popen(
        [tor, "--SocksPort", "0", "--ControlPort", f"127.0.0.1:{port}", "--CookieAuthentication", "1",
         "--DataDirectory", str(data), "--DisableNetwork", "1", "--Log", "notice stdout", "--GeoIPFile", "",
         "--GeoIPv6File", ""],
        stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "Opened Control listener" in line:
                break
        else:
            pytest.fail("tor did not open its control port")
        yield port, data / "control_auth_cookie"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.mark.tor
def test_blocked_site_triggers_rate_limited_newnym_on_a_real_tor(tor_control: tuple[int, Path]) -> None:
    control_port, cookie = tor_control

    async def body(env: Env) -> None:
        h: SocksDownloadHandler = env["handler"]
        assert h.pool is not None
        endpoint = h.pool.endpoints[0]
        a = env["onions"][0]
        for _ in range(4):
            await h.download_request(Request(f"http://{a}/status/429"))
        for _ in range(100):
            if endpoint.newnym_ok is not None:
                break
            await asyncio.sleep(0.05)
        assert endpoint.newnym_ok is True, "tor accepted SIGNAL NEWNYM through crawler.tor.control"
        stats = env["stats"]
        assert stats.get_value("narcowatch/tor/site_rotations") == 2
        assert stats.get_value(f"narcowatch/tor/newnym/{endpoint.key}") == 1, "NEWNYM is rate limited"

    run(body, settings={"NARCOWATCH_TOR_CONTROL_PORTS": [control_port],
                        "NARCOWATCH_TOR_CONTROL_COOKIE": str(cookie),
                        "NARCOWATCH_TOR_FAILURE_THRESHOLD": 2,
                        "NARCOWATCH_TOR_ROTATION_MIN_INTERVAL": 0})
