"""The one reader of the tab-separated data files in ``nlp/data`` (lexicons, gazetteer, tables)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["read_tsv"]


def read_tsv(path: Path, header: bool = False) -> list[list[str]]:
    """The rows of ``path`` split on tabs, without blank lines and ``#`` comment lines (the provenance
    line among them); ``header``: the first remaining line names the columns and is dropped too."""
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]
    return rows[1:] if header else rows
