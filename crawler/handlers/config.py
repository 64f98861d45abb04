"""Typed configuration of the SOCKS download handler, parsed once from Scrapy settings."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scrapy.exceptions import NotConfigured

from crawler.tor.pool import ProxyConfigError, ProxyURL, parse_proxy_url

TRANSPORTS = ("tor", "direct")


def _as_list(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return list(value)


@dataclass(frozen=True)
class Config:
    """Everything the handler reads from settings, typed and checked.

    ``transport`` is ``"tor"`` (every request through a ``socks5h://`` endpoint of the pool, fail closed)
    or ``"direct"`` (plain TCP, only for sources that say so; ``.onion`` hosts are refused).
    """

    transport: str = "tor"
    proxies: tuple[ProxyURL, ...] = ()
    control_ports: tuple[int | None, ...] = ()
    control_cookie_path: str | None = None
    control_password: str | None = None
    isolate_sites: bool = True
    allow_onion_to_clearnet: bool = False
    connect_timeout: float = 45.0
    download_timeout: float = 180.0
    maxsize: int = 16 * 1024 * 1024
    warnsize: int = 4 * 1024 * 1024
    fail_on_dataloss: bool = True
    verify_certificates: bool = False
    pool_size_total: int = 16
    pool_size_per_host: int = 8
    max_sessions: int = 256
    block_http_codes: frozenset[int] = frozenset({403, 429, 503})
    failure_threshold: int = 5
    newnym_min_interval: float = 30.0
    rotation_min_interval: float = 10.0
    probe_interval: float = 5.0
    probe_timeout: float = 3.0

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any] | Any) -> Config:
        """Parse Scrapy ``Settings`` (or a plain mapping, for tests); raise ``NotConfigured`` with the reason."""
        get = settings.get
        transport = str(get("NARCOWATCH_TRANSPORT") or "tor").strip().lower()
        if transport not in TRANSPORTS:
            raise NotConfigured(f"NARCOWATCH_TRANSPORT={transport!r}: must be one of {TRANSPORTS}")
        try:
            proxies = tuple(parse_proxy_url(str(u)) for u in _as_list(get("NARCOWATCH_TOR_PROXIES")))
        except ProxyConfigError as e:
            raise NotConfigured(f"NARCOWATCH_TOR_PROXIES: {e}") from e
        if transport == "tor" and not proxies:
            raise NotConfigured(
                "NARCOWATCH_TRANSPORT='tor' but NARCOWATCH_TOR_PROXIES is empty: every request fails "
                "(fail closed, there is no direct path)"
            )
        ports_raw = _as_list(get("NARCOWATCH_TOR_CONTROL_PORTS"))
        try:
            ports = tuple(None if p in (None, "", 0, "0") else int(p) for p in ports_raw)
        except (TypeError, ValueError) as e:
            raise NotConfigured(f"NARCOWATCH_TOR_CONTROL_PORTS: {e}") from e
        if ports and len(ports) != len(proxies):
            raise NotConfigured(
                f"NARCOWATCH_TOR_CONTROL_PORTS has {len(ports)} entries for {len(proxies)} proxies"
            )

        def num(key: str, default: float) -> float:
            value = get(key)
            return default if value is None or value == "" else float(value)

        def integer(key: str, default: int) -> int:
            value = get(key)
            return default if value is None or value == "" else int(value)

        def flag(key: str, default: bool) -> bool:
            value = get(key)
            if value is None or value == "":
                return default
            if isinstance(value, str):
                return value.strip().lower() in ("1", "true", "yes", "on")
            return bool(value)

        codes = _as_list(get("NARCOWATCH_TOR_BLOCK_HTTP_CODES"))
        cfg = cls(
            transport=transport,
            proxies=proxies,
            control_ports=ports,
            control_cookie_path=get("NARCOWATCH_TOR_CONTROL_COOKIE") or None,
            control_password=get("NARCOWATCH_TOR_CONTROL_PASSWORD") or None,
            isolate_sites=flag("NARCOWATCH_TOR_ISOLATE_SITES", True),
            allow_onion_to_clearnet=flag("NARCOWATCH_ALLOW_ONION_TO_CLEARNET", False),
            connect_timeout=num("NARCOWATCH_TOR_CONNECT_TIMEOUT", 45.0),
            download_timeout=num("DOWNLOAD_TIMEOUT", 180.0),
            maxsize=integer("DOWNLOAD_MAXSIZE", 16 * 1024 * 1024),
            warnsize=integer("DOWNLOAD_WARNSIZE", 4 * 1024 * 1024),
            fail_on_dataloss=flag("DOWNLOAD_FAIL_ON_DATALOSS", True),
            verify_certificates=flag("DOWNLOAD_VERIFY_CERTIFICATES", False),
            pool_size_total=integer("CONCURRENT_REQUESTS", 16),
            pool_size_per_host=integer("CONCURRENT_REQUESTS_PER_DOMAIN", 8),
            max_sessions=integer("NARCOWATCH_TOR_MAX_SESSIONS", 256),
            block_http_codes=frozenset(int(c) for c in codes) if codes else frozenset({403, 429, 503}),
            failure_threshold=integer("NARCOWATCH_TOR_FAILURE_THRESHOLD", 5),
            newnym_min_interval=num("NARCOWATCH_TOR_NEWNYM_MIN_INTERVAL", 30.0),
            rotation_min_interval=num("NARCOWATCH_TOR_ROTATION_MIN_INTERVAL", 10.0),
            probe_interval=num("NARCOWATCH_TOR_PROBE_INTERVAL", 5.0),
            probe_timeout=num("NARCOWATCH_TOR_PROBE_TIMEOUT", 3.0),
        )
        if cfg.connect_timeout <= 0 or cfg.download_timeout <= 0:
            raise NotConfigured("NARCOWATCH_TOR_CONNECT_TIMEOUT and DOWNLOAD_TIMEOUT must be positive")
        if cfg.max_sessions < 1:
            raise NotConfigured("NARCOWATCH_TOR_MAX_SESSIONS must be at least 1")
        return cfg
