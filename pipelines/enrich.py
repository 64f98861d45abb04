"""NLP enrichment: batches items through the spaCy pipeline in a worker thread and attaches the result.

Items arrive one at a time; each waits on a future while a micro-batch fills (NARCOWATCH_NLP_BATCH_SIZE
items or NARCOWATCH_NLP_BATCH_WAIT seconds), so ``nlp.pipe`` sees real batches and the event loop is
never blocked by spaCy. Unchanged items keep the enrichment already in the store.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

logger = logging.getLogger(__name__)


class NlpEnrichPipeline:
    def __init__(self, crawler: Crawler, batch_size: int, batch_wait: float) -> None:
        self.stats = crawler.stats
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self._pending: list[tuple[Any, asyncio.Future[None]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._extractor: Any = None
        self._running: set[asyncio.Task[None]] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NlpEnrichPipeline:
        settings = crawler.settings
        if not settings.getbool("NARCOWATCH_NLP_ENABLED", True):
            raise NotConfigured("NARCOWATCH_NLP_ENABLED is off")
        batch_size = settings.getint("NARCOWATCH_NLP_BATCH_SIZE", 64)
        if batch_size < 1:
            raise NotConfigured(f"NARCOWATCH_NLP_BATCH_SIZE must be >= 1, got {batch_size}")
        return cls(crawler, batch_size, settings.getfloat("NARCOWATCH_NLP_BATCH_WAIT", 0.05))

    async def open_spider(self) -> None:
        from nlp.api import get_extractor

        # Loading spaCy and the lexicons takes seconds: do it once, off the event loop, before items flow.
        self._extractor = await asyncio.to_thread(get_extractor)

    async def close_spider(self) -> None:
        while self._pending:
            self._start_flush()
        if self._running:
            await asyncio.gather(*self._running, return_exceptions=True)

    async def process_item(self, item: Any) -> Any:
        if getattr(item, "change", None) == "unchanged":
            assert self.stats is not None
            self.stats.inc_value("narcowatch/nlp/skipped_unchanged")
            return item
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._pending.append((item, future))
        if len(self._pending) >= self.batch_size:
            self._start_flush()
        elif self._timer is None:
            self._timer = loop.call_later(self.batch_wait, self._start_flush)
        await future
        return item

    def _start_flush(self) -> None:
        """Take the waiting items (at most one batch) now and run them; re-arm the timer for the rest."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        batch, self._pending = self._pending[: self.batch_size], self._pending[self.batch_size :]
        if self._pending:
            self._timer = asyncio.get_running_loop().call_later(self.batch_wait, self._start_flush)
        if not batch:
            return
        task = asyncio.ensure_future(self._run(batch))
        self._running.add(task)
        task.add_done_callback(self._running.discard)

    async def _run(self, batch: list[tuple[Any, asyncio.Future[None]]]) -> None:
        records = [
            {"id": item.id, "title": item.title_for_nlp(), "text": item.text_for_nlp()} for item, _ in batch
        ]
        assert self.stats is not None
        try:
            results = await asyncio.to_thread(self._extractor.extract_batch, records)
            if len(results) != len(batch):
                raise RuntimeError(f"extractor returned {len(results)} results for {len(batch)} items")
        except Exception as exc:  # the failure goes to every waiting item: nothing is dropped silently
            self.stats.inc_value("narcowatch/nlp/failed_batches")
            logger.exception("NLP batch of %d items failed", len(batch))
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        self.stats.inc_value("narcowatch/nlp/batches")
        self.stats.inc_value("narcowatch/nlp/docs", len(batch))
        for (item, future), result in zip(batch, results, strict=False):
            item.nlp = result
            if not future.done():
                future.set_result(None)
