"""Change detection: mark each item new, changed or unchanged against the store's content hash."""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from scrapy.crawler import Crawler

from pipelines import _store
from store.base import item_content_hash


class ChangeDetectionPipeline(_store.StorePipeline):
    @classmethod
    def from_crawler(cls, crawler: Crawler) -> ChangeDetectionPipeline:
        return cls(crawler)

    async def process_item(self, item: Any) -> Any:
        # the store lock may be held by an upsert in a worker thread: never wait for it on the event loop
        stored = await asyncio.to_thread(self.store.content_hash, item.id)
        if stored is None:
            item.change = "new"
        elif stored == item_content_hash(asdict(item)):
            item.change = "unchanged"
        else:
            item.change = "changed"
        assert self.stats is not None
        self.stats.inc_value(f"narcowatch/changes/{item.change}")
        return item
