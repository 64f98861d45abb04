"""Response checks and stats shared by the spiders (stats keys are slash-namespaced)."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from scrapy.http import Response, TextResponse

from crawler.items import BaseItem

logger = logging.getLogger(__name__)

ItemT = TypeVar("ItemT", bound=BaseItem)

PAGES = "narcowatch/crawl/pages"
EMPTY_PAGE = "narcowatch/crawl/empty_page"
BROKEN_HTML = "narcowatch/crawl/broken_html"
HTTP_404 = "narcowatch/crawl/http_404"
HTTP_410 = "narcowatch/crawl/http_410"
NOT_TEXT = "narcowatch/crawl/not_text"
ITEMS = "narcowatch/crawl/items/{kind}"


def inc(spider: Any, key: str, count: int = 1) -> None:
    stats = getattr(getattr(spider, "crawler", None), "stats", None)
    if stats is not None:
        stats.inc_value(key, count)


def usable(spider: Any, response: Response) -> TextResponse | None:
    """Count the page and return it as text, or None (counted under its reason) when it has nothing to parse.

    Reasons: a 404/410 that HTTPERROR_ALLOWED_CODES let through, a 200 with an empty or all-whitespace
    body, a body Scrapy did not recognise as text.
    """
    inc(spider, PAGES)
    if response.status in (404, 410):
        inc(spider, HTTP_404 if response.status == 404 else HTTP_410)
        logger.info("gone (%s): %s", response.status, response.url)
        return None
    if not response.body.strip():
        inc(spider, EMPTY_PAGE)
        logger.warning("empty page: %s", response.url)
        return None
    if not isinstance(response, TextResponse):
        inc(spider, NOT_TEXT)
        logger.warning("not a text response: %s", response.url)
        return None
    return response


def counted(spider: Any, item: ItemT) -> ItemT:
    """Count an item under narcowatch/crawl/items/<kind> and return it."""
    inc(spider, ITEMS.format(kind=item.kind))
    return item
