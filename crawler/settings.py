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

# --- Transport (crawler/handlers/socks.py): every http(s) request goes through Tor unless a source says
# "direct". Fail closed: no proxy configured or reachable means the request fails, never a direct fetch.
DOWNLOAD_HANDLERS = {
    "http": "crawler.handlers.socks.SocksDownloadHandler",
    "https": "crawler.handlers.socks.SocksDownloadHandler",
    # These would connect or read outside Tor: off.
    "ftp": None,
    "s3": None,
    "file": None,
}
NARCOWATCH_TRANSPORT = os.environ.get("NARCOWATCH_TRANSPORT", "tor")
NARCOWATCH_TOR_PROXIES: list[str] = [
    p.strip() for p in os.environ.get("NARCOWATCH_TOR_PROXIES", "socks5h://127.0.0.1:9050").split(",") if p.strip()
]
# Parallel to NARCOWATCH_TOR_PROXIES (empty entries allowed); used for NEWNYM only.
NARCOWATCH_TOR_CONTROL_PORTS: list[int | None] = [
    int(p) if p.strip() else None for p in os.environ.get("NARCOWATCH_TOR_CONTROL_PORTS", "").split(",")
] if os.environ.get("NARCOWATCH_TOR_CONTROL_PORTS") else []
NARCOWATCH_TOR_CONTROL_COOKIE = os.environ.get("NARCOWATCH_TOR_CONTROL_COOKIE", "")
NARCOWATCH_TOR_CONTROL_PASSWORD = os.environ.get("NARCOWATCH_TOR_CONTROL_PASSWORD", "")
NARCOWATCH_TOR_ISOLATE_SITES = True
NARCOWATCH_ALLOW_ONION_TO_CLEARNET = False
NARCOWATCH_TOR_CONNECT_TIMEOUT = 45
NARCOWATCH_TOR_MAX_SESSIONS = 256
NARCOWATCH_TOR_BLOCK_HTTP_CODES = [403, 429, 503]
NARCOWATCH_TOR_FAILURE_THRESHOLD = 5
NARCOWATCH_TOR_NEWNYM_MIN_INTERVAL = 30
NARCOWATCH_TOR_PROBE_INTERVAL = 5

DOWNLOADER_MIDDLEWARES = {
    # After RedirectMiddleware (600) so it sees a 3xx before it is followed.
    "crawler.middlewares.onion_redirect.OnionRedirectGuardMiddleware": 610,
}
