"""`narcowatch demo`: the whole path once, on the embedded store, with nothing else installed.

Serves the bundled fixture market and Telegram channel on loopback, crawls them with the real
spiders through the real pipelines and NLP into SQLite, evaluates the sample watchlist and prints a
summary. The store it leaves behind is the one `narcowatch search` reads by default.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from narcowatch.config import ConfigError, load_source_file
from narcowatch.crawl import CrawlResult, run_crawls
from narcowatch.paths import config_dir, default_store, home
from narcowatch.search import render_hits
from store.base import SearchQuery
from store.sqlite import SqliteStore

SAMPLE_QUERIES = ("мефедрон", "закладки Бишкек", "cocaine")


def _summary(console: Console, results: list[CrawlResult], store_path: Path, elapsed: float) -> None:
    crawl = Table(title="Crawl")
    for column in ("source", "finish", "pages", "items", "new", "changed", "unchanged", "404", "empty", "broken",
                   "errors"):
        crawl.add_column(column, justify="left" if column in ("source", "finish") else "right")
    for r in results:
        s = r.stats
        crawl.add_row(
            r.source, r.finish_reason, str(r.pages), str(r.items),
            *(str(s.get(f"narcowatch/index/{k}", 0)) for k in ("new", "changed", "unchanged")),
            *(str(s.get(f"narcowatch/crawl/{k}", 0)) for k in ("http_404", "empty_page", "broken_html")),
            str(r.errors),
        )
    console.print(crawl)

    store = SqliteStore(store_path)
    try:
        totals = Table(title="Store", caption=str(store_path))
        totals.add_column("kind")
        totals.add_column("items", justify="right")
        for kind, n in sorted(store.counts_by_kind().items()):
            totals.add_row(kind, str(n))
        console.print(totals)

        drugs = Table(title="Top drugs")
        drugs.add_column("substance")
        drugs.add_column("class")
        drugs.add_column("items", justify="right")
        for substance, cls, n in store.top_substances(10):
            drugs.add_row(substance, cls or "", str(n))
        console.print(drugs)

        alerts = Table(title="Alerts")
        alerts.add_column("watchlist")
        alerts.add_column("rule")
        alerts.add_column("items", justify="right")
        for watchlist, rule, n in store.alert_counts():
            alerts.add_row(watchlist, rule, str(n))
        console.print(alerts)

        for query in SAMPLE_QUERIES:
            hits = store.search(SearchQuery(text=query, limit=3))
            if hits:
                render_hits(console, hits, f"Sample search: narcowatch search {query!r}")
                break
    finally:
        store.close()
    console.print(f"Done in {elapsed:.1f} s. Try: [bold]narcowatch search мефедрон[/bold] "
                  f"or [bold]narcowatch search --drug cocaine --json[/bold]")


@click.command("demo")
@click.option("--store", "store_path", type=click.Path(path_type=Path),
              help="SQLite store to fill (default: $NARCOWATCH_HOME/narcowatch.db, which `search` reads).")
@click.option("--seed", default=1, show_default=True, help="Seed of the generated fixture world.")
def demo_command(store_path: Path | None, seed: int) -> None:
    """Serve the bundled fixture market and channel on loopback, crawl, enrich, index, alert, summarise."""
    from fixtures.server import FixtureServer
    from fixtures.world import World

    console = Console()
    store_path = (store_path or default_store()).expanduser()
    demo_dir = config_dir() / "samples" / "demo"
    watchlists = [config_dir() / "watchlists" / "sample.toml"]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    log_file = home() / "logs" / f"demo-{stamp}.log"
    started = time.monotonic()

    world = World.generate(seed=seed)
    with FixtureServer(world) as server:
        substitutions = {"market_url": server.market_url, "telegram_url": server.telegram_url}
        try:
            sources = [load_source_file(p, substitutions) for p in sorted(demo_dir.glob("*.toml"))]
        except ConfigError as exc:
            raise click.ClickException(str(exc)) from None
        if not sources:
            raise click.ClickException(f"{demo_dir}: no demo source files found")
        console.print(f"Fixture market at {server.market_url}, channel at {server.telegram_url}")
        console.print(f"Store: {store_path}   Scrapy log: {log_file}")
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                      TextColumn("{task.fields[unit]}"), TimeElapsedColumn(), console=console) as progress:
            tasks = {s.name: progress.add_task(f"{s.name:<14}", total=None, unit="pages") for s in sources}
            items = progress.add_task("indexed       ", total=None, unit="items")

            def on_event(source: str, event: str) -> None:
                if event == "page":
                    progress.advance(tasks[source])
                elif event == "item":
                    progress.advance(items)

            results = run_crawls(sources, store=store_path, watchlists=watchlists, progress=on_event,
                                 log_file=log_file, overrides={"LOG_LEVEL": "INFO"})
            for task_id in (*tasks.values(), items):
                progress.update(task_id, total=progress.tasks[task_id].completed)
    _summary(console, results, store_path, time.monotonic() - started)
