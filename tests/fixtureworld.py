"""Shared helpers for the fixture-world and spider tests: the world, its server, and a real crawl runner.

Import the fixtures into a test module with ``from tests.fixtureworld import world, fixture_server``
(pytest picks up fixtures imported into a module). ``run_spider`` runs a spider with Scrapy in a
child process (one Twisted reactor per process), with the project's real settings
(crawler.settings) except: no item pipelines (items are collected by a signal handler instead), the
direct transport (the fixture is on loopback, not behind Tor) and quieter logs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fixtures.server import FixtureServer
from fixtures.world import World

REPO = Path(__file__).resolve().parents[1]
GOLDEN = Path(__file__).resolve().parent / "golden"

# Runs in the child: argv = [spider name, output json path, settings json, spider kwargs json].
_RUNNER = r"""
import dataclasses, json, sys
from scrapy import signals
from scrapy.crawler import AsyncCrawlerProcess
from scrapy.utils.project import get_project_settings

name, out, overrides, kwargs = sys.argv[1], sys.argv[2], json.loads(sys.argv[3]), json.loads(sys.argv[4])
settings = get_project_settings()
settings.setdict(overrides, priority="cmdline")
process = AsyncCrawlerProcess(settings)
crawler = process.create_crawler(name)
items = []

def collect(item, response, spider):
    items.append(dataclasses.asdict(item))

crawler.signals.connect(collect, signal=signals.item_scraped)
process.crawl(crawler, **kwargs)
process.start()
stats = {k: (v.isoformat() if hasattr(v, "isoformat") else v) for k, v in crawler.stats.get_stats().items()}
with open(out, "w", encoding="utf-8") as fh:
    json.dump({"items": items, "stats": stats}, fh, ensure_ascii=False)
"""

TEST_SETTINGS: dict[str, Any] = {
    "ITEM_PIPELINES": {},
    "NARCOWATCH_TRANSPORT": "direct",
    "LOG_LEVEL": "WARNING",
}


def run_spider(name: str, out_dir: Path, timeout: float = 120, settings: dict[str, Any] | None = None,
               **kwargs: Any) -> dict[str, Any]:
    """Crawl with spider ``name`` for real; returns ``{"items": [...], "stats": {...}}``."""
    out = out_dir / f"{name}-result.json"
    env = dict(os.environ, SCRAPY_SETTINGS_MODULE="crawler.settings")
    proc = subprocess.run(
        [sys.executable, "-c", _RUNNER, name, str(out), json.dumps({**TEST_SETTINGS, **(settings or {})}),
         json.dumps({k: str(v) for k, v in kwargs.items()})],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    result: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    result["log"] = proc.stderr
    return result


@pytest.fixture(scope="session")
def world() -> World:
    return World.generate(seed=1)


@pytest.fixture(scope="session")
def fixture_server(world: World) -> Iterator[FixtureServer]:
    with FixtureServer(world) as server:
        yield server
