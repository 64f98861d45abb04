"""MarketSpider: a generic market crawler driven by an adapter data file (config/adapters/<name>.toml).

Start page → category pages (followed through their next links) → listing pages → vendor pages.
The spider only parses: it yields :class:`~crawler.items.Listing` and :class:`~crawler.items.Vendor`
items and requests. A 200 page without the adapter's required fields (or with an unparseable price)
is counted as ``narcowatch/crawl/broken_html`` and yields nothing.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.http import Response, TextResponse

from crawler.items import Listing, Vendor
from crawler.spiders._adapter import Adapter, PageSpec, extract, load_adapter, select
from crawler.spiders._common import BROKEN_HTML, counted, inc, usable
from crawler.spiders._price import parse_price

logger = logging.getLogger(__name__)

CATEGORY_PAGES = "narcowatch/crawl/category_pages"

_FIRST_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


class MarketSpider(scrapy.Spider):
    """Crawl one market. Arguments (``-a`` on the command line):

    * ``source``: the source name stored on items (required);
    * ``start_url``: the market's start page (required);
    * ``adapter``: adapter name in config/adapters/ or a path to a .toml file (default ``fixture-market``);
    * ``max_pages``: at most this many category pages (all categories together); unlimited by default;
    * ``canonical_base``: scheme://host of the market's canonical address; item URLs are rewritten to
      it, so that a mirror (or a fixture on a random port) yields the same item ids every run.
    """

    name = "market"

    def __init__(self, source: str = "", start_url: str = "", adapter: str = "fixture-market",
                 max_pages: int | str | None = None, canonical_base: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not source or not start_url:
            raise ValueError("MarketSpider needs source and start_url arguments")
        self.source = source
        self.start_url = start_url
        self.adapter: Adapter = load_adapter(adapter)
        self.max_pages = int(max_pages) if max_pages not in (None, "") else None
        self.canonical_base = canonical_base or None
        self.category_pages = 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.start_url, callback=self.parse_start)

    # ----- helpers -------------------------------------------------------------------------------

    def item_url(self, url: str) -> str:
        """``url`` moved onto ``canonical_base`` when one is set."""
        if not self.canonical_base:
            return url
        base = urlsplit(self.canonical_base)
        parts = urlsplit(url)
        return urlunsplit((base.scheme, base.netloc, parts.path, parts.query, ""))

    def _links(self, response: TextResponse, key: str) -> list[str]:
        query = self.adapter.follow.get(key)
        if not query:
            return []
        seen: dict[str, None] = {}
        for href in select(response.selector, query).getall():
            href = href.strip()
            if href and not href.startswith(("javascript:", "#", "mailto:")):
                seen[response.urljoin(href)] = None
        return list(seen)

    def _fields(self, response: TextResponse, spec: PageSpec) -> dict[str, str | None]:
        return {
            key: extract(response.selector, query, multiline=key in spec.multiline, base_url=response.url)
            for key, query in spec.fields.items()
        }

    def _category_request(self, url: str) -> scrapy.Request | None:
        if self.max_pages is not None and self.category_pages >= self.max_pages:
            return None
        self.category_pages += 1
        return scrapy.Request(url, callback=self.parse_category)

    # ----- callbacks -----------------------------------------------------------------------------

    def parse_start(self, response: Response) -> Iterator[scrapy.Request]:
        """Start page: follow category links (and any listing links shown there)."""
        page = usable(self, response)
        if page is None:
            return
        for url in self._links(page, "categories"):
            request = self._category_request(url)
            if request is not None:
                yield request
        for url in self._links(page, "listings"):
            yield scrapy.Request(url, callback=self.parse_listing)

    def parse_category(self, response: Response) -> Iterator[scrapy.Request]:
        """Category page: follow its listing links and its next-page link."""
        page = usable(self, response)
        if page is None:
            return
        inc(self, CATEGORY_PAGES)
        for url in self._links(page, "listings"):
            yield scrapy.Request(url, callback=self.parse_listing)
        for url in self._links(page, "next_page")[:1]:
            request = self._category_request(url)
            if request is not None:
                yield request

    def parse_listing(self, response: Response) -> Iterator[Listing | scrapy.Request]:
        """Listing page: one Listing item, and a request for the vendor page."""
        page = usable(self, response)
        if page is None:
            return
        spec = self.adapter.listing
        fields = self._fields(page, spec)
        price, currency = parse_price(fields.get("price"))
        missing = [key for key in spec.required if not fields.get(key) or (key == "price" and price is None)]
        if missing:
            inc(self, BROKEN_HTML)
            logger.warning("broken listing page %s: missing or unparseable %s", response.url, ", ".join(missing))
            return
        vendor_url = fields.get("vendor_url")
        yield counted(self, Listing.build(
            self.source,
            self.item_url(response.url),
            market=self.adapter.market,
            title=fields.get("title") or "",
            description=fields.get("description") or "",
            price=price,
            currency=currency,
            vendor=fields.get("vendor"),
            vendor_url=self.item_url(page.urljoin(vendor_url)) if vendor_url else None,
            category=fields.get("category"),
            ships_from=fields.get("ships_from"),
            ships_to=fields.get("ships_to"),
        ))
        for url in self._links(page, "vendor"):
            yield scrapy.Request(url, callback=self.parse_vendor)

    def parse_vendor(self, response: Response) -> Iterator[Vendor | scrapy.Request]:
        """Vendor page: one Vendor item, and requests for listings not seen yet."""
        page = usable(self, response)
        if page is None:
            return
        spec = self.adapter.vendor
        fields = self._fields(page, spec)
        missing = [key for key in spec.required if not fields.get(key)]
        if missing:
            inc(self, BROKEN_HTML)
            logger.warning("broken vendor page %s: missing %s", response.url, ", ".join(missing))
            return
        rating_match = _FIRST_NUMBER.search(fields.get("rating") or "")
        sales_digits = re.sub(r"\D", "", fields.get("sales") or "")
        yield counted(self, Vendor.build(
            self.source,
            self.item_url(response.url),
            market=self.adapter.market,
            name=fields.get("name") or "",
            description=fields.get("description") or "",
            rating=float(rating_match.group(0).replace(",", ".")) if rating_match else None,
            sales=int(sales_digits) if sales_digits else None,
            joined=fields.get("joined"),
        ))
        for url in self._links(page, "vendor_listings"):
            yield scrapy.Request(url, callback=self.parse_listing)
