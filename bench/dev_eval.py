"""Drug class and substance accuracy of the extractor on the titles of the shared dev sets.

darkmarket-2021: class against category level 2 (level 3 overrides where our taxonomy differs) and
substance against level 3 where it names a substance; agora-2014: class (and substance where the
sub-category names one). Mappings are data: bench/data/darkmarket2021_mapping.tsv and
bench/data/agora2014_mapping.tsv. The predicted drug of a title is its most frequent substance
(first mention on ties); a title with no drug counts as wrong.

Run: ``.venv/bin/python bench/dev_eval.py [--errors N] [--confusion] [--dev-dir /work/shared/data/dev]``.
``--confusion`` prints, per set, the gold class -> predicted class counts of the misses (no titles).
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

from nlp.api import get_extractor

_HERE = Path(__file__).parent


def _rows(path: Path) -> list[list[str]]:
    return [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")]


def main_drug(drugs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The title's drug: the most frequent substance, the first one on ties."""
    if not drugs:
        return None
    counts = Counter(d["substance"] for d in drugs)
    best = max(counts.values())
    return next(d for d in drugs if counts[d["substance"]] == best)


def _score(items: list[tuple[str, str | None, str | None]], errors: int, label: str,
           confusion: bool = False) -> dict[str, Any]:
    """items: (title, gold class or None, gold substance or None)."""
    extractor = get_extractor()
    results = extractor.extract_batch([{"id": str(i), "text": t} for i, (t, _, _) in enumerate(items)])
    cls_n = cls_ok = sub_n = sub_ok = 0
    misses: list[str] = []
    confused: Counter[tuple[str, str]] = Counter()
    for (title, gold_cls, gold_sub), res in zip(items, results, strict=True):
        drug = main_drug(res["drugs"])
        if gold_cls:
            cls_n += 1
            if drug is not None and drug["class"] == gold_cls:
                cls_ok += 1
            else:
                confused[(gold_cls, drug["class"] if drug else "(none)")] += 1
                if len(misses) < errors:
                    misses.append(f"  class {gold_cls!r:>24} got {drug and drug['class']!r:>24} | {title}")
        if gold_sub:
            sub_n += 1
            if drug is not None and drug["substance"] == gold_sub:
                sub_ok += 1
            elif len(misses) < errors:
                misses.append(f"  subst {gold_sub!r:>24} got {drug and drug['substance']!r:>24} | {title}")
    report = {"set": label, "class_n": cls_n, "class_accuracy": round(cls_ok / cls_n, 4) if cls_n else None,
              "substance_n": sub_n, "substance_accuracy": round(sub_ok / sub_n, 4) if sub_n else None}
    for line in misses:
        print(line)
    if confusion:
        print(f"{label}: class misses, gold -> predicted")
        for (gold, got), n in confused.most_common():
            print(f"  {gold:>22} -> {got:<22} {n:5d}")
    return report


def darkmarket(dev_dir: Path, errors: int, confusion: bool = False) -> dict[str, Any]:
    mapping = {(r[0], r[1]): (r[2], r[3]) for r in _rows(_HERE / "data" / "darkmarket2021_mapping.tsv")}
    items: list[tuple[str, str | None, str | None]] = []
    with (dev_dir / "darkmarket-2021-dev.csv").open(encoding="utf-8") as fh:
        for rec in csv.DictReader(fh):
            cls2, _ = mapping.get(("2", rec["category_level_2"]), ("-", "-"))
            cls3, sub3 = mapping.get(("3", rec["category_level_3"]), ("-", "-"))
            if cls3 == "skip":
                continue
            gold_cls = cls3 if cls3 != "-" else cls2
            if not rec["category_level_2"] or (gold_cls == "-" and sub3 == "-"):
                continue
            items.append((rec["product"], None if gold_cls == "-" else gold_cls, None if sub3 == "-" else sub3))
    return _score(items, errors, "darkmarket-2021-dev", confusion)


def agora(dev_dir: Path, errors: int, confusion: bool = False) -> dict[str, Any]:
    mapping = {r[0]: (r[1], r[2]) for r in _rows(_HERE / "data" / "agora2014_mapping.tsv")}
    items: list[tuple[str, str | None, str | None]] = []
    for path in sorted((dev_dir / "agora-2014").glob("*.csv")):
        with path.open(encoding="utf-8", errors="replace") as fh:
            for rec in csv.DictReader(fh):
                got = mapping.get(f"{rec['subcat']}/{rec['subsubcat']}") or mapping.get(rec["subcat"])
                if got is None:
                    continue
                cls, sub = got
                items.append((rec["product"], None if cls == "-" else cls, None if sub == "-" else sub))
    return _score(items, errors, "agora-2014", confusion)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dev-dir", type=Path, default=Path("/work/shared/data/dev"))
    parser.add_argument("--errors", type=int, default=0, help="print up to N misclassified titles per set")
    parser.add_argument("--confusion", action="store_true", help="print gold -> predicted class counts of misses")
    args = parser.parse_args()
    for report in (darkmarket(args.dev_dir, args.errors, args.confusion),
                   agora(args.dev_dir, args.errors, args.confusion)):
        print(json.dumps(report))


if __name__ == "__main__":
    main()
