"""HTML to clean text with link targets kept, for listing descriptions and message bodies."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from bs4 import BeautifulSoup, NavigableString

# Tags that end a line, and tags that end a paragraph (a blank line after them).
_LINE_TAGS = ("div", "li", "tr", "dt", "dd", "header", "footer", "section", "article", "form", "pre", "td", "th")
_PARA_TAGS = ("p", "ul", "ol", "table", "dl", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "hr")
_DROP_TAGS = ("script", "style", "noscript", "template", "svg", "head", "iframe", "object")
# Sentinels: a <br> (hard line break), a line end, a paragraph end. Source newlines are only spaces.
_BR, _LINE, _PARA = "\x1f", "\x1e", "\x1d"
_GAP = re.compile(r"[\s\u00a0\u200b\x1d\x1e\x1f]+")


def _gap(match: re.Match[str]) -> str:
    run = match.group(0)
    if match.start() == 0 or match.end() == len(match.string):
        return ""
    breaks = run.count(_BR)
    if _PARA in run:
        breaks = max(breaks, 2)
    elif _LINE in run:
        breaks = max(breaks, 1)
    return "\n" * min(breaks, 2) if breaks else " "


def _href_is_redundant(text: str, href: str) -> bool:
    """True when the link's visible text already says where it points."""
    if not text:
        return False
    bare = re.sub(r"^[a-z][a-z0-9+.-]*:(//)?", "", href, flags=re.I).rstrip("/")
    low = text.lower()
    if bare.lower() in low or href.lower() in low:
        return True
    if text.startswith("@") and bare.lower().startswith(("t.me/", "telegram.me/")):
        return bare.split("/", 1)[1].lower() == text[1:].lower()
    return False


def html_to_text(markup: str, base_url: str | None = None, keep_links: bool = True) -> str:
    """Visible text of ``markup``: blocks and ``<br>`` become line breaks, whitespace is collapsed,
    scripts and styles are dropped, and each link keeps its target as ``text (url)`` unless the text
    already shows it (``@shop_bot`` for ``https://t.me/shop_bot``). Relative targets are resolved
    against ``base_url`` when given; ``javascript:`` and in-page targets are dropped. With
    ``keep_links=False`` only the link text is kept.
    """
    if not markup or not markup.strip():
        return ""
    soup = BeautifulSoup(markup, "lxml")
    for tag in soup.find_all(_DROP_TAGS):
        tag.decompose()
    for br in soup.find_all("br"):
        br.replace_with(NavigableString(_BR))
    for a in soup.find_all("a"):
        text = a.get_text(" ", strip=True)
        href = str(a.get("href") or "").strip()
        if href.lower().startswith(("javascript:", "#", "data:")):
            href = ""
        if href and base_url:
            href = urljoin(base_url, href)
        if keep_links and href and not _href_is_redundant(text, href):
            a.replace_with(NavigableString(f"{text} ({href})" if text else href))
        else:
            a.replace_with(NavigableString(text))
    for li in soup.find_all("li"):
        li.insert(0, NavigableString("• "))
    for tag in soup.find_all(_LINE_TAGS + _PARA_TAGS):
        mark = _PARA if tag.name in _PARA_TAGS else _LINE
        tag.insert_before(NavigableString(mark))
        tag.insert_after(NavigableString(mark))
    return _GAP.sub(_gap, soup.get_text())


def clean_line(text: str) -> str:
    """Collapse all whitespace (including line breaks) into single spaces."""
    return " ".join(text.split())
