"""A pool of Tor SOCKS endpoints: site pinning, health checks, per-site circuit rotation, NEWNYM.

Each site is pinned to one live endpoint by rendezvous (highest-random-weight) hashing, so when an
endpoint dies only its own sites move, and they move back when it returns. A failed SOCKS connect marks
an endpoint down; :meth:`TorPool.probe` (TCP connect + SOCKS5 greeting) brings it back. When a site keeps
failing or being blocked, the pool first rotates that site's SOCKS identity (a new circuit for that site
only, thanks to Tor's ``IsolateSOCKSAuth``) and, rate limited per endpoint, asks the injected ``newnym``
callable for fresh circuits on the whole endpoint.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

logger = logging.getLogger(__name__)

ALLOWED_PROXY_SCHEMES = ("socks5h",)


class ProxyConfigError(ValueError):
    """A proxy URL that would leak DNS or is not a SOCKS5h URL."""


class NoLiveEndpointError(ConnectionError):
    """Every SOCKS endpoint of the pool is down: the request fails (fail closed, no direct path)."""


@dataclass(frozen=True)
class ProxyURL:
    """A parsed ``socks5h://host:port`` URL (credentials are never taken from the URL)."""

    host: str
    port: int

    @property
    def url(self) -> str:
        return f"socks5h://{self.host}:{self.port}"

    @property
    def key(self) -> str:
        """Short name used in stats keys and logs."""
        return f"{self.host}:{self.port}"


