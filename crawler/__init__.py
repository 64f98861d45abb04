"""Scrapy project: settings, items, spiders, middlewares and download handlers."""

import os

# tldextract (used by Scrapy's cookie middleware) would otherwise download the public-suffix
# list directly, outside Tor, on first use. An empty list of URLs makes it use its bundled copy.
os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
