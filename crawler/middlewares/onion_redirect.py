"""Refuse redirects from an .onion site to a clearnet host (they can unmask the crawler's interest).

Placed after RedirectMiddleware (order 610 > 600), so its ``process_response`` sees a 3xx before
RedirectMiddleware follows it; ``process_request`` is the backstop for any other redirect path (meta
refresh, spider code copying ``redirect_urls``). Allowed per crawl with ``NARCOWATCH_ALLOW_ONION_TO_CLEARNET``
or per spider with an ``allow_onion_to_clearnet`` attribute.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from urllib.parse import urljoin, urlsplit

from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.utils.httpobj import urlparse_cached

if TYPE_CHECKING:
    from typing import Self

    from scrapy import Request, Spider
    from scrapy.crawler import Crawler
    from scrapy.http import Response

logger = logging.getLogger(__name__)

_REDIRECT_CODES = (301, 302, 303, 307, 308)


def _is_onion(host: str | None) -> bool:
    return bool(host) and host.lower().rstrip(".").endswith(".onion")  # type: ignore[union-attr]


class OnionToClearnetRedirectError(IgnoreRequest):
    """A redirect chain that starts on an .onion host and leaves it for the clearnet."""


class OnionRedirectGuardMiddleware:
    """Downloader middleware that drops onion→clearnet redirects unless the source allows them."""

    def __init__(self, crawler: Crawler, allow: bool) -> None:
        self.crawler = crawler
        self.allow = allow

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not crawler.settings.getbool("NARCOWATCH_ONION_REDIRECT_GUARD_ENABLED", True):
            raise NotConfigured("NARCOWATCH_ONION_REDIRECT_GUARD_ENABLED is off")
        return cls(crawler, crawler.settings.getbool("NARCOWATCH_ALLOW_ONION_TO_CLEARNET", False))

    def _allowed(self, spider: Spider | None) -> bool:
        return bool(getattr(spider, "allow_onion_to_clearnet", self.allow))

    def _refuse(self, source: str, target: str) -> OnionToClearnetRedirectError:
        assert self.crawler.stats is not None
        self.crawler.stats.inc_value("narcowatch/tor/refused/onion_to_clearnet")
        logger.warning("Refusing redirect from onion %s to clearnet %s", source, target)
        return OnionToClearnetRedirectError(f"redirect from onion {source} to clearnet {target} refused")

    def process_request(self, request: Request) -> None:
        if self._allowed(self.crawler.spider):
            return None
        chain = request.meta.get("redirect_urls") or []
        if chain and any(_is_onion(urlsplit(u).hostname) for u in chain):
            if not _is_onion(urlparse_cached(request).hostname):
                raise self._refuse(chain[-1], request.url)
        return None

    def process_response(self, request: Request, response: Response) -> Response:
        if response.status not in _REDIRECT_CODES or self._allowed(self.crawler.spider):
            return response
        if not _is_onion(urlparse_cached(request).hostname):
            return response
        location = response.headers.get(b"Location")
        if not location:
            return response
        target = urljoin(request.url, location.decode("latin-1").strip())
        if not _is_onion(urlsplit(target).hostname):
            raise self._refuse(request.url, target)
        return response
