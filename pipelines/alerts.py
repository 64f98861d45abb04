"""Alerts: evaluate each enriched item against the configured watchlists and record new alerts."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from itemadapter import ItemAdapter
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from alerts.watchlist import Watchlist, load_watchlists
from pipelines import _store

logger = logging.getLogger(__name__)


class AlertPipeline(_store.StorePipeline):
    def __init__(self, crawler: Crawler, watchlists: list[Watchlist]) -> None:
        super().__init__(crawler)
        self.watchlists = watchlists

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> AlertPipeline:
        paths = [Path(p) for p in crawler.settings.getlist("NARCOWATCH_WATCHLISTS")]
        if not paths:
            raise NotConfigured("no watchlists configured (NARCOWATCH_WATCHLISTS is empty)")
        return cls(crawler, load_watchlists(paths))

    async def process_item(self, item: Any) -> Any:
        data = ItemAdapter(item).asdict()
        if data.get("nlp") is None:
            # unchanged items were enriched (and alerted on) when they were first seen
            return item
        # keyword rules lemmatise and every alert is a SQLite write: keep both off the event loop
        new = await asyncio.to_thread(self._record_alerts, data)
        if new:
            assert self.stats is not None
            self.stats.inc_value("narcowatch/alerts/new", new)
        return item

    def _record_alerts(self, data: dict[str, Any]) -> int:
        new = 0
        for watchlist in self.watchlists:
            for rule, reason in watchlist.evaluate(data):
                if self.store.add_alert(watchlist.name, rule.id, data["id"], reason):
                    new += 1
                    logger.info("Alert %s/%s on %s: %s", watchlist.name, rule.id, data["url"], reason)
        return new