def parse_proxy_url(url: str) -> ProxyURL:
    """Parse and check one proxy URL; only ``socks5h`` (SOCKS5 with remote DNS) is accepted.

    ``socks4``/``socks4a``/``socks5`` (local DNS in many clients), ``http(s)`` proxies and URLs with
    credentials are refused with a :class:`ProxyConfigError` that says why.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_PROXY_SCHEMES:
        if scheme == "socks5":
            why = "socks5:// means local DNS resolution in many clients; write socks5h:// (remote DNS)"
        elif scheme.startswith("socks4"):
            why = "SOCKS4 resolves names locally (or cannot carry them); use socks5h://"
        elif scheme in ("http", "https"):
            why = "HTTP proxies are not supported for Tor transport; use Tor's SocksPort as socks5h://"
        else:
            why = f"unsupported scheme {scheme!r}; use socks5h://host:port"
        raise ProxyConfigError(f"refusing proxy {url!r}: {why}")
    if parts.username or parts.password:
        raise ProxyConfigError(
            f"refusing proxy {url!r}: credentials in the URL would defeat per-site circuit isolation"
        )
    try:
        port = parts.port
    except ValueError as e:
        raise ProxyConfigError(f"refusing proxy {url!r}: bad port") from e
    if not parts.hostname or port is None:
        raise ProxyConfigError(f"refusing proxy {url!r}: host and port are required")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ProxyConfigError(f"refusing proxy {url!r}: unexpected path or query")
    return ProxyURL(host=parts.hostname, port=port)


@dataclass
class Endpoint:
    """One Tor SOCKS port, optionally with its control port (for NEWNYM)."""

    proxy: ProxyURL
    control_port: int | None = None
    alive: bool = True
    down_reason: str = ""
    down_since: float | None = None
    last_newnym: float | None = None
    newnym_ok: bool | None = None  # result of the last NEWNYM sent (None: never sent or still running)
    failures: int = 0

    @property
    def key(self) -> str:
        return self.proxy.key


@dataclass
class _SiteState:
    rotation: int = 0
    consecutive_failures: int = 0
    last_rotation: float = field(default=0.0)


def _hrw_score(site: str, endpoint_key: str) -> int:
    digest = hashlib.blake2b(f"{endpoint_key}\x00{site}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


NewnymCallable = Callable[[Endpoint], bool]


class TorPool:
    """Pins sites to SOCKS endpoints and keeps track of their health.

    ``newnym`` is called with an :class:`Endpoint` and returns True when Tor accepted the signal;
    it may be None (then only per-site identity rotation is used). ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        endpoints: Sequence[Endpoint],
        *,
        newnym: NewnymCallable | None = None,
        newnym_min_interval: float = 30.0,
        failure_threshold: int = 5,
        rotation_min_interval: float = 10.0,
        probe_timeout: float = 3.0,
        identity_prefix: str = "nw",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not endpoints:
            raise ValueError("a TorPool needs at least one endpoint")
        self.endpoints: list[Endpoint] = list(endpoints)
        self._newnym = newnym
        self.newnym_min_interval = newnym_min_interval
        self.failure_threshold = failure_threshold
        self.rotation_min_interval = rotation_min_interval
        self.probe_timeout = probe_timeout
        self.identity_prefix = identity_prefix
        self._clock = clock
        self._sites: dict[str, _SiteState] = {}
        self.newnym_calls = 0
        self.on_change: Callable[[str, Endpoint], None] | None = None

    @classmethod
    def from_urls(
        cls, urls: Sequence[str], control_ports: Sequence[int | None] | None = None, **kwargs: object
    ) -> TorPool:
        """Build a pool from ``socks5h://`` URLs and an optional parallel list of control ports."""
        proxies = [parse_proxy_url(u) for u in urls]
        ports: list[int | None] = list(control_ports or [])
        if ports and len(ports) != len(proxies):
            raise ProxyConfigError(
                f"NARCOWATCH_TOR_CONTROL_PORTS has {len(ports)} entries for {len(proxies)} proxies"
            )
        ports += [None] * (len(proxies) - len(ports))
        return cls([Endpoint(p, c) for p, c in zip(proxies, ports, strict=True)], **kwargs)  # type: ignore[arg-type]

    def close(self) -> None:
        """Release what the ``newnym`` callable holds (control connections), if it can be closed."""
        closer = getattr(self._newnym, "close", None)
        if callable(closer):
            closer()

    # -- pinning -------------------------------------------------------------------------------

    def live_endpoints(self) -> list[Endpoint]:
        return [e for e in self.endpoints if e.alive]

    def endpoint_for(self, site: str) -> Endpoint:
        """The live endpoint this site is pinned to; raises :class:`NoLiveEndpointError` if none."""
        best: Endpoint | None = None
        best_score = -1
        for ep in self.endpoints:
            if not ep.alive:
                continue
            score = _hrw_score(site, ep.key)
            if score > best_score:
                best, best_score = ep, score
        if best is None:
            reasons = "; ".join(f"{e.key}: {e.down_reason or 'down'}" for e in self.endpoints)
            raise NoLiveEndpointError(
                f"no live Tor SOCKS endpoint for {site!r} (fail closed, no direct path): {reasons}"
            )
        return best

    def identity(self, site: str) -> tuple[str, str]:
        """SOCKS username/password for a site; a new rotation gives the site a new Tor circuit."""
        digest = hashlib.blake2b(site.encode(), digest_size=10).hexdigest()
        state = self._sites.get(site)
        rotation = state.rotation if state else 0
        return f"{self.identity_prefix}-{digest}", f"r{rotation}"

    # -- health --------------------------------------------------------------------------------

    def mark_down(self, endpoint: Endpoint, reason: str) -> None:
        """Take an endpoint out of rotation; its sites move to other live endpoints."""
        endpoint.failures += 1
        if endpoint.alive:
            endpoint.alive = False
            endpoint.down_reason = reason
            endpoint.down_since = self._clock()
            logger.warning("Tor SOCKS endpoint %s marked down: %s", endpoint.key, reason)
            if self.on_change:
                self.on_change("down", endpoint)

    def mark_up(self, endpoint: Endpoint) -> None:
        if not endpoint.alive:
            endpoint.alive = True
            endpoint.down_reason = ""
            endpoint.down_since = None
            logger.info("Tor SOCKS endpoint %s is back", endpoint.key)
            if self.on_change:
                self.on_change("up", endpoint)

    async def probe(self, endpoint: Endpoint) -> bool:
        """TCP connect + SOCKS5 greeting (no-auth and user/pass offered); True if a SOCKS5 server answered."""
        writer = None
        try:
            async with asyncio.timeout(self.probe_timeout):
                reader, writer = await asyncio.open_connection(endpoint.proxy.host, endpoint.proxy.port)
                writer.write(b"\x05\x02\x00\x02")
                await writer.drain()
                reply = await reader.readexactly(2)
            ok = reply[0] == 5 and reply[1] in (0, 2)
        except (OSError, TimeoutError, asyncio.IncompleteReadError):
            ok = False
        finally:
            if writer is not None:
                writer.close()
        return ok

    async def probe_down(self) -> int:
        """Probe every down endpoint and bring back those that answer; returns how many came back."""
        down = [e for e in self.endpoints if not e.alive]
        results = await asyncio.gather(*(self.probe(e) for e in down))
        back = 0
        for ep, ok in zip(down, results, strict=True):
            if ok:
                self.mark_up(ep)
                back += 1
        return back

    # -- per-site feedback ---------------------------------------------------------------------

    def report_success(self, site: str) -> None:
        state = self._sites.get(site)
        if state:
            state.consecutive_failures = 0

    def report_failure(self, site: str, endpoint: Endpoint | None = None) -> bool:
        """Count a failure or block for a site; returns True if the site's circuit was rotated.

        After ``failure_threshold`` consecutive failures the site's SOCKS identity changes (new circuit
        for that site) and, at most once per ``newnym_min_interval`` per endpoint, NEWNYM is sent.
        """
        state = self._sites.setdefault(site, _SiteState())
        state.consecutive_failures += 1
        if state.consecutive_failures < self.failure_threshold:
            return False
        now = self._clock()
        if state.last_rotation and now - state.last_rotation < self.rotation_min_interval:
            return False
        state.rotation += 1
        state.last_rotation = now
        state.consecutive_failures = 0
        logger.info("rotating Tor circuit for %s (identity r%d)", site, state.rotation)
        if endpoint is not None:
            self.maybe_newnym(endpoint)
        return True

    def maybe_newnym(self, endpoint: Endpoint) -> bool:
        """Send NEWNYM on an endpoint's control port, rate limited; returns True if it was sent."""
        if self._newnym is None or endpoint.control_port is None:
            return False
        now = self._clock()
        if endpoint.last_newnym is not None and now - endpoint.last_newnym < self.newnym_min_interval:
            return False
        endpoint.last_newnym = now
        self.newnym_calls += 1
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return self._call_newnym(endpoint)
        # stem talks to the control port synchronously: keep it off the event loop.
        loop.run_in_executor(None, self._call_newnym, endpoint)
        return True

    def _call_newnym(self, endpoint: Endpoint) -> bool:
        assert self._newnym is not None
        endpoint.newnym_ok = None
        try:
            ok = bool(self._newnym(endpoint))
        except Exception:  # the control port is optional: a failure here must not fail the crawl
            logger.warning("NEWNYM on %s failed", endpoint.key, exc_info=True)
            ok = False
        else:
            if not ok:
                logger.warning("NEWNYM on %s was refused", endpoint.key)
        endpoint.newnym_ok = ok
        return ok


