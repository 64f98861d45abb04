"""Score extractor output against a labelled JSONL set (the `narcowatch eval` back end).

Gold lines look like ``{"id", "text", "lang", "gold": {...}, "tags": [...]}`` (see tests/data/README.md);
predictions are lines in the ``narcowatch extract`` format of DESIGN.md. Extra keys on either side
(``start``, ``end``, ``text``, ``usd``, ...) are ignored.

Per field the scorer counts true positives, false positives and false negatives over all items
(micro averaging) and reports precision, recall, F1 and support (the number of gold units):

- ``category``: one label per item; ``accuracy`` (which is also its micro F1) plus per-class P/R/F1.
- ``drugs``: the set of distinct substances per item.
- ``drug_class``: the set of distinct classes per item.
- ``offers``: substance + grams + amount + currency; grams and amount equal within 1 %
  (or both missing); one-to-one matching, so two identical gold offers need two predicted ones.
- ``contacts``: type + value after light canonicalisation (case, spaces; see `canonical_contact`).
- ``places``: by name (case- and accent-insensitive) first; leftovers then match one-to-one on country.
- ``ships_from`` / ``ships_to``: sets of ISO codes (or ``WORLDWIDE``). Gold may use the region token
  ``EU`` for "Europe"; a prediction that lists every EU member state instead counts as that token, and
  its other European codes are then not false positives (see `_ships_counts`).
- ``precursors``: by CAS number first, then by name.

Language identification is reported apart from the fields (``lang``: accuracy over gold rows that have a
``lang``), since `narcowatch eval` may pass the gold language to the extractor as a hint.

A gold id missing from the predictions counts every gold unit of that item as a miss; predictions
with ids absent from gold are ignored (and counted under ``_meta``).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Iterator
from pathlib import Path
from typing import Any

__all__ = ["FIELDS", "canonical_contact", "format_report", "load_jsonl", "score", "score_by_tag"]

FIELDS: tuple[str, ...] = (
    "category",
    "drugs",
    "drug_class",
    "offers",
    "contacts",
    "places",
    "ships_from",
    "ships_to",
    "precursors",
)

CATEGORIES: tuple[str, ...] = ("sale", "recruitment", "precursor", "propaganda", "laundering", "other")

# Contact types whose values are case-insensitive identifiers.
_CASE_FOLDED = {"telegram", "onion", "email", "jabber", "url", "eth", "session", "wickr", "threema",
                "signal", "qiwi", "yoomoney"}
_DIGITS_ONLY = {"card"}
_TOLERANCE = 0.01

EU_MEMBERS = frozenset("AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE".split())
# Europe beyond the EU, as shipping phrases ("ships to Europe") commonly cover it.
EUROPE = EU_MEMBERS | frozenset("GB CH NO IS LI AD MC SM VA AL BA ME MK RS XK MD".split())


class EvalInputError(ValueError):
    """A JSONL file could not be read; the message names the file and line."""


def iter_jsonl(lines: Iterable[str], name: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(1-based line number, object)`` for each non-blank line of a JSON-lines stream called ``name``.

    Raises `EvalInputError` naming ``name`` and the line on malformed JSON or a line that is not a JSON
    object (``narcowatch extract`` reads its input through this too).
    """
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalInputError(f"{name}: line {lineno}: invalid JSON: {exc.msg} (column {exc.colno})") from exc
        if not isinstance(obj, dict):
            raise EvalInputError(f"{name}: line {lineno}: expected a JSON object, got {type(obj).__name__}")
        yield lineno, obj


def load_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSON-lines file into a list of dicts, skipping blank lines (errors as :func:`iter_jsonl`)."""
    p = Path(path)
    with p.open(encoding="utf-8") as fh:
        return [obj for _, obj in iter_jsonl(fh, str(p))]


def _fold(text: str) -> str:
    """Case- and accent-insensitive key for names ("Almaty" == "almaty", "Düsseldorf" == "dusseldorf")."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s\-_.']+", " ", stripped).strip().casefold()


