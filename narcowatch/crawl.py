"""Run crawls of configured sources in this process, feeding the real pipelines and the store.

One process runs one batch of crawls (a stopped Twisted reactor cannot restart): the CLI and the
demo call :func:`run_crawls` once; the scheduler spawns a new `narcowatch crawl` process per run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from scrapy import signals
from scrapy.crawler import AsyncCrawlerProcess, Crawler
from scrapy.settings import Settings

from narcowatch.config import ConfigError, Source, find_source
from narcowatch.paths import config_dir, default_store, home

logger = logging.getLogger(__name__)

ProgressCallback = Callable[[str, str], None]  # (source name, event: "page" | "item" | "error")


@dataclass
class CrawlResult:
    source: str
    spider: str
    finish_reason: str
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return int(self.stats.get("response_received_count", 0))

    @property
    def items(self) -> int:
        return int(self.stats.get("item_scraped_count", 0))

    @property
    def errors(self) -> int:
        return int(self.stats.get("log_count/ERROR", 0))


def project_settings() -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    return settings


def default_watchlists() -> list[Path]:
    directory = config_dir() / "watchlists"
    return sorted(directory.glob("*.toml")) if directory.is_dir() else []


class _SignalRelay:
    """Forwards Scrapy signals to a progress callback (a bound method: signals hold weak references)."""

    def __init__(self, source: str, callback: ProgressCallback) -> None:
        self.source = source
        self.callback = callback

    def response_received(self, **_: Any) -> None:
        self.callback(self.source, "page")

    def item_scraped(self, **_: Any) -> None:
        self.callback(self.source, "item")

    def error(self, **_: Any) -> None:
        self.callback(self.source, "error")


def tor_overrides(source: Source) -> dict[str, Any]:
    """SOCKS endpoints for a Tor source that names none: the tors `narcowatch tor start` recorded.

    The source's own ``[tor] proxies`` and an explicit NARCOWATCH_TOR_PROXIES win; with neither and no
    recorded tor, the settings default (socks5h://127.0.0.1:9050, a system tor) applies.
    """
    import os

    if source.transport != "tor" or source.tor_proxies or os.environ.get("NARCOWATCH_TOR_PROXIES"):
        return {}
    from crawler.tor.launcher import TorLauncher, default_state_dir

    launcher = TorLauncher(default_state_dir())
    running = [i for i in launcher.instances if i.is_running()]
    if not running:
        return {}
    return {
        "NARCOWATCH_TOR_PROXIES": [i.socks_url for i in running],
        "NARCOWATCH_TOR_CONTROL_PORTS": [i.control_port for i in running],
    }


def run_crawls(
    sources: list[Source],
    *,
    store: Path | None = None,
    watchlists: list[Path] | None = None,
    overrides: dict[str, Any] | None = None,
    progress: ProgressCallback | None = None,
    log_file: Path | None = None,
) -> list[CrawlResult]:
    """Crawl every source concurrently through the item pipelines into ``store``; return their stats."""
    store = (store or default_store()).expanduser().resolve()
    store.parent.mkdir(parents=True, exist_ok=True)
    base = project_settings()
    base.set("NARCOWATCH_STORE", str(store), priority="cmdline")
    base.set("NARCOWATCH_WATCHLISTS", [str(p) for p in (watchlists or [])], priority="cmdline")
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        base.set("LOG_FILE", str(log_file), priority="cmdline")
        base.set("LOG_FILE_APPEND", True, priority="cmdline")
    for key, value in (overrides or {}).items():
        base.set(key, value, priority="cmdline")

    process = AsyncCrawlerProcess(base)
    crawlers: list[tuple[Source, Crawler, str]] = []
    relays: list[_SignalRelay] = []
    for source in sources:
        settings = base.copy()
        for key, value in {**tor_overrides(source), **source.crawl_settings()}.items():
            settings.set(key, value, priority="spider")
        spidercls = process.spider_loader.load(source.spider)
        crawler = Crawler(spidercls, settings)
        if progress is not None:
            relay = _SignalRelay(source.name, progress)
            relays.append(relay)
            crawler.signals.connect(relay.response_received, signal=signals.response_received)
            crawler.signals.connect(relay.item_scraped, signal=signals.item_scraped)
            crawler.signals.connect(relay.error, signal=signals.spider_error)
            crawler.signals.connect(relay.error, signal=signals.item_error)
        started = datetime.now(UTC).replace(microsecond=0).isoformat()
        process.crawl(crawler, **source.spider_args())
        crawlers.append((source, crawler, started))
    process.start()

    from store.sqlite import SqliteStore

    results: list[CrawlResult] = []
    db = SqliteStore(store)
    try:
        for source, crawler, started in crawlers:
            stats = crawler.stats.get_stats() if crawler.stats else {}
            reason = str(stats.get("finish_reason", "unknown"))
            db.record_run(source.name, source.spider, started, reason, stats)
            results.append(CrawlResult(source.name, source.spider, reason, dict(stats)))
    finally:
        db.close()
    return results


@click.command("crawl")
@click.argument("source")
@click.option("--store", "store_path", type=click.Path(path_type=Path), help="SQLite store (default: $NARCOWATCH_HOME/narcowatch.db).")
@click.option("--sources-dir", type=click.Path(path_type=Path), help="Directory of source TOML files (default: config/sources).")
@click.option("--watchlist", "watchlists", multiple=True, type=click.Path(path_type=Path, exists=True), help="Watchlist TOML (repeatable; default: config/watchlists/*.toml).")
@click.option("-s", "--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a Scrapy setting.")
def crawl_command(source: str, store_path: Path | None, sources_dir: Path | None, watchlists: tuple[Path, ...],
                  overrides: tuple[str, ...]) -> None:
    """One crawl of one configured SOURCE (a name in config/sources/ or a path to a TOML file)."""
    try:
        src = find_source(source, sources_dir)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    settings: dict[str, Any] = {}
    for entry in overrides:
        name, sep, value = entry.partition("=")
        if not sep:
            raise click.BadParameter(f"{entry!r} is not NAME=VALUE", param_hint="--set")
        settings[name] = value
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    log_file = home() / "logs" / f"crawl-{src.name}-{stamp}.log"
    click.echo(f"Crawling {src.name} ({src.spider}, transport {src.transport}); log: {log_file}", err=True)
    results = run_crawls(
        [src],
        store=store_path,
        watchlists=list(watchlists) or default_watchlists(),
        overrides=settings,
        log_file=log_file,
    )
    for result in results:
        click.echo(
            f"{result.source}: {result.finish_reason}; {result.pages} pages, {result.items} items, "
            f"{result.errors} errors"
        )
        for key in sorted(result.stats):
            if key.startswith("narcowatch/"):
                click.echo(f"  {key}: {result.stats[key]}")
