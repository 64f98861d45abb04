"""The embedded store: SQLite in WAL mode with an FTS5 index over text and Russian/English lemmas.

Case and diacritics are folded by FTS5's ``unicode61 remove_diacritics 2`` tokenizer. Inflected
Russian forms find each other because every document is indexed a second time as lemmas (the
``lemmas`` column) and every query word is matched both as typed (prefix) and as its lemma.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from store.base import SearchHit, SearchQuery, UpsertResult, item_content_hash

logger = logging.getLogger(__name__)

# Each entry migrates the schema from version i to i + 1. Never edit a released entry: append.
_MIGRATIONS: list[str] = [
    """
    CREATE TABLE items (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        source TEXT NOT NULL,
        url TEXT NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        body TEXT NOT NULL DEFAULT '',
        lang TEXT,
        category TEXT,
        data TEXT NOT NULL,
        content_hash TEXT NOT NULL,
        first_seen TEXT NOT NULL,
        last_seen TEXT NOT NULL,
        fetched_at TEXT,
        revisions INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX items_kind_source ON items(kind, source);
    CREATE INDEX items_fetched ON items(fetched_at);
    CREATE TABLE item_drugs (
        item_id TEXT NOT NULL REFERENCES items(id) ON DELETE CASCADE,
        substance TEXT NOT NULL,
        class TEXT,
        PRIMARY KEY (item_id, substance)
    );
    CREATE INDEX item_drugs_substance ON item_drugs(substance);
    CREATE VIRTUAL TABLE items_fts USING fts5(
        title, body, lemmas, tokenize = 'unicode61 remove_diacritics 2'
    );
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY,
        watchlist TEXT NOT NULL,
        rule TEXT NOT NULL,
        item_id TEXT NOT NULL,
        reason TEXT NOT NULL,
        created_at TEXT NOT NULL,
        UNIQUE (watchlist, rule, item_id)
    );
    CREATE TABLE crawl_runs (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        spider TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        finish_reason TEXT,
        stats TEXT
    );
    """,
]

SCHEMA_VERSION = len(_MIGRATIONS)


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def _title_of(item: dict[str, Any]) -> str:
    return str(item.get("title") or item.get("name") or "")


def _body_of(item: dict[str, Any]) -> str:
    parts = [item.get("description") or item.get("text") or ""]
    for key in ("vendor", "category", "channel", "ships_from", "ships_to"):
        if item.get(key):
            parts.append(str(item[key]))
    return "\n".join(p for p in parts if p)


def _entity_terms(nlp: dict[str, Any] | None) -> list[str]:
    """Canonical names the extractor found, so that "mephedrone" also finds a post that says "меф"."""
    if not nlp:
        return []
    terms: list[str] = []
    for drug in nlp.get("drugs") or []:
        terms.append(str(drug.get("substance", "")))
    for place in nlp.get("places") or []:
        terms.append(str(place.get("name", "")))
    for pre in nlp.get("precursors") or []:
        terms.append(str(pre.get("name", "")))
    return [t for t in terms if t]


def _fts_query(text: str) -> str:
    """Turn user words into an FTS5 expression: each word as typed (prefix) or as its lemma, all ANDed."""
    from nlp.lemmas import lemma, words

    clauses = []
    for word in words(text):
        low = word.lower()
        lem = lemma(word)
        clauses.append(f'({{title body lemmas}} : "{low}"* OR lemmas : "{lem}")')
    return " AND ".join(clauses)


class StoreError(RuntimeError):
    pass


class SqliteStore:
    """SQLite store; safe to share between threads of one process (one connection, one lock)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        except sqlite3.Error as exc:
            raise StoreError(f"{self.path}: cannot open store: {exc}") from exc
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA foreign_keys=ON")
        self._db.execute("PRAGMA busy_timeout=10000")
        self._migrate()

    # -- schema -----------------------------------------------------------------------------
    def _migrate(self) -> None:
        with self._tx() as db:
            db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = db.execute("SELECT version FROM schema_version").fetchone()
            current = row[0] if row else 0
            if row is None:
                db.execute("INSERT INTO schema_version (version) VALUES (0)")
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path}: store schema version {current} is newer than this Narcowatch "
                    f"understands ({SCHEMA_VERSION}); upgrade Narcowatch"
                )
            for version in range(current, SCHEMA_VERSION):
                logger.info("Migrating store %s to schema version %d", self.path, version + 1)
                for statement in _MIGRATIONS[version].split(";"):
                    if statement.strip():
                        db.execute(statement)
                db.execute("UPDATE schema_version SET version = ?", (version + 1,))

    def schema_version(self) -> int:
        return int(self._db.execute("SELECT version FROM schema_version").fetchone()[0])

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # -- items ------------------------------------------------------------------------------
    def content_hash(self, item_id: str) -> str | None:
        with self._lock:
            row = self._db.execute("SELECT content_hash FROM items WHERE id = ?", (item_id,)).fetchone()
        return row[0] if row else None

    def upsert(self, item: dict[str, Any]) -> UpsertResult:
        """Insert or update one item by id; unchanged content only refreshes last_seen."""
        from nlp.lemmas import lemmatize_text

        item_id = str(item["id"])
        digest = item_content_hash(item)
        now = _now()
        nlp = item.get("nlp") or None
        with self._tx() as db:
            row = db.execute(
                "SELECT rowid, content_hash, data FROM items WHERE id = ?", (item_id,)
            ).fetchone()
            if row is not None and row["content_hash"] == digest:
                if nlp is None:
                    # keep the enrichment of the stored revision
                    nlp = json.loads(row["data"]).get("nlp")
                stored = dict(item, nlp=nlp)
                db.execute(
                    "UPDATE items SET last_seen = ?, fetched_at = ?, data = ? WHERE id = ?",
                    (now, item.get("fetched_at"), json.dumps(stored, ensure_ascii=False), item_id),
                )
                return UpsertResult("unchanged", item_id)
            title, body = _title_of(item), _body_of(item)
            lang = (nlp or {}).get("lang")
            lemmas = lemmatize_text(f"{title}\n{body}", lang or "")
            lemmas = " ".join([lemmas, *_entity_terms(nlp)])
            payload = json.dumps(item, ensure_ascii=False)
            values = (
                str(item.get("kind", "item")),
                str(item.get("source", "")),
                str(item.get("url", "")),
                title,
                body,
                lang,
                (nlp or {}).get("category"),
                payload,
                digest,
                now,
                item.get("fetched_at"),
            )
            if row is None:
                cur = db.execute(
                    "INSERT INTO items (kind, source, url, title, body, lang, category, data, content_hash,"
                    " last_seen, fetched_at, first_seen, id) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (*values, now, item_id),
                )
                rowid = cur.lastrowid
                status = "new"
            else:
                rowid = row["rowid"]
                db.execute(
                    "UPDATE items SET kind=?, source=?, url=?, title=?, body=?, lang=?, category=?, data=?,"
                    " content_hash=?, last_seen=?, fetched_at=?, revisions = revisions + 1 WHERE id = ?",
                    (*values, item_id),
                )
                db.execute("DELETE FROM items_fts WHERE rowid = ?", (rowid,))
                db.execute("DELETE FROM item_drugs WHERE item_id = ?", (item_id,))
                status = "changed"
            db.execute(
                "INSERT INTO items_fts (rowid, title, body, lemmas) VALUES (?, ?, ?, ?)",
                (rowid, title, body, lemmas),
            )
            for drug in (nlp or {}).get("drugs") or []:
                db.execute(
                    "INSERT OR IGNORE INTO item_drugs (item_id, substance, class) VALUES (?, ?, ?)",
                    (item_id, drug.get("substance"), drug.get("class")),
                )
        return UpsertResult(status, item_id)

    def get(self, item_id: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM items WHERE id = ?", (item_id,)).fetchone()
        return json.loads(row[0]) if row else None

    def count(self, kind: str | None = None, source: str | None = None) -> int:
        sql, args = "SELECT COUNT(*) FROM items WHERE 1=1", []
        if kind:
            sql += " AND kind = ?"
            args.append(kind)
        if source:
            sql += " AND source = ?"
            args.append(source)
        with self._lock:
            return int(self._db.execute(sql, args).fetchone()[0])

    def counts_by_kind(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT kind, COUNT(*) FROM items GROUP BY kind").fetchall()
        return {r[0]: r[1] for r in rows}

    def top_substances(self, limit: int = 10) -> list[tuple[str, str | None, int]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT substance, MAX(class), COUNT(*) AS n FROM item_drugs GROUP BY substance"
                " ORDER BY n DESC, substance LIMIT ?",
                (limit,),
            ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    # -- search -----------------------------------------------------------------------------
    def search(self, query: SearchQuery) -> list[SearchHit]:
        where: list[str] = []
        args: list[Any] = []
        if query.text.strip():
            expr = _fts_query(query.text)
            if not expr:
                return []
            select = (
                "SELECT i.*, bm25(items_fts, 5.0, 1.0, 1.0) AS score,"
                " snippet(items_fts, 1, '[', ']', '…', 16) AS snip"
                " FROM items_fts JOIN items i ON i.rowid = items_fts.rowid"
            )
            where.append("items_fts MATCH ?")
            args.append(expr)
            order = "score"
        else:
            select = "SELECT i.*, 0.0 AS score, substr(i.body, 1, 160) AS snip FROM items i"
            order = "i.last_seen DESC"
        for column, values in (
            ("i.kind", query.kinds),
            ("i.source", query.sources),
            ("i.category", query.categories),
            ("i.lang", query.langs),
        ):
            if values:
                where.append(f"{column} IN ({','.join('?' * len(values))})")
                args.extend(values)
        if query.substances:
            marks = ",".join("?" * len(query.substances))
            where.append(f"i.id IN (SELECT item_id FROM item_drugs WHERE substance IN ({marks}))")
            args.extend(s.lower() for s in query.substances)
        if query.since:
            where.append("i.fetched_at >= ?")
            args.append(query.since)
        sql = select + (" WHERE " + " AND ".join(where) if where else "")
        sql += f" ORDER BY {order} LIMIT ? OFFSET ?"
        args.extend([query.limit, query.offset])
        with self._lock:
            try:
                rows = self._db.execute(sql, args).fetchall()
            except sqlite3.OperationalError as exc:
                raise StoreError(f"search failed for {query.text!r}: {exc}") from exc
        hits = []
        for row in rows:
            data = json.loads(row["data"])
            drugs = sorted({d.get("substance", "") for d in (data.get("nlp") or {}).get("drugs") or []})
            hits.append(
                SearchHit(
                    id=row["id"],
                    kind=row["kind"],
                    source=row["source"],
                    url=row["url"],
                    title=row["title"],
                    snippet=row["snip"] or "",
                    score=-float(row["score"]),
                    lang=row["lang"],
                    category=row["category"],
                    drugs=[d for d in drugs if d],
                    fetched_at=row["fetched_at"],
                    data=data,
                )
            )
        return hits

    # -- alerts and runs --------------------------------------------------------------------
    def add_alert(self, watchlist: str, rule: str, item_id: str, reason: str) -> bool:
        """Record an alert once per (watchlist, rule, item); True when it is new."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO alerts (watchlist, rule, item_id, reason, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (watchlist, rule, item_id, reason, _now()),
            )
            return cur.rowcount == 1

    def alerts(self, limit: int = 100) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT a.*, i.title, i.url FROM alerts a LEFT JOIN items i ON i.id = a.item_id"
                " ORDER BY a.id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [dict(r) for r in rows]

    def alert_counts(self) -> list[tuple[str, str, int]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT watchlist, rule, COUNT(*) FROM alerts GROUP BY watchlist, rule ORDER BY 3 DESC"
            ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    def record_run(self, source: str, spider: str, started_at: str, finish_reason: str,
                   stats: dict[str, Any]) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO crawl_runs (source, spider, started_at, finished_at, finish_reason, stats)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (source, spider, started_at, _now(), finish_reason, json.dumps(stats, default=str)),
            )

    def close(self) -> None:
        with self._lock:
            self._db.close()


def open_store(path: str | Path) -> SqliteStore:
    return SqliteStore(path)
