"""``narcowatch extract`` and ``narcowatch eval``: JSON lines in, extract JSON / scores out."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from typing import IO, Any

import click

_CHUNK = 64


class _BadLine(click.ClickException):
    exit_code = 2


def _records(stream: IO[str], name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    from nlp.evaluate import EvalInputError, iter_jsonl

    try:
        for lineno, obj in iter_jsonl(stream, name):
            if not isinstance(obj.get("text", ""), str) or not isinstance(obj.get("title", "") or "", str):
                raise _BadLine(f"{name}: line {lineno}: 'text' and 'title' must be strings")
            yield lineno, obj
    except EvalInputError as exc:
        raise _BadLine(str(exc)) from exc


@click.command("extract")
@click.argument("file", type=click.File("r", encoding="utf-8"), required=False)
def extract_command(file: IO[str] | None) -> None:
    """Extract drugs, offers, contacts, places and the post class from JSON lines.

    Reads {"id", "text", "title"?, "lang"?} per line from FILE (stdin when omitted) and writes one
    JSON line per input, in the same order. Offsets index title + "\\n" + text when a title is given.
    """
    from nlp.api import get_extractor

    stream = file if file is not None else sys.stdin
    name = getattr(stream, "name", "<stdin>")
    extractor = get_extractor()
    show_progress = sys.stderr.isatty()
    out = sys.stdout
    done = 0
    chunk: list[dict[str, Any]] = []

    def flush() -> None:
        nonlocal done
        for result in extractor.extract_batch(chunk):
            out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
        done += len(chunk)
        chunk.clear()
        if show_progress:
            sys.stderr.write(f"\rextracted {done} records")
            sys.stderr.flush()

    try:
        for _, record in _records(stream, name):
            chunk.append(record)
            if len(chunk) >= _CHUNK:
                flush()
    except _BadLine:
        if chunk:  # everything before the bad line is still answered
            flush()
        raise
    if chunk:
        flush()
    if show_progress:
        sys.stderr.write("\n")


@click.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@click.option("--lang-hint", is_flag=True,
              help="Pass each item's labelled language to the extractor (default: it detects the language, "
                   "as it must on real posts, and language accuracy is scored).")
def eval_command(file: str, as_json: bool, lang_hint: bool) -> None:
    """Score the extractor on a labelled JSONL set: precision, recall and F1 per field."""
    from nlp.api import get_extractor
    from nlp.evaluate import EvalInputError, format_report, load_jsonl, score

    try:
        gold = load_jsonl(file)
    except EvalInputError as exc:
        raise _BadLine(str(exc)) from exc
    extractor = get_extractor()
    keys = ("id", "text", "title", "lang") if lang_hint else ("id", "text", "title")
    inputs: list[dict[str, Any]] = [{k: g[k] for k in keys if k in g} for g in gold]
    scores = score(gold, extractor.extract_batch(inputs))  # extract_batch batches by itself
    if as_json:
        click.echo(json.dumps(scores, ensure_ascii=False, indent=2))
    else:
        click.echo(format_report(scores))
