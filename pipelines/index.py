"""Index: upsert each item into the configured store (idempotent by item id)."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from scrapy.crawler import Crawler

from pipelines import _store


class IndexPipeline(_store.StorePipeline):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> IndexPipeline:
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        assert self.stats is not None
        try:
            result = await asyncio.to_thread(self.store.upsert, asdict(item))
        except Exception:
            self.stats.inc_value("narcowatch/index/errors")
            raise
        self.stats.inc_value(f"narcowatch/index/{result.status}")
        return item
