"""One split of a post into space-separated chunks, shared by the components that read the same post.

``nlp.places`` and ``nlp.category`` both split every post into chunks and look each chunk up in a
cache of per-chunk records. :func:`space_split` remembers the last few posts' ``text.split(" ")``, so
the second component gets the same list, and the same chunk string objects: a ``str`` keeps its hash
once computed, so the second component's dictionary lookups do not hash the chunks again.
:func:`whitespace_split` gives ``text.split()`` from that list when the two are equal.

The memo is keyed by the post text and bounded (``_MEMO_SIZE`` posts, oldest dropped first): it must
hold a batch of posts, since the pipeline runs each component over a whole batch before the next one.
"""

from __future__ import annotations

__all__ = ["space_split", "whitespace_split"]

_MEMO_SIZE = 256  # posts; the pipeline's batches hold 64
_MAX_TEXT = 100_000  # longer posts are split but not kept
_memo: dict[str, list[str]] = {}


def space_split(text: str) -> list[str]:
    """``text.split(" ")``, remembered for the last ``_MEMO_SIZE`` posts (callers must not change the list)."""
    chunks = _memo.get(text)
    if chunks is None:
        chunks = text.split(" ")
        if len(text) <= _MAX_TEXT:
            if len(_memo) >= _MEMO_SIZE:
                try:
                    del _memo[next(iter(_memo))]  # the oldest entry
                except (StopIteration, KeyError, RuntimeError):  # another thread got there first
                    pass
            _memo[text] = chunks
    return chunks


def whitespace_split(text: str) -> list[str]:
    """``text.split()``: the remembered :func:`space_split` list when there is one and it is the same.

    They are the same when the only whitespace is the ASCII space (``str.isprintable``: every other
    character ``str.split`` splits on is a control character or a Unicode separator, which are not
    printable) and no chunk is empty (no leading, trailing or doubled space; not the empty text).
    """
    chunks = _memo.get(text)
    if chunks is not None and "" not in chunks and text.isprintable():
        return chunks
    return text.split()