def canonical_contact(ctype: str, value: str) -> tuple[str, str]:
    """Canonical (type, value) used for matching contacts.

    Telegram handles gain a leading ``@`` and are lower-cased; onion values are reduced to the
    lower-case host; phones keep ``+`` and digits; cards keep digits; PGP fingerprints are upper-case
    hex without spaces; ETH is compared lower-case (EIP-55 casing is a checksum, not identity).
    """
    t = (ctype or "").strip().lower()
    v = (value or "").strip()
    if t == "telegram":
        v = re.sub(r"^(?:https?://)?(?:t\.me|telegram\.me)/", "", v, flags=re.I)
        v = "@" + v.lstrip("@")
    elif t == "onion":
        v = re.sub(r"^[a-z]+://", "", v, flags=re.I).split("/", 1)[0]
    elif t == "phone":
        v = ("+" if v.startswith("+") else "") + re.sub(r"\D", "", v)
    elif t in _DIGITS_ONLY:
        v = re.sub(r"\D", "", v)
    elif t == "pgp":
        v = re.sub(r"[\s:]", "", v).upper()
        if v.startswith("0X"):
            v = v[2:]
    elif t == "url":
        v = v.rstrip("/")
    if t in _CASE_FOLDED:
        v = v.lower()
    return t, v


def _num_close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    try:
        fa, fb = float(a), float(b)
    except (TypeError, ValueError):
        return False
    if fa == fb:
        return True
    return abs(fa - fb) <= _TOLERANCE * max(abs(fa), abs(fb))


def _offer_match(g: dict[str, Any], p: dict[str, Any]) -> bool:
    return (
        str(g.get("substance") or "").lower() == str(p.get("substance") or "").lower()
        and str(g.get("currency") or "").upper() == str(p.get("currency") or "").upper()
        and _num_close(g.get("grams"), p.get("grams"))
        and _num_close(g.get("amount"), p.get("amount"))
    )


def _greedy(gold: list[Any], pred: list[Any], same: Callable[[Any, Any], bool]) -> tuple[int, list[int], list[int]]:
    """One-to-one greedy matching; returns (matches, unmatched gold indexes, unmatched pred indexes)."""
    used: set[int] = set()
    left_gold: list[int] = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(pred):
            if pi not in used and same(g, p):
                used.add(pi)
                break
        else:
            left_gold.append(gi)
    left_pred = [pi for pi in range(len(pred)) if pi not in used]
    return len(gold) - len(left_gold), left_gold, left_pred


def _count_sets(gold: Iterable[Hashable], pred: Iterable[Hashable]) -> tuple[int, int, int]:
    gs, ps = set(gold), set(pred)
    tp = len(gs & ps)
    return tp, len(ps) - tp, len(gs) - tp


def _ships_counts(gold: list[str], pred: list[str]) -> tuple[int, int, int]:
    """Set counts for ISO codes, reading a predicted expansion of Europe as the gold ``EU`` token."""
    gs = {c.upper() for c in gold}
    ps = {c.upper() for c in pred}
    if "EU" in gs and "EU" not in ps and EU_MEMBERS <= ps:
        ps = {c for c in ps if c not in EUROPE or c in gs} | {"EU"}
    return _count_sets(gs, ps)


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [v for v in (value or []) if isinstance(v, dict)]


def _strs(value: Any) -> list[str]:
    return [str(v) for v in (value or []) if v is not None and str(v).strip()]


