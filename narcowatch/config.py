"""Source definitions (config/sources/*.toml): loading and validation with errors that name file and key."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from narcowatch.paths import config_dir
from nlp.validators.onion import validate_onion

SPIDERS = ("market", "telegram")
TRANSPORTS = ("tor", "direct")


class ConfigError(ValueError):
    """A configuration file is missing or wrong; the message names the file, the key and the problem."""


@dataclass(frozen=True)
class Source:
    name: str
    spider: str
    start_url: str
    transport: str = "tor"
    adapter: str | None = None
    max_pages: int | None = None
    allow_onion_to_clearnet: bool = False
    tor_proxies: tuple[str, ...] = ()
    schedule: str | None = None
    path: Path | None = field(default=None, compare=False)

    def spider_args(self) -> dict[str, Any]:
        args: dict[str, Any] = {"source": self.name, "start_url": self.start_url}
        if self.adapter:
            args["adapter"] = self.adapter
        if self.max_pages is not None:
            args["max_pages"] = self.max_pages
        return args

    def crawl_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "NARCOWATCH_TRANSPORT": self.transport,
            "NARCOWATCH_ALLOW_ONION_TO_CLEARNET": self.allow_onion_to_clearnet,
        }
        if self.tor_proxies:
            settings["NARCOWATCH_TOR_PROXIES"] = list(self.tor_proxies)
        return settings


_KNOWN_KEYS = {
    "name", "spider", "start_url", "transport", "adapter", "max_pages",
    "allow_onion_to_clearnet", "tor", "schedule", "description",
}


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a ConfigError that names the file."""
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: malformed TOML: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _expect(path: Path, data: dict[str, Any], key: str, kind: type | tuple[type, ...], required: bool) -> Any:
    if key not in data:
        if required:
            raise ConfigError(f"{path}: missing required key '{key}'")
        return None
    value = data[key]
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ConfigError(f"{path}: key '{key}' must be {names}, got {type(value).__name__} {value!r}")
    return value


def parse_source(path: Path, data: dict[str, Any], substitutions: dict[str, str] | None = None) -> Source:
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown key '{unknown[0]}' (known: {', '.join(sorted(_KNOWN_KEYS))})")
    spider = _expect(path, data, "spider", str, True)
    if spider not in SPIDERS:
        raise ConfigError(f"{path}: key 'spider' must be one of {', '.join(SPIDERS)}, got {spider!r}")
    start_url = _expect(path, data, "start_url", str, True)
    if substitutions:
        try:
            start_url = start_url.format(**substitutions)
        except KeyError as exc:
            raise ConfigError(f"{path}: key 'start_url' uses unknown placeholder {exc}") from None
    if not start_url.startswith(("http://", "https://")):
        raise ConfigError(f"{path}: key 'start_url' must be an http(s) URL, got {start_url!r}")
    host = (urlsplit(start_url).hostname or "").lower()
    if host.endswith(".onion"):
        check = validate_onion(host)
        if not check.valid:
            raise ConfigError(f"{path}: key 'start_url' has an unusable onion address {host!r}: {check.reason}")
    transport = _expect(path, data, "transport", str, False) or "tor"
    if transport not in TRANSPORTS:
        raise ConfigError(f"{path}: key 'transport' must be one of {', '.join(TRANSPORTS)}, got {transport!r}")
    max_pages = _expect(path, data, "max_pages", int, False)
    if max_pages is not None and max_pages < 1:
        raise ConfigError(f"{path}: key 'max_pages' must be at least 1, got {max_pages}")
    tor = _expect(path, data, "tor", dict, False) or {}
    proxies = tor.get("proxies", [])
    if not isinstance(proxies, list) or not all(isinstance(p, str) for p in proxies):
        raise ConfigError(f"{path}: key 'tor.proxies' must be a list of socks5h:// URLs")
    for proxy in proxies:
        if not proxy.startswith("socks5h://"):
            raise ConfigError(
                f"{path}: key 'tor.proxies' entry {proxy!r} must use socks5h:// (remote DNS); other schemes leak"
            )
    return Source(
        name=_expect(path, data, "name", str, False) or path.stem,
        spider=spider,
        start_url=start_url,
        transport=transport,
        adapter=_expect(path, data, "adapter", str, False),
        max_pages=max_pages,
        allow_onion_to_clearnet=bool(_expect(path, data, "allow_onion_to_clearnet", bool, False)),
        tor_proxies=tuple(proxies),
        schedule=_expect(path, data, "schedule", str, False),
        path=path,
    )


def load_source_file(path: Path, substitutions: dict[str, str] | None = None) -> Source:
    return parse_source(path, read_toml(path), substitutions)


def load_sources(directory: Path | None = None) -> dict[str, Source]:
    """All sources in a directory of TOML files, keyed by name; duplicate names are an error."""
    directory = directory or (config_dir() / "sources")
    if not directory.is_dir():
        raise ConfigError(f"{directory}: sources directory not found")
    sources: dict[str, Source] = {}
    for path in sorted(directory.glob("*.toml")):
        source = load_source_file(path)
        if source.name in sources:
            raise ConfigError(f"{path}: source name {source.name!r} is already defined in {sources[source.name].path}")
        sources[source.name] = source
    return sources


def find_source(name_or_path: str, directory: Path | None = None) -> Source:
    """A source by name from the sources directory, or from an explicit TOML path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        return load_source_file(candidate)
    sources = load_sources(directory)
    if name_or_path not in sources:
        known = ", ".join(sorted(sources)) or "none"
        raise ConfigError(f"unknown source {name_or_path!r} (configured: {known})")
    return sources[name_or_path]
