"""Crawl a list of URLs in this process and write a JSON report (used by bench/transport.py and tests).

    python bench/crawl_site.py --url 'http://127.0.0.1:8080/p/{i}' --count 1000 \
        --set CONCURRENT_REQUESTS=64 --handler socks --proxy socks5h://127.0.0.1:9050 --report out.json

``--handler socks`` uses crawler.handlers.socks.SocksDownloadHandler (transport tor, or ``--direct``);
``--handler default`` uses Scrapy's default HTTP11 handler, direct. The report holds pages fetched (url,
status, body length), failures (url, exception type and message), crawl stats, elapsed wall time from
spider open to the last response, CPU seconds of the crawl and peak RSS of the process.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from typing import Any

import scrapy
from scrapy import signals
from scrapy.crawler import AsyncCrawlerProcess


class ListSpider(scrapy.Spider):
    """Fetches the given URLs once each; records responses and failures; parses nothing else."""

    name = "list"

    def __init__(self, urls: list[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls
        self.pages: list[dict[str, Any]] = []
        self.failures: list[dict[str, Any]] = []
        self.t_open = 0.0
        self.cpu_open = 0.0
        self.t_last = 0.0

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> ListSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        return spider

    def _opened(self) -> None:
        self.t_open = time.monotonic()
        self.cpu_open = time.process_time()

    async def start(self):  # type: ignore[no-untyped-def]
        for url in self.urls:
            yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True)

    def parse(self, response: scrapy.http.Response) -> None:
        self.t_last = time.monotonic()
        self.pages.append(
            {"url": response.url, "status": response.status, "len": len(response.body),
             "redirects": response.meta.get("redirect_urls", []), "flags": response.flags,
             "body_head": response.body[:200].decode("latin-1")}
        )

    def failed(self, failure: Any) -> None:
        self.t_last = time.monotonic()
        self.failures.append(
            {"url": failure.request.url, "type": type(failure.value).__name__, "error": str(failure.value)[:500]}
        )


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except json.JSONDecodeError:
        return raw


def _peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). ru_maxrss is not used: Linux carries it across fork and
    execve, so a crawler started from a big parent (a pytest run with spaCy loaded) inherits its peak."""
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("VmHWM missing from /proc/self/status")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", action="append", default=[], help="URL, may contain {i}")
    parser.add_argument("--count", type=int, default=1, help="how many {i} values (0..count-1)")
    parser.add_argument("--handler", choices=["socks", "default"], default="socks")
    parser.add_argument("--proxy", action="append", default=[], help="socks5h:// URL (repeatable)")
    parser.add_argument("--direct", action="store_true", help="socks handler with NARCOWATCH_TRANSPORT=direct")
    parser.add_argument("--project-settings", action="store_true", help="start from crawler.settings")
    parser.add_argument("--set", action="append", default=[], help="SETTING=VALUE (JSON or string)")
    parser.add_argument("--report", required=True)
    args = parser.parse_args(argv)
    _raise_nofile()

    urls: list[str] = []
    for template in args.url:
        if "{i}" in template:
            urls.extend(template.format(i=i) for i in range(args.count))
        else:
            urls.append(template)

    settings: dict[str, Any] = {}
    if args.project_settings:
        # The project's own settings as they are (safety pins included); only items are not processed.
        import crawler.settings as project

        settings.update({k: getattr(project, k) for k in dir(project) if k.isupper()})
        settings["ITEM_PIPELINES"] = {}
        settings["LOG_LEVEL"] = "INFO"
        if args.proxy:
            settings["NARCOWATCH_TOR_PROXIES"] = args.proxy
    else:
        settings.update({
            "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
            "TELNETCONSOLE_ENABLED": False,
            "REMOTE_CONTROL_ENABLED": False,
            "LOG_LEVEL": "WARNING",
            "ROBOTSTXT_OBEY": False,
            "COOKIES_ENABLED": False,
            "RETRY_ENABLED": True,
        })
    if args.project_settings:
        pass
    elif args.handler == "socks":
        settings["DOWNLOAD_HANDLERS"] = {
            "http": "crawler.handlers.socks.SocksDownloadHandler",
            "https": "crawler.handlers.socks.SocksDownloadHandler",
        }
        settings["NARCOWATCH_TRANSPORT"] = "direct" if args.direct else "tor"
        settings["NARCOWATCH_TOR_PROXIES"] = args.proxy
        settings.setdefault("DOWNLOADER_MIDDLEWARES", {})
        settings["DOWNLOADER_MIDDLEWARES"] = {
            **settings["DOWNLOADER_MIDDLEWARES"],
            "crawler.middlewares.onion_redirect.OnionRedirectGuardMiddleware": 610,
        }
    else:
        settings["DOWNLOAD_HANDLERS"] = {}
    for item in args.set:
        key, _, value = item.partition("=")
        settings[key] = _parse_value(value)

    process = AsyncCrawlerProcess(settings)
    crawler = process.create_crawler(ListSpider)
    process.crawl(crawler, urls=urls)
    process.start()
    spider: ListSpider = crawler.spider  # type: ignore[assignment]
    stats = {k: (v if isinstance(v, (int, float, str)) else str(v)) for k, v in crawler.stats.get_stats().items()}
    report = {
        "pages": spider.pages,
        "failures": spider.failures,
        "stats": stats,
        "elapsed": (spider.t_last - spider.t_open) if spider.t_last else 0.0,
        "cpu": time.process_time() - spider.cpu_open,
        "maxrss_mb": _peak_rss_mb(),
    }
    with open(args.report, "w", encoding="utf-8") as fh:
        json.dump(report, fh)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
