from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from store.base import SearchQuery, item_content_hash
from store.sqlite import SCHEMA_VERSION, SqliteStore, StoreError


def _listing(**overrides: object) -> dict[str, object]:
    item: dict[str, object] = {
        "id": "m:1", "kind": "listing", "source": "m", "url": "http://m.example/l/1",
        "title": "Мефедрон кристаллы в Бишкеке", "description": "Продаю 2 г мефедрона, 5000 руб. Закладки.",
        "vendor": "ChemKing", "price": 5000.0, "currency": "RUB", "fetched_at": "2026-11-27T10:00:00+00:00",
        "nlp": {"lang": "ru", "category": "sale",
                "drugs": [{"substance": "mephedrone", "class": "stimulant"}],
                "places": [{"name": "Bishkek", "country": "KG"}]},
    }
    item.update(overrides)
    return item


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    s = SqliteStore(tmp_path / "s.db")
    yield s
    s.close()


def test_wal_mode_and_schema_version(store: SqliteStore) -> None:
    assert store._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.schema_version() == SCHEMA_VERSION


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    SqliteStore(tmp_path / "s.db").close()
    db = sqlite3.connect(tmp_path / "s.db")
    db.execute("UPDATE schema_version SET version = 999")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer than"):
        SqliteStore(tmp_path / "s.db")


def test_upsert_is_idempotent_and_detects_changes(store: SqliteStore) -> None:
    assert store.upsert(_listing()).status == "new"
    assert store.upsert(_listing(fetched_at="2026-11-28T00:00:00+00:00")).status == "unchanged"
    assert store.upsert(_listing(price=4500.0)).status == "changed"
    assert store.count() == 1
    assert store.get("m:1")["price"] == 4500.0  # type: ignore[index]
    # the old text is gone from the index, the new one is there once
    assert len(store.search(SearchQuery(text="мефедрон"))) == 1


def test_unchanged_upsert_keeps_enrichment(store: SqliteStore) -> None:
    store.upsert(_listing())
    store.upsert(_listing(nlp=None))
    assert store.get("m:1")["nlp"]["category"] == "sale"  # type: ignore[index]


@pytest.mark.parametrize(
    "query",
    ["мефедрон", "мефедроном", "Бишкек", "бишкеку", "закладка", "КРИСТАЛЛ", "mephedrone", "bishkek"],
)
def test_search_finds_inflected_and_canonical_forms(store: SqliteStore, query: str) -> None:
    store.upsert(_listing())
    store.upsert(_listing(id="m:2", url="http://m.example/l/2", title="Cocaine 1g", description="Peru flake",
                          nlp={"lang": "en", "drugs": [{"substance": "cocaine", "class": "stimulant"}]}))
    hits = store.search(SearchQuery(text=query))
    assert [h.id for h in hits] == ["m:1"]


def test_search_folds_case_and_diacritics(store: SqliteStore) -> None:
    store.upsert(_listing(id="m:3", url="http://m.example/l/3", title="Ёлка Café", description="", nlp=None))
    assert [h.id for h in store.search(SearchQuery(text="елка cafe"))] == ["m:3"]


def test_search_filters(store: SqliteStore) -> None:
    store.upsert(_listing())
    store.upsert(_listing(id="t:1", kind="channel_post", source="t", url="http://t/1", title="",
                          text="меф в наличии", description=None, nlp={"lang": "ru", "drugs": []}))
    assert {h.id for h in store.search(SearchQuery(text="меф"))} == {"m:1", "t:1"}
    assert [h.id for h in store.search(SearchQuery(text="меф", kinds=("channel_post",)))] == ["t:1"]
    assert [h.id for h in store.search(SearchQuery(substances=("mephedrone",)))] == ["m:1"]
    assert store.search(SearchQuery(text="меф", sources=("nope",))) == []


def test_query_syntax_characters_are_not_fts_operators(store: SqliteStore) -> None:
    store.upsert(_listing())
    assert store.search(SearchQuery(text='"мефедрон" AND (OR * NEAR')) == []
    assert len(store.search(SearchQuery(text='мефедрон" *'))) == 1


def test_alerts_recorded_once(store: SqliteStore) -> None:
    store.upsert(_listing())
    assert store.add_alert("w", "r", "m:1", "substance: mephedrone") is True
    assert store.add_alert("w", "r", "m:1", "substance: mephedrone") is False
    assert store.alert_counts() == [("w", "r", 1)]


def test_content_hash_ignores_volatile_fields() -> None:
    a = _listing()
    b = _listing(fetched_at="2030-01-01T00:00:00+00:00", nlp=None, views=10, change="new")
    assert item_content_hash(a) == item_content_hash(b)
    assert item_content_hash(a) != item_content_hash(_listing(title="other"))
