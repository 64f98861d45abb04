"""The extraction API used by the item pipeline and by ``narcowatch extract``.

``get_extractor()`` returns a process-wide :class:`Extractor` that loads the spaCy pipeline from
``nlp/pipeline.cfg`` once; ``Extractor.extract_batch(records)`` turns records
``{"id", "text", "title"?, "lang"?}`` into the extract JSON of DESIGN.md (plus ``delivery``).

Offsets: when a record has a non-empty ``title``, the analysed text is ``title + "\\n" + text`` and
every ``start``/``end`` indexes that combined string; without a title it is ``text`` itself.
Texts longer than :data:`MAX_CHARS` characters are cut to their first ``MAX_CHARS`` characters
before analysis (nothing past the cut is reported); this bounds time and memory per document.
"""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.util import load_model_from_config

from nlp.components import analysis  # importing it registers the narcowatch_* factories

logger = logging.getLogger(__name__)

PIPELINE_CFG = Path(__file__).parent / "pipeline.cfg"
MAX_CHARS = 100_000
BATCH_SIZE = 256
RESULT_KEYS = ("id", "lang", "category", "category_reasons", "drugs", "offers", "contacts", "places",
               "ships_from", "ships_to", "precursors", "delivery")


def combined_text(record: dict[str, Any]) -> str:
    """The text a record is analysed as: ``title + "\\n" + text`` (or just ``text``), capped."""
    text = record.get("text") or ""
    title = record.get("title") or ""
    if not isinstance(text, str):
        text = str(text)
    if not isinstance(title, str):
        title = str(title)
    full = f"{title}\n{text}" if title else text
    return full[:MAX_CHARS]


def load_pipeline(config_path: Path = PIPELINE_CFG) -> Language:
    """Build and initialise the pipeline defined in ``config_path`` (no model downloads)."""
    config = spacy.util.load_config(config_path)
    pipeline = load_model_from_config(config, auto_fill=True, validate=True)
    # spaCy's logger has its own stderr handler; its "Created vocabulary" chatter would cut through the
    # crawl progress bars and the JSON-lines output of `narcowatch extract` pipelines.
    spacy_logger = logging.getLogger("spacy")
    level = spacy_logger.level
    spacy_logger.setLevel(logging.WARNING)
    try:
        pipeline.initialize()
    finally:
        spacy_logger.setLevel(level)
    return pipeline


class Extractor:
    """Runs the pipeline over batches of records; thread-safe for concurrent callers."""

    def __init__(self, pipeline: Language | None = None, batch_size: int = BATCH_SIZE) -> None:
        self.nlp = pipeline if pipeline is not None else load_pipeline()
        self.batch_size = batch_size
        self._lock = threading.Lock()

    def extract(self, record: dict[str, Any]) -> dict[str, Any]:
        """The extract JSON of one record."""
        return self.extract_batch([record])[0]

    def extract_batch(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """The extract JSON of each record, in the same order (see the module docstring for offsets)."""
        out: list[dict[str, Any]] = []
        with self._lock:
            # Docs are made, analysed and turned into result dicts one batch at a time, so a large
            # call never holds thousands of live Docs. The cyclic garbage collector is paused while a
            # batch runs: the batch's docs and results are young objects that every gen-0/1 collection
            # would re-walk (~190 collections, 4-5 % of the time per post), and extraction makes no
            # cyclic garbage. It runs again between batches, so a long call never leaves it off for long.
            for start in range(0, len(records), self.batch_size):
                chunk = records[start : start + self.batch_size]
                paused = gc.isenabled()
                gc.disable()
                try:
                    processed = self.nlp.pipe(self._make_docs(chunk), batch_size=self.batch_size)
                    out.extend(_result(record, doc) for record, doc in zip(chunk, processed, strict=True))
                finally:
                    if paused:
                        gc.enable()
        return out

    def _make_docs(self, records: list[dict[str, Any]]) -> Iterator[Any]:
        for record in records:
            text = combined_text(record)
            doc = self.nlp.make_doc(text)
            found = analysis(doc)
            found.text = text
            lang = record.get("lang")
            found.lang_hint = lang if isinstance(lang, str) and lang else None
            yield doc


def _result(record: dict[str, Any], doc: Any) -> dict[str, Any]:
    found = analysis(doc)
    return {
        "id": record.get("id"),
        "lang": found.lang or "und",
        "category": found.category or "other",
        "category_reasons": list(found.category_reasons or []),
        "drugs": list(found.drugs or []),
        "offers": list(found.offers or []),
        "contacts": list(found.contacts or []),
        "places": list(found.places or []),
        "ships_from": list(found.ships_from or []),
        "ships_to": list(found.ships_to or []),
        "precursors": list(found.precursors or []),
        "delivery": list(found.delivery or []),
    }


_EXTRACTOR: Extractor | None = None
_EXTRACTOR_LOCK = threading.Lock()


def get_extractor() -> Extractor:
    """The process-wide extractor; the spaCy pipeline is loaded on the first call only.

    After loading, ``gc.freeze()`` moves every object alive at that point (the pipeline, lexicons,
    gazetteer and regexes: over 100,000 long-lived objects) into the permanent generation, so the
    cyclic garbage collector no longer re-traverses them on every full collection during extraction
    (about 7 % of the time per post). They are never freed anyway: the extractor lives as long as
    the process. Objects created later are collected as usual.
    """
    global _EXTRACTOR
    if _EXTRACTOR is None:
        with _EXTRACTOR_LOCK:
            if _EXTRACTOR is None:
                extractor = Extractor()
                extractor.extract_batch([{"id": "warm-up", "text": "warm-up"}])  # fill lazy lexicon caches
                gc.freeze()
                _EXTRACTOR = extractor
    return _EXTRACTOR
