"""Market adapters: data files (config/adapters/<name>.toml) naming the selectors of one market."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parsel import Selector, SelectorList

from crawler.spiders._text import clean_line, html_to_text

FOLLOW_KEYS = ("categories", "listings", "next_page", "vendor", "vendor_listings")
LISTING_FIELDS = ("title", "price", "vendor", "vendor_url", "category", "ships_from", "ships_to", "description")
VENDOR_FIELDS = ("name", "rating", "sales", "joined", "description")


class AdapterError(ValueError):
    """A missing or malformed adapter file; the message names the file and the problem."""


def adapters_dir() -> Path:
    """``$NARCOWATCH_CONFIG_DIR/adapters`` or the repository's ``config/adapters``."""
    base = os.environ.get("NARCOWATCH_CONFIG_DIR")
    root = Path(base) if base else Path(__file__).resolve().parents[2] / "config"
    return root / "adapters"


@dataclass(frozen=True)
class PageSpec:
    """Fields of one page type (listing or vendor) with their selectors."""

    fields: dict[str, str]
    required: tuple[str, ...]
    multiline: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Adapter:
    """The parsed contents of an adapter file."""

    name: str
    market: str
    path: Path
    follow: dict[str, str] = field(default_factory=dict)
    listing: PageSpec = PageSpec({}, ())
    vendor: PageSpec = PageSpec({}, ())


def select(sel: Selector | SelectorList[Selector], query: str) -> SelectorList[Selector]:
    """Apply a CSS selector, or an XPath one written as ``xpath:...``."""
    if query.startswith("xpath:"):
        return sel.xpath(query[len("xpath:"):])
    return sel.css(query)


def extract(sel: Selector, query: str, multiline: bool = False, base_url: str | None = None) -> str | None:
    """Text for ``query`` on ``sel``: element matches become clean text, string matches are kept; None if nothing."""
    parts: list[str] = []
    for value in select(sel, query).getall():
        text = html_to_text(value, base_url, keep_links=multiline) if value.lstrip().startswith("<") else value
        text = text.strip() if multiline else clean_line(text)
        if text:
            parts.append(text)
    if not parts:
        return None
    return "\n".join(parts) if multiline else " ".join(parts)


def _check_selector(path: Path, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise AdapterError(f"{path}: {key} must be a non-empty selector string, got {value!r}")
    try:
        select(Selector(text="<html></html>"), value)
    except Exception as exc:  # parsel raises several types for bad CSS/XPath
        raise AdapterError(f"{path}: {key} = {value!r} is not a valid selector: {exc}") from exc
    return value


def _page_spec(path: Path, data: dict[str, Any], section: str, known: tuple[str, ...]) -> PageSpec:
    raw = data.get(section)
    if not isinstance(raw, dict):
        raise AdapterError(f"{path}: missing table [{section}]")
    fields_raw = raw.get("fields")
    if not isinstance(fields_raw, dict) or not fields_raw:
        raise AdapterError(f"{path}: missing table [{section}.fields]")
    fields: dict[str, str] = {}
    for key, value in fields_raw.items():
        if key not in known:
            raise AdapterError(f"{path}: [{section}.fields] has unknown key {key!r} (known: {', '.join(known)})")
        fields[key] = _check_selector(path, f"{section}.fields.{key}", value)
    required = raw.get("required", [])
    multiline = raw.get("multiline", [])
    for key, value in (("required", required), ("multiline", multiline)):
        if not isinstance(value, list) or any(v not in fields for v in value):
            raise AdapterError(f"{path}: {section}.{key} must list keys of [{section}.fields], got {value!r}")
    return PageSpec(fields, tuple(required), frozenset(multiline))


def load_adapter(name_or_path: str) -> Adapter:
    """Load and validate an adapter by name (a file in :func:`adapters_dir`) or by path to a .toml file."""
    path = Path(name_or_path)
    if path.suffix != ".toml":
        path = adapters_dir() / f"{name_or_path}.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise AdapterError(f"{path}: adapter file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise AdapterError(f"{path}: not valid TOML: {exc}") from exc
    name = data.get("name")
    if name != path.stem:
        raise AdapterError(f"{path}: name must be {path.stem!r} (the file name), got {name!r}")
    market = data.get("market")
    if not isinstance(market, str) or not market:
        raise AdapterError(f"{path}: market must be a non-empty string")
    follow_raw = data.get("follow")
    if not isinstance(follow_raw, dict):
        raise AdapterError(f"{path}: missing table [follow]")
    follow: dict[str, str] = {}
    for key, value in follow_raw.items():
        if key not in FOLLOW_KEYS:
            raise AdapterError(f"{path}: [follow] has unknown key {key!r} (known: {', '.join(FOLLOW_KEYS)})")
        follow[key] = _check_selector(path, f"follow.{key}", value)
    if "listings" not in follow:
        raise AdapterError(f"{path}: [follow] needs a 'listings' selector")
    return Adapter(
        name=name,
        market=market,
        path=path,
        follow=follow,
        listing=_page_spec(path, data, "listing", LISTING_FIELDS),
        vendor=_page_spec(path, data, "vendor", VENDOR_FIELDS),
    )