def _field_counts(field: str, g: dict[str, Any], p: dict[str, Any]) -> tuple[int, int, int]:
    """(tp, fp, fn) for one item and one field; `g` is the gold dict, `p` the prediction."""
    if field == "drugs":
        return _count_sets(
            (str(d.get("substance", "")).lower() for d in _dicts(g.get("drugs"))),
            (str(d.get("substance", "")).lower() for d in _dicts(p.get("drugs"))),
        )
    if field == "drug_class":
        return _count_sets(
            (str(d.get("class", "")).lower() for d in _dicts(g.get("drugs"))),
            (str(d.get("class", "")).lower() for d in _dicts(p.get("drugs"))),
        )
    if field in ("ships_from", "ships_to"):
        return _ships_counts(_strs(g.get(field)), _strs(p.get(field)))
    if field == "contacts":
        return _count_sets(
            (canonical_contact(c.get("type", ""), str(c.get("value", ""))) for c in _dicts(g.get("contacts"))),
            (canonical_contact(c.get("type", ""), str(c.get("value", ""))) for c in _dicts(p.get("contacts"))),
        )
    if field == "offers":
        go, po = _dicts(g.get("offers")), _dicts(p.get("offers"))
        tp, _, _ = _greedy(go, po, _offer_match)
        return tp, len(po) - tp, len(go) - tp
    if field == "places":
        return _match_two_pass(
            _dicts(g.get("places")), _dicts(p.get("places")),
            lambda a, b: bool(a.get("name")) and _fold(str(a.get("name"))) == _fold(str(b.get("name") or "")),
            lambda a, b: bool(a.get("country"))
            and str(a.get("country")).upper() == str(b.get("country") or "").upper(),
        )
    if field == "precursors":
        return _match_two_pass(
            _dicts(g.get("precursors")), _dicts(p.get("precursors")),
            lambda a, b: bool(a.get("cas")) and str(a.get("cas")).strip() == str(b.get("cas") or "").strip(),
            lambda a, b: bool(a.get("name")) and _fold(str(a.get("name"))) == _fold(str(b.get("name") or "")),
        )
    raise KeyError(field)


def _dedupe(items: list[dict[str, Any]], key: Callable[[dict[str, Any]], Any]) -> list[dict[str, Any]]:
    seen: set[Any] = set()
    out = []
    for it in items:
        k = key(it)
        if k not in seen:
            seen.add(k)
            out.append(it)
    return out


def _match_two_pass(
    gold: list[dict[str, Any]],
    pred: list[dict[str, Any]],
    first: Callable[[dict[str, Any], dict[str, Any]], bool],
    second: Callable[[dict[str, Any], dict[str, Any]], bool],
) -> tuple[int, int, int]:
    def ident(d: dict[str, Any]) -> tuple[str, str, str]:
        return (_fold(str(d.get("name") or "")), str(d.get("country") or "").upper(), str(d.get("cas") or ""))

    gold, pred = _dedupe(gold, ident), _dedupe(pred, ident)
    tp1, lg, lp = _greedy(gold, pred, first)
    tp2, _, _ = _greedy([gold[i] for i in lg], [pred[i] for i in lp], second)
    tp = tp1 + tp2
    return tp, len(pred) - tp, len(gold) - tp


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    # Nothing predicted: no wrong prediction (precision 1). Nothing to find: nothing missed (recall 1).
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "support": float(tp + fn),
            "tp": float(tp), "fp": float(fp), "fn": float(fn)}


