"""The `narcowatch` command: a thin shell; each subcommand lives beside the code it drives.

Subcommands are imported lazily so that `narcowatch search` does not pay for spaCy or Scrapy.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

# name -> "module:attribute" of a click.Command
_COMMANDS: dict[str, str] = {
    "demo": "narcowatch.demo:demo_command",
    "crawl": "narcowatch.crawl:crawl_command",
    "search": "narcowatch.search:search_command",
    "extract": "nlp.cli:extract_command",
    "eval": "nlp.cli:eval_command",
    "tor": "crawler.tor.cli:tor_group",
}


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = _COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, _, attr = target.partition(":")
        module = importlib.import_module(module_name)
        command: Any = getattr(module, attr)
        return command  # type: ignore[no-any-return]


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="narcowatch")
def cli() -> None:
    """Narcowatch: monitor darknet drug markets and Telegram shop channels (read-only)."""


def main() -> None:
    cli()
