"""Scrapy settings for Narcowatch crawls. Constants and environment reads only."""

from __future__ import annotations

import os

BOT_NAME = "narcowatch"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# Safety: nothing on the crawler host listens for commands.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False
# Empty: tldextract must never fetch the public-suffix list (see crawler/__init__.py).
TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS: list[str] = []

TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
ROBOTSTXT_OBEY = False
COOKIES_ENABLED = True
USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; rv:128.0) Gecko/20100101 Firefox/128.0"
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 8
DOWNLOAD_TIMEOUT = 60
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_TIMES = 2
# Pages with these statuses reach the spider so that it can count them.
HTTPERROR_ALLOWED_CODES = [404, 410]
MEDIA_ALLOW_REDIRECTS = False
LOG_LEVEL = os.environ.get("NARCOWATCH_LOG_LEVEL", "INFO")

ITEM_PIPELINES = {
    "pipelines.normalize.NormalizePipeline": 100,
    "pipelines.changes.ChangeDetectionPipeline": 200,
    "pipelines.enrich.NlpEnrichPipeline": 300,
    "pipelines.index.IndexPipeline": 500,
    "pipelines.alerts.AlertPipeline": 600,
}

# Where items are stored; overridden by the CLI from NARCOWATCH_HOME / --store.
NARCOWATCH_STORE = os.environ.get("NARCOWATCH_STORE", "")
NARCOWATCH_NLP_BATCH_SIZE = 64
NARCOWATCH_WATCHLISTS: list[str] = []