def score(gold: list[dict[str, Any]], pred: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Score predictions against gold, matched by ``id``.

    `gold` rows carry their labels under ``"gold"`` (a row without that key is read as the labels
    themselves); `pred` rows are ``narcowatch extract`` output. Returns ``{field: {"precision",
    "recall", "f1", "support", "tp", "fp", "fn"}}`` for every field in `FIELDS`; ``category`` also
    has ``accuracy`` and per-class ``"<class>_precision"``/``_recall``/``_f1``. ``_meta`` holds
    ``items``, ``missing`` (gold ids without a prediction) and ``extra`` (predictions without gold).
    """
    by_id: dict[str, dict[str, Any]] = {}
    for row in pred:
        if "id" in row:
            by_id[str(row["id"])] = row
    counts = {f: [0, 0, 0] for f in FIELDS if f != "category"}
    cat_correct = 0
    cat_counts = {c: [0, 0, 0] for c in CATEGORIES}
    missing = 0
    lang_total = lang_correct = 0
    gold_ids: set[str] = set()
    for row in gold:
        gid = str(row.get("id"))
        gold_ids.add(gid)
        g = row.get("gold", row)
        p = by_id.get(gid)
        if p is None:
            missing += 1
            p = {}
        if row.get("lang"):
            lang_total += 1
            lang_correct += int(str(p.get("lang") or "") == str(row["lang"]))
        gcat = str(g.get("category") or "other")
        pcat = str(p.get("category") or "") if p else ""
        cat_counts.setdefault(gcat, [0, 0, 0])
        if pcat:
            cat_counts.setdefault(pcat, [0, 0, 0])
        if gcat == pcat:
            cat_correct += 1
            cat_counts[gcat][0] += 1
        else:
            cat_counts[gcat][2] += 1
            if pcat:
                cat_counts[pcat][1] += 1
        for field, acc in counts.items():
            tp, fp, fn = _field_counts(field, g, p)
            acc[0] += tp
            acc[1] += fp
            acc[2] += fn
    n = len(gold)
    result: dict[str, dict[str, float]] = {}
    accuracy = cat_correct / n if n else 0.0
    cat = {"precision": accuracy, "recall": accuracy, "f1": accuracy, "accuracy": accuracy,
           "support": float(n), "tp": float(cat_correct), "fp": float(n - cat_correct),
           "fn": float(n - cat_correct)}
    for cls, (tp, fp, fn) in sorted(cat_counts.items()):
        prf = _prf(tp, fp, fn)
        cat[f"{cls}_precision"] = prf["precision"]
        cat[f"{cls}_recall"] = prf["recall"]
        cat[f"{cls}_f1"] = prf["f1"]
        cat[f"{cls}_support"] = float(tp + fn)
    result["category"] = cat
    for field in FIELDS:
        if field != "category":
            result[field] = _prf(*counts[field])
    lang_acc = lang_correct / lang_total if lang_total else 0.0
    result["lang"] = {"accuracy": lang_acc, "f1": lang_acc, "support": float(lang_total)}
    result["_meta"] = {"items": float(n), "missing": float(missing),
                       "extra": float(len(set(by_id) - gold_ids))}
    return result


def score_by_tag(gold: list[dict[str, Any]], pred: list[dict[str, Any]]) -> dict[str, dict[str, dict[str, float]]]:
    """`score` restricted to the gold rows carrying each tag (``obfuscated``, ``tiered``, ...)."""
    tags = sorted({str(t) for row in gold for t in row.get("tags") or []})
    return {tag: score([row for row in gold if tag in (row.get("tags") or [])], pred) for tag in tags}


def format_report(scores: dict[str, dict[str, float]]) -> str:
    """Render `score` output as a plain-text table (one row per field, then per-category rows)."""
    lines = [f"{'field':<14} {'precision':>9} {'recall':>7} {'f1':>7} {'support':>8}"]
    lines.append("-" * len(lines[0]))
    for field in FIELDS:
        s = scores.get(field)
        if not s:
            continue
        lines.append(f"{field:<14} {s['precision']:>9.3f} {s['recall']:>7.3f} {s['f1']:>7.3f} "
                     f"{int(s['support']):>8d}")
    cat = scores.get("category", {})
    if cat:
        lines.append("")
        lines.append(f"category accuracy: {cat.get('accuracy', 0.0):.3f}")
        for cls in sorted({k.rsplit('_', 1)[0] for k in cat if k.endswith("_support")}):
            lines.append(f"  {cls:<12} {cat[cls + '_precision']:>9.3f} {cat[cls + '_recall']:>7.3f} "
                         f"{cat[cls + '_f1']:>7.3f} {int(cat[cls + '_support']):>8d}")
    lang = scores.get("lang")
    if lang and lang.get("support"):
        lines.append(f"language accuracy: {lang['accuracy']:.3f} ({int(lang['support'])} items)")
    meta = scores.get("_meta")
    if meta:
        lines.append("")
        lines.append(f"items: {int(meta['items'])}  missing predictions: {int(meta['missing'])}  "
                     f"unknown ids: {int(meta['extra'])}")
    return "\n".join(lines)
