"""Watchlist files (config/watchlists/*.toml) and the evaluator that matches items against their rules.

A rule matches when every condition it sets holds; a list-valued condition holds when any of its
values is present. Conditions read the item's NLP enrichment (``item["nlp"]``) and its own fields.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from narcowatch.config import ConfigError, read_toml

_LIST_CONDITIONS = (
    "substances", "classes", "categories", "countries", "contact_types", "keywords", "sources", "kinds",
)
_RULE_KEYS = {"id", "description", "nps", "min_usd_per_gram", "max_usd_per_gram", *_LIST_CONDITIONS}


@dataclass(frozen=True)
class Rule:
    id: str
    description: str = ""
    substances: frozenset[str] = frozenset()
    classes: frozenset[str] = frozenset()
    categories: frozenset[str] = frozenset()
    countries: frozenset[str] = frozenset()
    contact_types: frozenset[str] = frozenset()
    keywords: frozenset[str] = frozenset()  # compared as lemmas
    sources: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    nps: bool | None = None
    min_usd_per_gram: float | None = None
    max_usd_per_gram: float | None = None

    def match(self, item: dict[str, Any], lemmas: frozenset[str]) -> str | None:
        """A human-readable reason when the item matches, else None."""
        nlp = item.get("nlp") or {}
        reasons: list[str] = []
        drugs = nlp.get("drugs") or []

        def need(values: frozenset[str], present: set[str], label: str) -> bool:
            if not values:
                return True
            hit = sorted(values & present)
            if hit:
                reasons.append(f"{label}: {', '.join(hit)}")
                return True
            return False

        places = {p.get("country", "") for p in nlp.get("places") or []}
        places |= set(nlp.get("ships_from") or [])
        checks = (
            need(self.substances, {d.get("substance", "") for d in drugs}, "substance"),
            need(self.classes, {d.get("class", "") for d in drugs}, "class"),
            need(self.categories, {nlp.get("category") or ""}, "category"),
            need(self.countries, places, "country"),
            need(self.contact_types, {c.get("type", "") for c in nlp.get("contacts") or []}, "contact"),
            need(self.keywords, set(lemmas), "keyword"),
            need(self.sources, {item.get("source", "")}, "source"),
            need(self.kinds, {item.get("kind", "")}, "kind"),
        )
        if not all(checks):
            return None
        if self.nps is not None:
            if not any(bool(d.get("nps")) == self.nps for d in drugs):
                return None
            reasons.append("nps" if self.nps else "not nps")
        if self.min_usd_per_gram is not None or self.max_usd_per_gram is not None:
            low = self.min_usd_per_gram if self.min_usd_per_gram is not None else float("-inf")
            high = self.max_usd_per_gram if self.max_usd_per_gram is not None else float("inf")
            prices = [o["usd_per_gram"] for o in nlp.get("offers") or [] if o.get("usd_per_gram") is not None]
            hits = [p for p in prices if low <= p <= high]
            if not hits:
                return None
            reasons.append(f"usd/g: {min(hits):.2f}")
        return "; ".join(reasons) or "matched"


@dataclass(frozen=True)
class Watchlist:
    name: str
    rules: tuple[Rule, ...]
    description: str = ""
    path: Path | None = None

    def evaluate(self, item: dict[str, Any]) -> list[tuple[Rule, str]]:
        lemmas = _item_lemmas(item) if any(r.keywords for r in self.rules) else frozenset()
        hits = []
        for rule in self.rules:
            reason = rule.match(item, lemmas)
            if reason is not None:
                hits.append((rule, reason))
        return hits


def _item_lemmas(item: dict[str, Any]) -> frozenset[str]:
    from nlp.lemmas import lemmatize_text

    text = " ".join(str(item.get(k) or "") for k in ("title", "name", "description", "text"))
    return frozenset(lemmatize_text(text).split())


def _strings(path: Path, rule_id: str, key: str, value: Any, lower: bool) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{path}: rule '{rule_id}' key '{key}' must be a list of strings")
    if key == "keywords":
        from nlp.lemmas import lemma

        return frozenset(lemma(v) for v in value)
    return frozenset(v.lower() if lower else v for v in value)


def load_watchlist(path: Path) -> Watchlist:
    data = read_toml(path)
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ConfigError(f"{path}: key 'rules' must be a non-empty array of tables ([[rules]])")
    rules: list[Rule] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_rules):
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}: rules[{index}] must be a table")
        rule_id = raw.get("id")
        if not isinstance(rule_id, str) or not rule_id:
            raise ConfigError(f"{path}: rules[{index}] is missing key 'id'")
        if rule_id in seen:
            raise ConfigError(f"{path}: rule id '{rule_id}' is used twice")
        seen.add(rule_id)
        unknown = sorted(set(raw) - _RULE_KEYS)
        if unknown:
            raise ConfigError(f"{path}: rule '{rule_id}' has unknown key '{unknown[0]}'")
        kwargs: dict[str, Any] = {"id": rule_id, "description": str(raw.get("description", ""))}
        for key in _LIST_CONDITIONS:
            if key in raw:
                upper = key == "countries"
                values = _strings(path, rule_id, key, raw[key], lower=not upper and key != "sources")
                kwargs[key] = frozenset(v.upper() for v in values) if upper else values
        if "nps" in raw:
            if not isinstance(raw["nps"], bool):
                raise ConfigError(f"{path}: rule '{rule_id}' key 'nps' must be true or false")
            kwargs["nps"] = raw["nps"]
        for key in ("min_usd_per_gram", "max_usd_per_gram"):
            if key in raw:
                if not isinstance(raw[key], int | float) or isinstance(raw[key], bool):
                    raise ConfigError(f"{path}: rule '{rule_id}' key '{key}' must be a number")
                kwargs[key] = float(raw[key])
        rule = Rule(**kwargs)
        if not any(getattr(rule, k) for k in _LIST_CONDITIONS) and rule.nps is None and (
            rule.min_usd_per_gram is None and rule.max_usd_per_gram is None
        ):
            raise ConfigError(f"{path}: rule '{rule_id}' sets no condition and would match everything")
        rules.append(rule)
    name = data.get("name", path.stem)
    if not isinstance(name, str):
        raise ConfigError(f"{path}: key 'name' must be a string")
    return Watchlist(name=name, rules=tuple(rules), description=str(data.get("description", "")), path=path)


def load_watchlists(paths: list[Path]) -> list[Watchlist]:
    return [load_watchlist(p) for p in paths]
