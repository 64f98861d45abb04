"""One store object per path and process, shared by the pipelines of every crawler in the process."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from narcowatch.paths import default_store
from store.sqlite import SqliteStore

_lock = threading.Lock()
_stores: dict[Path, tuple[SqliteStore, int]] = {}


def store_path(settings: Any) -> Path:
    configured = settings.get("NARCOWATCH_STORE")
    return Path(configured).expanduser().resolve() if configured else default_store().resolve()


def acquire(settings: Any) -> SqliteStore:
    path = store_path(settings)
    with _lock:
        store, refs = _stores.get(path, (None, 0))
        if store is None:
            store = SqliteStore(path)
        _stores[path] = (store, refs + 1)
        return store


def release(store: SqliteStore) -> None:
    path = store.path.resolve()
    with _lock:
        current, refs = _stores.get(path, (None, 0))
        if current is not store:
            return
        if refs <= 1:
            del _stores[path]
            store.close()
        else:
            _stores[path] = (store, refs - 1)


class StorePipeline:
    """Base for pipelines that use the crawl's store: acquires it when the spider opens, releases it after."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.store: Any = None

    def open_spider(self) -> None:
        self.store = acquire(self.crawler.settings)

    def close_spider(self) -> None:
        if self.store is not None:
            release(self.store)
            self.store = None
