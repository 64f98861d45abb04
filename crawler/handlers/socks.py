"""Fail-closed SOCKS5h download handler (aiohttp + aiohttp-socks) for http and https.

Every request of a ``tor`` crawl goes through a ``socks5h://`` endpoint of a :class:`~crawler.tor.pool.TorPool`
with remote DNS: the hostname is sent to the proxy (SOCKS5 ATYP=3) and never resolved here. There is no
direct fallback: with no proxy configured the handler is not configured (Scrapy then fails every http(s)
request with the reason) and with no proxy reachable each request fails with a retryable connection error.

One aiohttp ``ClientSession`` is kept per (endpoint, SOCKS identity) in an LRU that never closes a session
with requests in flight. With ``NARCOWATCH_TOR_ISOLATE_SITES`` each site gets its own SOCKS username and
password, so Tor's ``IsolateSOCKSAuth`` (on by default) gives it its own circuit.

Settings (typed in :class:`crawler.handlers.config.Config`):

* ``NARCOWATCH_TRANSPORT``: ``"tor"`` (default) or ``"direct"`` (plain TCP; ``.onion`` hosts refused).
* ``NARCOWATCH_TOR_PROXIES``: list (or comma-separated string) of ``socks5h://host:port``; anything else
  (socks4, socks5 with local DNS, http, credentials in the URL) is refused at start-up.
* ``NARCOWATCH_TOR_CONTROL_PORTS`` (parallel list, ``None`` entries allowed), ``NARCOWATCH_TOR_CONTROL_COOKIE``,
  ``NARCOWATCH_TOR_CONTROL_PASSWORD``: NEWNYM through ``crawler.tor.control.TorController``.
* ``NARCOWATCH_TOR_ISOLATE_SITES`` (True), ``NARCOWATCH_TOR_CONNECT_TIMEOUT`` (45 s, SOCKS handshake and
  connect), ``NARCOWATCH_TOR_MAX_SESSIONS`` (256), ``NARCOWATCH_TOR_BLOCK_HTTP_CODES`` ([403, 429, 503]),
  ``NARCOWATCH_TOR_FAILURE_THRESHOLD`` (5 failures or blocks in a row rotate the site's circuit),
  ``NARCOWATCH_TOR_ROTATION_MIN_INTERVAL`` (10 s), ``NARCOWATCH_TOR_NEWNYM_MIN_INTERVAL`` (30 s per endpoint),
  ``NARCOWATCH_TOR_PROBE_INTERVAL`` (5 s), ``NARCOWATCH_TOR_PROBE_TIMEOUT`` (3 s).
* Scrapy's ``DOWNLOAD_TIMEOUT``, ``DOWNLOAD_MAXSIZE``, ``DOWNLOAD_WARNSIZE``, ``DOWNLOAD_FAIL_ON_DATALOSS``,
  ``DOWNLOAD_VERIFY_CERTIFICATES`` (off: onion services are self-signed), ``CONCURRENT_REQUESTS(_PER_DOMAIN)``
  (connection limits); per-request meta ``download_timeout``, ``download_maxsize``, ``download_warnsize``,
  ``download_fail_on_dataloss``. ``meta["proxy"]`` is ignored (the pool chooses), ``Proxy-Authorization``
  is never sent.

Stats: ``narcowatch/tor/requests/<endpoint>``, ``narcowatch/tor/bytes``, ``narcowatch/tor/errors/<kind>``
(``proxy_error/<SOCKS reply code>``, ``proxy_unreachable``, ``timeout``, ``tls``...),
``narcowatch/tor/endpoint_down|endpoint_up/<endpoint>``, ``narcowatch/tor/blocked/<status>``,
``narcowatch/tor/site_rotations``, ``narcowatch/tor/newnym/<endpoint>``, ``narcowatch/tor/refused/<why>``,
``narcowatch/tor/sessions_opened|sessions_evicted``, ``narcowatch/direct/...`` in direct mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING, Any

import aiohttp
import aiohttp_socks
import yarl
from python_socks import ProxyType
from scrapy import signals
from scrapy.exceptions import (
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadFailedError,
    DownloadTimeoutError,
    IgnoreRequest,
    NotConfigured,
    ResponseDataLossError,
    StopDownload,
    UnsupportedURLSchemeError,
)
from scrapy.http import Headers
from scrapy.responsetypes import responsetypes
from scrapy.utils.asyncio import is_asyncio_available
from scrapy.utils.httpobj import urlparse_cached
from twisted.python.failure import Failure

from crawler.handlers.config import Config
from crawler.tor.pool import Endpoint, NoLiveEndpointError, TorPool, stem_newnym_factory

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

_CHUNK = 64 * 1024
_SKIP_AUTO_HEADERS = ("Accept", "Accept-Encoding", "User-Agent", "Content-Type")


class RefusedRequestError(IgnoreRequest):
    """A request the transport refuses on principle (never retried): bad onion, onion in direct mode..."""


@dataclass
class OnionVerdict:
    valid: bool
    reason: str = ""


def site_of(host: str) -> str:
    """The isolation key of a host: ``<56 chars>.onion`` for onion hosts (subdomains share it), else the host."""
    host = host.lower().rstrip(".")
    if host.endswith(".onion"):
        labels = host.split(".")
        return ".".join(labels[-2:])
    return host


def check_onion(host: str) -> OnionVerdict:
    """Validate an ``.onion`` host with ``nlp.validators.onion`` (v3 checksum); v2 and junk are refused."""
    site = site_of(host)
    try:
        from nlp.validators.onion import validate_onion  # type: ignore[import-not-found]
    except ImportError:  # the validator lands separately; fall back to a shape check
        label = site[: -len(".onion")]
        if len(label) == 16:
            return OnionVerdict(False, "v2 onion addresses are obsolete and unreachable")
        if len(label) != 56 or not set(label) <= set("abcdefghijklmnopqrstuvwxyz234567") or not label.endswith("d"):
            return OnionVerdict(False, "not a v3 onion address")
        return OnionVerdict(True)
    check = validate_onion(site)
    if not check.valid:
        return OnionVerdict(False, str(check.reason or "invalid onion address"))
    if getattr(check, "version", 3) != 3:
        return OnionVerdict(False, f"v{check.version} onion addresses are not supported")
    return OnionVerdict(True)


def _is_tls_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    for _ in range(4):
        if seen is None:
            return False
        if isinstance(seen, ssl.SSLError) or "[SSL:" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


class _PooledSession:
    __slots__ = ("session", "inflight", "key")

    def __init__(self, key: tuple[str, str | None, str | None], session: aiohttp.ClientSession) -> None:
        self.key = key
        self.session = session
        self.inflight = 0


_INSTANCES: weakref.WeakKeyDictionary[Any, SocksDownloadHandler] = weakref.WeakKeyDictionary()


class SocksDownloadHandler:
    """Scrapy download handler: http(s) through SOCKS5h endpoints of a Tor pool, or direct when configured.

    Per-spider attribute ``allow_onion_to_clearnet`` is honoured by the redirect guard middleware; the
    transport itself is only chosen by settings (``NARCOWATCH_TRANSPORT``), never by a spider.
    """

    lazy = False

    def __init__(self, crawler: Crawler, config: Config) -> None:
        self.crawler = crawler
        self.config = config
        self.stats = crawler.stats
        self.pool: TorPool | None = None
        if config.transport == "tor":
            newnym = None
            if any(p is not None for p in config.control_ports):
                newnym = stem_newnym_factory(config.control_cookie_path, config.control_password)
            self.pool = TorPool.from_urls(
                [p.url for p in config.proxies],
                list(config.control_ports) or None,
                newnym=newnym,
                newnym_min_interval=config.newnym_min_interval,
                failure_threshold=config.failure_threshold,
                rotation_min_interval=config.rotation_min_interval,
                probe_timeout=config.probe_timeout,
            )
            self.pool.on_change = self._pool_changed
        self._sessions: OrderedDict[tuple[str, str | None, str | None], _PooledSession] = OrderedDict()
        self._direct: aiohttp.ClientSession | None = None
        self._probes: dict[str, asyncio.Task[bool]] = {}
        self._probe_task: asyncio.Task[None] | None = None
        self._probe_all: asyncio.Task[int] | None = None
        self._ssl: ssl.SSLContext | bool = self._make_ssl(config)
        self._closing = False
        self._warned_proxy_meta = False
        logger.info(
            "SOCKS download handler: transport=%s endpoints=%s isolate_sites=%s",
            config.transport,
            [p.key for p in config.proxies] if config.transport == "tor" else "-",
            config.isolate_sites,
        )

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """One instance per crawler, shared by http and https, so both use one pool and one session LRU."""
        existing = _INSTANCES.get(crawler)
        if isinstance(existing, cls):
            return existing
        try:
            asyncio_ok = is_asyncio_available()
        except RuntimeError:  # no reactor installed yet (unit tests): nothing to check
            asyncio_ok = True
        if not asyncio_ok:
            raise NotConfigured(
                "SocksDownloadHandler needs asyncio: set TWISTED_REACTOR to "
                "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
            )
        handler = cls(crawler, Config.from_settings(crawler.settings))
        _INSTANCES[crawler] = handler
        return handler

    @staticmethod
    def _make_ssl(config: Config) -> ssl.SSLContext | bool:
        if config.verify_certificates:
            return ssl.create_default_context()
        return False  # onion services mostly use self-signed certificates; Tor already authenticates them

    # -- sessions ------------------------------------------------------------------------------

    def _timeout(self, total: float) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=total, sock_connect=min(self.config.connect_timeout, total))

    def _new_session(self, connector: aiohttp.BaseConnector) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=connector,
            cookie_jar=aiohttp.DummyCookieJar(),
            auto_decompress=False,
            skip_auto_headers=_SKIP_AUTO_HEADERS,
            trust_env=False,
            raise_for_status=False,
        )

    @property
    def _limit(self) -> int:
        return max(self.config.pool_size_total, 1)

    def _acquire_session(self, endpoint: Endpoint, username: str | None, password: str | None) -> _PooledSession:
        """The session for (endpoint, identity), created on demand, with one request counted in flight."""
        key = (endpoint.key, username, password)
        pooled = self._sessions.get(key)
        if pooled is not None:
            self._sessions.move_to_end(key)
            pooled.inflight += 1
            return pooled
        connector = aiohttp_socks.ProxyConnector(
            host=endpoint.proxy.host,
            port=endpoint.proxy.port,
            proxy_type=ProxyType.SOCKS5,
            username=username,
            password=password,
            rdns=True,  # hostname to the proxy (ATYP=3); never resolved here
            limit=self._limit,
            limit_per_host=self.config.pool_size_per_host,
        )
        pooled = _PooledSession(key, self._new_session(connector))
        pooled.inflight = 1
        self._sessions[key] = pooled
        self.stats.inc_value("narcowatch/tor/sessions_opened")
        self._evict()
        return pooled

    def _evict(self) -> None:
        """Close least recently used idle sessions above the cap; sessions with requests in flight stay."""
        excess = len(self._sessions) - self.config.max_sessions
        if excess <= 0:
            return
        for key in list(self._sessions):
            if excess <= 0:
                break
            pooled = self._sessions[key]
            if pooled.inflight == 0:
                del self._sessions[key]
                excess -= 1
                self.stats.inc_value("narcowatch/tor/sessions_evicted")
                asyncio.get_running_loop().create_task(pooled.session.close())

    def _direct_session(self) -> aiohttp.ClientSession:
        if self._direct is None:
            self._direct = self._new_session(aiohttp.TCPConnector(limit=self._limit, limit_per_host=self.config.pool_size_per_host))
        return self._direct

    # -- pool maintenance ------------------------------------------------------------------------

    def _pool_changed(self, what: str, endpoint: Endpoint) -> None:
        self.stats.inc_value(f"narcowatch/tor/endpoint_{what}/{endpoint.key}")
        if what == "down":
            # Sessions of a dead endpoint are useless; close the idle ones, in-flight ones die on their own.
            for key in [k for k, s in self._sessions.items() if k[0] == endpoint.key and s.inflight == 0]:
                pooled = self._sessions.pop(key)
                asyncio.get_running_loop().create_task(pooled.session.close())

    def _ensure_probe_loop(self) -> None:
        if self._probe_task is None and self.pool is not None and len(self.pool.endpoints) > 0:
            self._probe_task = asyncio.get_running_loop().create_task(self._probe_loop())

    async def _probe_loop(self) -> None:
        assert self.pool is not None
        while not self._closing:
            await asyncio.sleep(self.config.probe_interval)
            with contextlib.suppress(Exception):
                await self.pool.probe_down()

    async def _confirm_down(self, endpoint: Endpoint, reason: str) -> None:
        """Probe an endpoint once (shared by concurrent failures) and mark it down if it does not answer."""
        assert self.pool is not None
        task = self._probes.get(endpoint.key)
        if task is None or task.done():
            task = asyncio.get_running_loop().create_task(self.pool.probe(endpoint))
            self._probes[endpoint.key] = task
        if not await asyncio.shield(task):
            self.pool.mark_down(endpoint, reason)

    async def _pick_endpoint(self, site: str) -> Endpoint:
        assert self.pool is not None
        try:
            return self.pool.endpoint_for(site)
        except NoLiveEndpointError:
            # Every endpoint is down: probe now (one probe round shared by all waiting requests) rather
            # than wait for the loop, then fail closed.
            task = self._probe_all
            if task is None or task.done():
                task = self._probe_all = asyncio.get_running_loop().create_task(self.pool.probe_down())
            await asyncio.shield(task)
            return self.pool.endpoint_for(site)

    # -- download ------------------------------------------------------------------------------

    def _refuse(self, request: Request, why: str, stat: str) -> RefusedRequestError:
        self.stats.inc_value(f"narcowatch/tor/refused/{stat}")
        logger.warning("Refusing %s: %s", request.url, why)
        return RefusedRequestError(f"{why}: {request.url}")

    async def download_request(self, request: Request) -> Response:
        """Download one request through the configured transport (Scrapy 2.14+ handler API)."""
        parsed = urlparse_cached(request)
        if parsed.scheme not in ("http", "https"):
            raise UnsupportedURLSchemeError(f"SocksDownloadHandler handles http(s) only, not {parsed.scheme!r}")
        host = (parsed.hostname or "").lower()
        if not host:
            raise self._refuse(request, "no host in URL", "no_host")
        is_onion = site_of(host).endswith(".onion")
        if is_onion:
            verdict = check_onion(host)
            if not verdict.valid:
                raise self._refuse(request, f"invalid onion host {host!r} ({verdict.reason})", "bad_onion")
        if request.meta.get("proxy") and not self._warned_proxy_meta:
            self._warned_proxy_meta = True
            logger.warning("meta['proxy'] is ignored: the SOCKS handler picks the Tor endpoint itself")
        timeout = float(request.meta.get("download_timeout") or self.config.download_timeout)
        start = time.monotonic()
        if self.config.transport == "direct":
            if is_onion:
                raise self._refuse(request, "direct transport never fetches .onion hosts", "onion_direct")
            self.stats.inc_value("narcowatch/direct/requests")
            return await self._fetch(self._direct_session(), request, timeout, start, None, None)

        assert self.pool is not None
        self._ensure_probe_loop()
        site = site_of(host)
        try:
            endpoint = await self._pick_endpoint(site)
        except NoLiveEndpointError as e:
            self.stats.inc_value("narcowatch/tor/no_live_endpoint")
            raise DownloadConnectionRefusedError(str(e)) from e
        username: str | None = None
        password: str | None = None
        if self.config.isolate_sites:
            username, password = self.pool.identity(site)
        pooled = self._acquire_session(endpoint, username, password)
        self.stats.inc_value(f"narcowatch/tor/requests/{endpoint.key}")
        try:
            response = await self._fetch(pooled.session, request, timeout, start, endpoint, site)
        except (DownloadConnectionRefusedError, DownloadFailedError, DownloadTimeoutError, ResponseDataLossError):
            self._feedback_failure(site, endpoint)
            raise
        finally:
            pooled.inflight -= 1
            if pooled.inflight == 0:
                self._evict()
        if response.status in self.config.block_http_codes:
            self.stats.inc_value(f"narcowatch/tor/blocked/{response.status}")
            self._feedback_failure(site, endpoint)
        else:
            self.pool.report_success(site)
        return response

    async def _fetch(
        self,
        session: aiohttp.ClientSession,
        request: Request,
        timeout: float,
        start: float,
        endpoint: Endpoint | None,
        site: str | None,
    ) -> Response:
        headers = request.headers.copy()
        headers.pop(b"Proxy-Authorization", None)  # proxy credentials never reach the site
        header_list = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in headers.items() for v in vs]
        try:
            async with asyncio.timeout(timeout):
                async with session.request(
                    request.method,
                    yarl.URL(request.url, encoded=True),
                    data=request.body or None,
                    headers=header_list,
                    allow_redirects=False,
                    timeout=self._timeout(timeout),
                    ssl=self._ssl,
                    proxy=None,
                ) as resp:
                    request.meta["download_latency"] = time.monotonic() - start
                    return await self._read(resp, request)
        except (StopDownload, DownloadCancelledError, ResponseDataLossError, IgnoreRequest):
            raise
        except TimeoutError as e:  # asyncio.timeout, aiohttp timeouts and python-socks timeouts
            self._count_error("timeout")
            raise DownloadTimeoutError(f"Getting {request.url} took longer than {timeout} seconds.") from e
        except aiohttp_socks.ProxyError as e:
            code = getattr(e, "error_code", None)
            self._count_error(f"proxy_error/{code if code is not None else 'other'}")
            if code == 5:
                raise DownloadConnectionRefusedError(f"SOCKS: connection refused for {request.url}: {e}") from e
            raise DownloadFailedError(f"SOCKS error for {request.url}: {e}") from e
        except aiohttp_socks.ProxyTimeoutError as e:
            self._count_error("proxy_timeout")
            raise DownloadTimeoutError(f"SOCKS proxy timed out for {request.url}: {e}") from e
        except aiohttp_socks.ProxyConnectionError as e:
            self._count_error("proxy_unreachable")
            if endpoint is not None:
                assert self.pool is not None
                self.pool.mark_down(endpoint, f"connect failed: {e}")
            raise DownloadConnectionRefusedError(
                f"Tor SOCKS endpoint {endpoint.key if endpoint else '?'} unreachable for {request.url} "
                f"(fail closed, no direct path): {e}"
            ) from e
        except (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError) as e:
            raise UnsupportedURLSchemeError(str(e)) from e
        except aiohttp.ClientSSLError as e:
            self._count_error("tls")
            raise DownloadFailedError(f"TLS error for {request.url}: {e}") from e
        except aiohttp.ClientConnectorError as e:
            self._count_error("connect")
            raise DownloadConnectionRefusedError(f"Connecting for {request.url} failed: {e}") from e
        except (aiohttp.ClientError, OSError, EOFError) as e:
            if _is_tls_error(e):  # TLS inside the SOCKS tunnel fails as ClientOSError wrapping SSLError
                self._count_error("tls")
                raise DownloadFailedError(f"TLS error for {request.url}: {e}") from e
            # A dropped tunnel: if the endpoint itself died, take it out so the retry goes elsewhere.
            self._count_error(type(e).__name__)
            if endpoint is not None:
                await self._confirm_down(endpoint, f"{type(e).__name__}: {e}")
            raise DownloadFailedError(f"Downloading {request.url} failed: {type(e).__name__}: {e}") from e
        except Exception as e:  # the network boundary: anything else is a failed download, never a crash
            self._count_error(f"other/{type(e).__name__}")
            logger.debug("Unexpected transport error for %s", request.url, exc_info=True)
            if endpoint is not None:
                await self._confirm_down(endpoint, f"{type(e).__name__}: {e}")
            raise DownloadFailedError(f"Downloading {request.url} failed: {type(e).__name__}: {e}") from e

    def _feedback_failure(self, site: str, endpoint: Endpoint) -> None:
        assert self.pool is not None
        sent = self.pool.newnym_calls
        if self.pool.report_failure(site, endpoint):
            self.stats.inc_value("narcowatch/tor/site_rotations")
        if self.pool.newnym_calls > sent:
            self.stats.inc_value(f"narcowatch/tor/newnym/{endpoint.key}")

    def _count_error(self, what: str) -> None:
        prefix = "narcowatch/direct" if self.config.transport == "direct" else "narcowatch/tor"
        self.stats.inc_value(f"{prefix}/errors/{what}")

    def _stop_download(self, signal: object, request: Request, **kwargs: Any) -> StopDownload | None:
        for _handler, result in self.crawler.signals.send_catch_log(
            signal=signal, request=request, spider=self.crawler.spider, **kwargs
        ):
            if isinstance(result, Failure) and isinstance(result.value, StopDownload):
                return result.value
        return None

    def _cancel_maxsize(self, request: Request, size: int, limit: int, expected: bool) -> DownloadCancelledError:
        self.stats.inc_value("narcowatch/tor/maxsize_cancelled")
        what = "expected response size" if expected else "received"
        msg = f"Cancelling download of {request.url}: {what} ({size}) larger than download max size ({limit})."
        logger.warning(msg)
        return DownloadCancelledError(msg)

    async def _read(self, resp: aiohttp.ClientResponse, request: Request) -> Response:
        maxsize = int(request.meta.get("download_maxsize", self.config.maxsize))
        warnsize = int(request.meta.get("download_warnsize", self.config.warnsize))
        headers = Headers(list(resp.raw_headers))
        expected: int | None = None
        if resp.content_length is not None:
            expected = resp.content_length
        if maxsize and expected is not None and expected > maxsize:
            raise self._cancel_maxsize(request, expected, maxsize, True)
        warned = False
        if warnsize and expected is not None and expected > warnsize:
            warned = True
            logger.warning("Expected response size (%d) larger than download warn size (%d) in request %s.",
                           expected, warnsize, request)
        version = resp.version
        protocol = f"HTTP/{version.major}.{version.minor}" if version else "HTTP/1.1"

        def build(body: bytes, flags: list[str] | None = None, stop: StopDownload | None = None) -> Response:
            cls = responsetypes.from_args(headers=headers, url=request.url, body=body)
            response = cls(url=request.url, status=resp.status, headers=headers, body=body, flags=flags,
                           protocol=protocol)
            if stop is not None:
                response.flags.append("download_stopped")
                if stop.fail:
                    stop.response = response
                    raise stop
            return response

        if stop := self._stop_download(signals.headers_received, request, headers=headers, body_length=expected):
            return build(b"", stop=stop)
        body = BytesIO()
        received = 0
        try:
            async for chunk in resp.content.iter_chunked(_CHUNK):
                received += len(chunk)
                if maxsize and received > maxsize:
                    body.close()
                    raise self._cancel_maxsize(request, received, maxsize, False)
                body.write(chunk)
                if stop := self._stop_download(signals.bytes_received, request, data=chunk):
                    return build(body.getvalue(), stop=stop)
                if warnsize and received > warnsize and not warned:
                    warned = True
                    logger.warning("Received (%d) bytes larger than download warn size (%d) in request %s.",
                                   received, warnsize, request)
        except aiohttp.ClientPayloadError as e:
            self._count_error("dataloss")
            if not request.meta.get("download_fail_on_dataloss", self.config.fail_on_dataloss):
                return build(body.getvalue(), flags=["dataloss"])
            raise ResponseDataLossError(f"{request.url}: {e}") from e
        finally:
            prefix = "narcowatch/direct" if self.config.transport == "direct" else "narcowatch/tor"
            self.stats.inc_value(f"{prefix}/bytes", received)
        return build(body.getvalue())

    async def close(self) -> None:
        """Close every session (the crawl is over; nothing is in flight any more). Idempotent."""
        if self._closing:
            return
        self._closing = True
        if self._probe_task is not None:
            self._probe_task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._probe_task
        if self.pool is not None:
            # stem closes its control socket synchronously; keep it off the loop.
            await asyncio.get_running_loop().run_in_executor(None, self.pool.close)
        sessions = [p.session for p in self._sessions.values()]
        self._sessions.clear()
        if self._direct is not None:
            sessions.append(self._direct)
            self._direct = None
        for session in sessions:
            with contextlib.suppress(Exception):
                await session.close()


__all__ = ["NotConfigured", "RefusedRequestError", "SocksDownloadHandler", "check_onion", "site_of"]
