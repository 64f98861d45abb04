"""OnionRedirectGuardMiddleware with hand-made Requests/Responses (the crawl tests use the real chain)."""

from __future__ import annotations

import pytest
from scrapy import Request, Spider
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from test_handler_socks import make_onion

from crawler.middlewares.onion_redirect import OnionRedirectGuardMiddleware, OnionToClearnetRedirectError

ONION = make_onion("redirect")
OTHER = make_onion("redirect2")


class Allowing(Spider):
    name = "allowing"
    allow_onion_to_clearnet = True


def guard(spider_cls: type[Spider] = Spider, **settings: object) -> OnionRedirectGuardMiddleware:
    crawler = get_crawler(spider_cls, settings_dict=dict(settings))
    crawler.spider = spider_cls.from_crawler(crawler, name="x")
    return OnionRedirectGuardMiddleware.from_crawler(crawler)


def redirect(location: str, status: int = 302) -> tuple[Request, HtmlResponse]:
    req = Request(f"http://{ONION}/a")
    return req, HtmlResponse(req.url, status=status, headers={"Location": location}, request=req)


@pytest.mark.parametrize("location", ["http://example.com/x", "https://127.0.0.1/", "//example.org/p"])
def test_onion_to_clearnet_3xx_is_refused(location: str) -> None:
    mw = guard()
    req, resp = redirect(location)
    with pytest.raises(OnionToClearnetRedirectError):
        mw.process_response(req, resp)
    assert mw.crawler.stats.get_value("narcowatch/tor/refused/onion_to_clearnet") == 1


@pytest.mark.parametrize("location", [f"http://{OTHER}/b", "/relative", f"http://www.{ONION}/c"])
def test_onion_to_onion_and_relative_redirects_pass(location: str) -> None:
    mw = guard()
    req, resp = redirect(location, 301)
    assert mw.process_response(req, resp) is resp


def test_backstop_on_the_next_request_of_a_chain() -> None:
    mw = guard()
    follow = Request("http://example.com/", meta={"redirect_urls": [f"http://{ONION}/a"]})
    with pytest.raises(OnionToClearnetRedirectError):
        mw.process_request(follow)
    assert mw.process_request(Request(f"http://{OTHER}/", meta={"redirect_urls": [f"http://{ONION}/a"]})) is None


def test_allowed_by_setting_or_by_spider_attribute() -> None:
    req, resp = redirect("http://example.com/x")
    assert guard(NARCOWATCH_ALLOW_ONION_TO_CLEARNET=True).process_response(req, resp) is resp
    assert guard(Allowing).process_response(req, resp) is resp
