"""`narcowatch search`: full-text and filtered search over the configured store."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from narcowatch.paths import default_store
from store.base import SearchHit, SearchQuery
from store.sqlite import SqliteStore, StoreError


def render_hits(console: Console, hits: list[SearchHit], title: str) -> None:
    table = Table(title=title, show_lines=True)
    table.add_column("#", justify="right")
    table.add_column("kind")
    table.add_column("title / snippet", overflow="fold")
    table.add_column("drugs")
    table.add_column("source")
    for n, hit in enumerate(hits, 1):
        heading = hit.title or hit.url
        table.add_row(str(n), hit.kind, f"[bold]{heading}[/bold]\n{hit.snippet}\n[dim]{hit.url}[/dim]",
                      ", ".join(hit.drugs), hit.source)
    console.print(table)


@click.command("search")
@click.argument("query", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit, one per line.")
@click.option("--store", "store_path", type=click.Path(path_type=Path), help="SQLite store (default: $NARCOWATCH_HOME/narcowatch.db).")
@click.option("--kind", "kinds", multiple=True, type=click.Choice(["listing", "vendor", "channel_post", "page"]))
@click.option("--source", "sources", multiple=True, help="Only items of this source (repeatable).")
@click.option("--drug", "substances", multiple=True, help="Only items naming this substance, e.g. mephedrone.")
@click.option("--category", "categories", multiple=True,
              type=click.Choice(["sale", "recruitment", "precursor", "propaganda", "laundering", "other"]))
@click.option("--lang", "langs", multiple=True, help="Only items in this language (ru, en, uk, kk).")
@click.option("--since", help="Only items fetched at or after this ISO date.")
@click.option("-n", "--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
def search_command(query: tuple[str, ...], as_json: bool, store_path: Path | None, kinds: tuple[str, ...],
                   sources: tuple[str, ...], substances: tuple[str, ...], categories: tuple[str, ...],
                   langs: tuple[str, ...], since: str | None, limit: int) -> None:
    """Search indexed listings, vendors and channel posts. Russian words match in any inflection."""
    path = store_path or default_store()
    if not path.exists():
        raise click.ClickException(f"{path}: no store here yet; run `narcowatch demo` or `narcowatch crawl SOURCE`")
    text = " ".join(query)
    q = SearchQuery(text=text, kinds=kinds, sources=sources, substances=substances, categories=categories,
                    langs=langs, since=since, limit=limit)
    store = SqliteStore(path)
    try:
        hits = store.search(q)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    finally:
        store.close()
    if as_json:
        for hit in hits:
            click.echo(json.dumps(hit.to_json(), ensure_ascii=False))
        return
    console = Console()
    if not hits:
        console.print(f"No results for {text!r}.")
        return
    render_hits(console, hits, f"{len(hits)} result(s) for {text!r}")
