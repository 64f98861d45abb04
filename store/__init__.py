"""Item stores: the embedded SQLite/FTS5 default (Elasticsearch joins behind the same interface later)."""

from store.base import SearchHit, SearchQuery, Store
from store.sqlite import SqliteStore, open_store

__all__ = ["SearchHit", "SearchQuery", "SqliteStore", "Store", "open_store"]
