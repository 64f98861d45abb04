"""The store interface every backend implements, and the types it speaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class SearchQuery:
    """A full-text query plus structured filters; empty filters match everything."""

    text: str = ""
    kinds: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    substances: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    langs: tuple[str, ...] = ()
    since: str | None = None
    limit: int = 20
    offset: int = 0


@dataclass
class SearchHit:
    id: str
    kind: str
    source: str
    url: str
    title: str
    snippet: str
    score: float
    lang: str | None = None
    category: str | None = None
    drugs: list[str] = field(default_factory=list)
    fetched_at: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "source": self.source,
            "url": self.url,
            "title": self.title,
            "snippet": self.snippet,
            "score": round(self.score, 4),
            "lang": self.lang,
            "category": self.category,
            "drugs": self.drugs,
            "fetched_at": self.fetched_at,
            "item": self.data,
        }


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did: "new", "changed" or "unchanged"."""

    status: str
    item_id: str


class Store(Protocol):
    def upsert(self, item: dict[str, Any]) -> UpsertResult: ...

    def content_hash(self, item_id: str) -> str | None: ...

    def get(self, item_id: str) -> dict[str, Any] | None: ...

    def search(self, query: SearchQuery) -> list[SearchHit]: ...

    def count(self, kind: str | None = None, source: str | None = None) -> int: ...

    def add_alert(self, watchlist: str, rule: str, item_id: str, reason: str) -> bool: ...

    def alerts(self, limit: int = 100) -> list[dict[str, Any]]: ...

    def close(self) -> None: ...


# Fields that change without the offer changing: they never make an item "changed". The URLs say
# which mirror an item was fetched through, not what it offers.
VOLATILE_FIELDS = frozenset({"fetched_at", "nlp", "change", "views", "url", "vendor_url"})


def item_content_hash(item: dict[str, Any]) -> str:
    """SHA-256 over the item's content fields, stable across runs (sorted keys, volatile fields out)."""
    import hashlib
    import json

    content = {k: v for k, v in item.items() if k not in VOLATILE_FIELDS}
    blob = json.dumps(content, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()
