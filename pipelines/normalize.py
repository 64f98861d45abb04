"""Normalise item text: Unicode NFC, no control characters, collapsed blank runs; drop items without id."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import fields, is_dataclass
from typing import Any

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200d\ufeff]")
_SPACES_RE = re.compile(r"[ \t\xa0]+")
_BLANK_LINES_RE = re.compile(r"\n\s*\n+")


def clean_text(value: str) -> str:
    value = unicodedata.normalize("NFC", value)
    value = _CONTROL_RE.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
    value = _SPACES_RE.sub(" ", value)
    value = _BLANK_LINES_RE.sub("\n\n", value)
    return "\n".join(line.strip() for line in value.split("\n")).strip()


class NormalizePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalizePipeline:
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        if not is_dataclass(item) or not getattr(item, "id", None):
            assert self.stats is not None
            self.stats.inc_value("narcowatch/normalize/dropped")
            raise DropItem(f"item without id: {item!r:.200}")
        for f in fields(item):
            value = getattr(item, f.name)
            if isinstance(value, str):
                setattr(item, f.name, clean_text(value))
        return item
