"""Typed items produced by spiders.

Every item carries a stable ``id``: source + path of the canonical URL for market listings and
vendors (a market is one source, reached through mirrors whose hosts change), source + full canonical
URL for pages, source + channel + post id for channel posts. Items also carry
the ``source`` name they came from, their ``url`` and ``fetched_at`` (ISO-8601 UTC). Pipelines add
``nlp`` (the extraction result, see ``narcowatch extract``) and ``change`` (new/changed/unchanged).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def utcnow() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def canonical_url(url: str) -> str:
    """Lower-case scheme and host, drop fragment and default ports, keep path and query."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().rstrip(".")
    port = parts.port
    if port and not ((parts.scheme == "http" and port == 80) or (parts.scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    path = parts.path or "/"
    return urlunsplit((parts.scheme.lower(), host, path, parts.query, ""))


def site_key(url: str) -> str:
    """Path and query of the canonical URL: a market's listing keeps its identity across its mirrors."""
    parts = urlsplit(canonical_url(url))
    return urlunsplit(("", "", parts.path, parts.query, ""))


def stable_id(source: str, key: str) -> str:
    """A short, stable id from the source name and a key (canonical URL or channel/post)."""
    digest = hashlib.sha256(f"{source}\x00{key}".encode()).hexdigest()[:20]
    return f"{source}:{digest}"


@dataclass
class BaseItem:
    id: str
    source: str
    url: str
    fetched_at: str = field(default_factory=utcnow)
    nlp: dict[str, Any] | None = None
    change: str | None = None

    kind: str = field(default="item", init=False)

    def text_for_nlp(self) -> str:
        return ""

    def title_for_nlp(self) -> str:
        return ""


@dataclass
class Listing(BaseItem):
    market: str = ""
    title: str = ""
    description: str = ""
    price: float | None = None
    currency: str | None = None
    vendor: str | None = None
    vendor_url: str | None = None
    category: str | None = None
    ships_from: str | None = None
    ships_to: str | None = None

    kind: str = field(default="listing", init=False)

    @classmethod
    def build(cls, source: str, url: str, **fields: Any) -> Listing:
        return cls(id=stable_id(source, site_key(url)), source=source, url=url, **fields)

    def text_for_nlp(self) -> str:
        return self.description

    def title_for_nlp(self) -> str:
        return self.title


@dataclass
class Vendor(BaseItem):
    market: str = ""
    name: str = ""
    description: str = ""
    rating: float | None = None
    sales: int | None = None
    joined: str | None = None

    kind: str = field(default="vendor", init=False)

    @classmethod
    def build(cls, source: str, url: str, **fields: Any) -> Vendor:
        return cls(id=stable_id(source, site_key(url)), source=source, url=url, **fields)

    def text_for_nlp(self) -> str:
        return self.description

    def title_for_nlp(self) -> str:
        return self.name


@dataclass
class ChannelPost(BaseItem):
    channel: str = ""
    post_id: int = 0
    text: str = ""
    posted_at: str | None = None
    views: int | None = None
    edited: bool = False
    forwarded_from: str | None = None
    links: list[str] = field(default_factory=list)
    media: list[str] = field(default_factory=list)

    kind: str = field(default="channel_post", init=False)

    @classmethod
    def build(cls, source: str, channel: str, post_id: int, url: str, **fields: Any) -> ChannelPost:
        return cls(
            id=stable_id(source, f"{channel.lower()}/{post_id}"),
            source=source,
            url=url,
            channel=channel,
            post_id=post_id,
            **fields,
        )

    def text_for_nlp(self) -> str:
        return self.text


@dataclass
class Page(BaseItem):
    title: str = ""
    text: str = ""
    status: int = 200

    kind: str = field(default="page", init=False)

    @classmethod
    def build(cls, source: str, url: str, **fields: Any) -> Page:
        return cls(id=stable_id(source, canonical_url(url)), source=source, url=url, **fields)

    def text_for_nlp(self) -> str:
        return self.text

    def title_for_nlp(self) -> str:
        return self.title


ITEM_TYPES: dict[str, type[BaseItem]] = {
    "listing": Listing,
    "vendor": Vendor,
    "channel_post": ChannelPost,
    "page": Page,
}
