"""One split of a post into space-separated chunks, shared by the components that read the same post.

``nlp.places`` and ``nlp.category`` both split every post into chunks and look each chunk up in a
cache of per-chunk records. :func:`space_split` remembers the last posts' ``text.split(" ")``, so the
second component gets the same list, and the same chunk string objects: a ``str`` keeps its hash once
computed, so the second component's dictionary lookups do not hash the chunks again.
:func:`whitespace_split` gives ``text.split()`` from that list when the two are equal.

The memo is keyed by the post text and holds the last ``_MEMO_SIZE + 1`` to ``2 * _MEMO_SIZE`` posts (two
generations: when the newer one is full it becomes the older one and the old one is dropped). Each component
runs over a whole pipeline batch before the next one, so the second component finds the last 33-64 posts of
its batch (all of a 64-post batch; the pipeline now runs 256-post batches). Short texts (the shipping
segments places scans, short posts: cheap to split) and huge ones are not kept. Keeping more costs the first
component in memory traffic (measured on the bench posts: 256 posts made places ~3 us a post slower, 64-128
~1 us, 32-64 < 0.5 us). With 256-post batches a memo holding a whole batch (two generations of 128) was
measured again: places 4-5 us a post slower, category no faster on the bench posts (the chunk strings it
would not hash again are out of the CPU caches by then), so the memo stays at two generations of 32.
"""

from __future__ import annotations

__all__ = ["space_split", "whitespace_split"]

_MEMO_SIZE = 32  # posts per generation (two of 128 for a whole 256-post batch: no net gain, see above)
_MIN_TEXT = 128  # shorter texts are split but not kept
_MAX_TEXT = 100_000  # longer texts are split but not kept
_memo: dict[str, list[str]] = {}
_older: dict[str, list[str]] = {}


def space_split(text: str) -> list[str]:
    """``text.split(" ")``, remembered for the last posts (callers must not change the list)."""
    chunks = _memo.get(text)
    if chunks is None:
        chunks = _older.get(text)
        if chunks is None:
            chunks = text.split(" ")
            if _MIN_TEXT <= len(text) <= _MAX_TEXT:
                _remember(text, chunks)
    return chunks


def _remember(text: str, chunks: list[str]) -> None:
    global _memo, _older
    if len(_memo) >= _MEMO_SIZE:
        _memo, _older = {}, _memo
    _memo[text] = chunks


def whitespace_split(text: str) -> list[str]:
    """``text.split()``: the remembered :func:`space_split` list when there is one and it is the same.

    They are the same when the only whitespace is the ASCII space (``str.isprintable``: every other
    character ``str.split`` splits on is a control character or a Unicode separator, which are not
    printable) and no chunk is empty (no leading, trailing or doubled space; not the empty text).
    """
    chunks = _memo.get(text)
    if chunks is None:
        chunks = _older.get(text)
    if chunks is not None and "" not in chunks and text.isprintable():
        return chunks
    return text.split()


def clear() -> None:
    """Forget every remembered split."""
    _memo.clear()
    _older.clear()