class _StemNewnym:
    """NEWNYM through ``crawler.tor.control.TorController``, one controller per control port."""

    def __init__(self, controller_cls: Any, cookie_path: str | None, password: str | None) -> None:
        self._cls = controller_cls
        self._cookie_path = cookie_path
        self._password = password
        self._controllers: dict[tuple[str, int], Any] = {}

    def __call__(self, endpoint: Endpoint) -> bool:
        assert endpoint.control_port is not None
        key = (endpoint.proxy.host, endpoint.control_port)
        ctl = self._controllers.get(key)
        if ctl is None:
            ctl = self._controllers[key] = self._cls(
                endpoint.control_port, cookie_path=self._cookie_path, password=self._password,
                host=endpoint.proxy.host,
            )
        return bool(ctl.newnym())

    def close(self) -> None:
        for ctl in self._controllers.values():
            try:
                ctl.close()
            except Exception:  # closing is best effort
                logger.debug("closing a tor controller failed", exc_info=True)
        self._controllers.clear()


def stem_newnym_factory(cookie_path: str | None = None, password: str | None = None) -> NewnymCallable | None:
    """A ``newnym`` callable backed by ``crawler.tor.control.TorController`` (stem); None if unavailable."""
    try:
        from crawler.tor.control import TorController
    except ImportError:
        logger.info("crawler.tor.control is not available; NEWNYM disabled (per-site rotation still works)")
        return None
    return _StemNewnym(TorController, cookie_path, password)
