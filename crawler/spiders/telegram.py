"""TelegramSpider: a public channel's web preview (``https://t.me/s/<channel>``), newest page first.

Pages are followed through the ``a.tme_messages_more[data-before]`` anchor until it is missing, its
``before`` does not move, ``max_pages`` is reached or a post at or below ``stop_before_id`` (the
high-water mark of an incremental run) is seen. Service messages are skipped. Media are recorded as
URLs only; nothing but the preview pages is downloaded.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from bs4 import BeautifulSoup, Tag
from scrapy.http import Response

from crawler.items import ChannelPost
from crawler.spiders._common import counted, inc, usable
from crawler.spiders._text import html_to_text

logger = logging.getLogger(__name__)

POSTS = "narcowatch/telegram/posts"
CANARY_EMPTY = "narcowatch/telegram/canary_empty"
CANARY_EMPTY_TEXT = "narcowatch/telegram/canary_empty_text"
NO_PREVIEW = "narcowatch/telegram/no_preview"
SERVICE = "narcowatch/telegram/service_messages"
BEFORE_STUCK = "narcowatch/telegram/before_stuck"

_BG_URL = re.compile(r"background-image\s*:\s*url\(\s*(['\"]?)(.*?)\1\s*\)", re.I)
_VIEWS = re.compile(r"^\s*([\d.,]+)\s*([KMkm]?)\s*$")


def parse_views(text: str | None) -> int | None:
    """"401" → 401, "1.2K" → 1200, "1.1M" → 1100000; None when absent or unreadable."""
    if not text:
        return None
    match = _VIEWS.match(text)
    if not match:
        return None
    number = float(match.group(1).replace(",", "."))
    scale = {"": 1, "k": 1_000, "m": 1_000_000}[match.group(2).lower()]
    return round(number * scale)


def _has_class(tag: Tag, name: str) -> bool:
    return name in (tag.get("class") or [])


def _inside(tag: Tag, classes: tuple[str, ...]) -> bool:
    return any(any(_has_class(p, c) for c in classes) for p in tag.parents if isinstance(p, Tag))


def _iso_utc(value: str | None) -> str | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def parse_message(message: Tag, base_url: str) -> dict[str, Any] | None:
    """Fields of one ``div.tgme_widget_message`` (None for a service message or one without an id)."""
    if _has_class(message, "service_message"):
        return None
    post = str(message.get("data-post") or "")
    channel, _, raw_id = post.rpartition("/")
    if not raw_id.isdigit():
        return None
    text_div = next(
        (
            div for div in message.select("div.tgme_widget_message_text")
            if not _has_class(div, "js-message_reply_text")
            and not _inside(div, ("tgme_widget_message_reply", "tgme_widget_message_link_preview"))
        ),
        None,
    )
    text = html_to_text(str(text_div), base_url) if text_div is not None else ""
    links: list[str] = []
    if text_div is not None:
        links += [str(a["href"]) for a in text_div.select("a[href]")]
    links += [str(a["href"]) for a in message.select("a.tgme_widget_message_link_preview[href]")]
    media: list[str] = []
    for wrap in message.select("a.tgme_widget_message_photo_wrap[style], i.tgme_widget_message_video_thumb[style]"):
        if _has_class(wrap, "tgme_widget_message_video_thumb"):
            continue
        found = _BG_URL.search(str(wrap["style"]))
        if found:
            media.append(found.group(2))
    media += [str(v["src"]) for v in message.select("video.tgme_widget_message_video[src]")]
    media += [str(a["src"]) for a in message.select("audio.tgme_widget_message_voice[src]")]
    date = message.select_one("a.tgme_widget_message_date")
    time = message.select_one("a.tgme_widget_message_date time[datetime]")
    meta = message.select_one("span.tgme_widget_message_meta")
    views = message.select_one("span.tgme_widget_message_views")
    forwarded = message.select_one(".tgme_widget_message_forwarded_from_name")
    forwarded_from = None
    if forwarded is not None:
        forwarded_from = str(forwarded.get("href") or "") or forwarded.get_text(" ", strip=True) or None
    return {
        "channel": channel,
        "post_id": int(raw_id),
        "url": str(date["href"]) if date is not None and date.get("href") else f"https://t.me/{post}",
        "text": text,
        "posted_at": _iso_utc(str(time["datetime"])) if time is not None else None,
        "views": parse_views(views.get_text(strip=True) if views is not None else None),
        "edited": meta is not None and "edited" in meta.get_text(" ", strip=True).lower(),
        "forwarded_from": forwarded_from,
        "links": [link for link in dict.fromkeys(_absolute(base_url, h) for h in links) if link],
        "media": [m for m in dict.fromkeys(_absolute(base_url, m) for m in media) if m],
    }


def _absolute(base_url: str, href: str) -> str:
    href = href.strip().replace("&amp;", "&")
    if href.startswith("//"):
        return "https:" + href
    if href.startswith(("http://", "https://", "tg://")):
        return href
    if href.startswith(("javascript:", "#")) or not href:
        return ""
    return urljoin(base_url, href)


class TelegramSpider(scrapy.Spider):
    """Crawl one public channel preview. Arguments (``-a`` on the command line):

    * ``source``: the source name stored on items (required);
    * ``start_url``: ``https://t.me/s/<channel>`` or a fixture's ``http://127.0.0.1:PORT/s/<channel>``;
    * ``max_pages``: at most this many preview pages (default: until the oldest post);
    * ``stop_before_id``: the last post id already stored; posts at or below it are skipped and paging stops.
    """

    name = "telegram"

    def __init__(self, source: str = "", start_url: str = "", max_pages: int | str | None = None,
                 stop_before_id: int | str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not source or not start_url:
            raise ValueError("TelegramSpider needs source and start_url arguments")
        path = urlsplit(start_url).path.rstrip("/").split("/")
        if len(path) < 3 or path[-2] != "s" or not path[-1]:
            raise ValueError(f"start_url must look like https://t.me/s/<channel>, got {start_url!r}")
        self.source = source
        self.start_url = start_url
        self.channel = path[-1]
        self.max_pages = int(max_pages) if max_pages not in (None, "") else None
        self.stop_before_id = int(stop_before_id) if stop_before_id not in (None, "") else None
        self.pages_seen = 0

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.start_url, callback=self.parse, meta={"before": None})

    def parse(self, response: Response, **kwargs: Any) -> Iterator[ChannelPost | scrapy.Request]:
        """One preview page: its posts (oldest first, as on the page) and the request for older posts."""
        page = usable(self, response)
        if page is None:
            return
        self.pages_seen += 1
        soup = BeautifulSoup(page.text, "lxml")
        history = soup.select_one("section.tgme_channel_history")
        if history is None or "/s/" not in urlsplit(response.url).path:
            inc(self, NO_PREVIEW)
            inc(self, CANARY_EMPTY)
            logger.warning("no channel preview at %s", response.url)
            return
        posts: list[ChannelPost] = []
        reached_mark = False
        for message in history.select("div.tgme_widget_message[data-post]"):
            fields = parse_message(message, response.url)
            if fields is None:
                inc(self, SERVICE)
                continue
            if self.stop_before_id is not None and fields["post_id"] <= self.stop_before_id:
                reached_mark = True
                continue
            channel = fields.pop("channel") or self.channel
            post_id = fields.pop("post_id")
            url = fields.pop("url")
            posts.append(ChannelPost.build(self.source, channel, post_id, url, **fields))
        if not posts and not reached_mark:
            inc(self, CANARY_EMPTY)
            logger.warning("canary: no posts on %s", response.url)
        elif posts and not any(p.text for p in posts):
            inc(self, CANARY_EMPTY_TEXT)
            logger.warning("canary: every post on %s has empty text", response.url)
        for post in posts:
            inc(self, POSTS)
            yield counted(self, post)
        if reached_mark:
            return
        yield from self._older(soup, response)

    def _older(self, soup: BeautifulSoup, response: Response) -> Iterator[scrapy.Request]:
        anchor = soup.select_one("a.tme_messages_more[data-before]")
        if anchor is None:
            return
        try:
            before = int(str(anchor["data-before"]))
        except ValueError:
            return
        previous = response.meta.get("before") if response.request is not None else None
        if previous is not None and before >= previous:
            inc(self, BEFORE_STUCK)
            logger.warning("before=%s did not move (was %s) on %s; stopping", before, previous, response.url)
            return
        if self.max_pages is not None and self.pages_seen >= self.max_pages:
            return
        href = str(anchor.get("href") or f"/s/{self.channel}?before={before}")
        yield scrapy.Request(response.urljoin(href), callback=self.parse, meta={"before": before})
