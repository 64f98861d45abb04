"""Snapshot the extractor's output on a fixed corpus, and compare a snapshot with the current code.

Speed work on ``nlp/`` must not change what is extracted. Take a snapshot before the change and
compare after it::

    .venv/bin/python tools/nlp_snapshot.py save /tmp/before.jsonl
    ... change nlp/ ...
    .venv/bin/python tools/nlp_snapshot.py compare /tmp/before.jsonl

The corpus: the labelled set (``tests/data/nlp_labelled.jsonl``), the benchmark's 100-word posts,
posts drawn from the labelled set's own (much larger) vocabulary, and the product titles of the
dev sets in ``../shared/data/dev`` when present. ``compare`` prints the number of records that differ
per output field and the first differences, and exits 1 when anything differs. Only record ids and
field names are printed for dev-set rows and labelled items, never their text.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
LABELLED = ROOT / "tests" / "data" / "nlp_labelled.jsonl"
DEV = ROOT.parent / "shared" / "data" / "dev"


def corpus() -> list[dict[str, Any]]:
    """The records to extract, each with a stable id."""
    sys.path.insert(0, str(ROOT / "bench"))
    from nlp_speed import make_posts  # type: ignore[import-not-found]

    records: list[dict[str, Any]] = []
    labelled = [json.loads(line) for line in LABELLED.read_text(encoding="utf-8").splitlines() if line.strip()]
    records += [{"id": f"lab:{r['id']}", "text": r["text"]} for r in labelled]
    records += [{"id": f"bench:{i}", "text": t} for i, t in enumerate(make_posts(1500, seed=7))]
    vocab = sorted({w for r in labelled for w in r["text"].split()})
    rng = random.Random(3)
    for i in range(1500):
        words = [rng.choice(vocab) for _ in range(rng.randint(20, 120))]
        records.append({"id": f"mix:{i}", "text": " ".join(words)})
    dm = DEV / "darkmarket-2021-dev.csv"
    if dm.exists():
        with dm.open(newline="", encoding="utf-8") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                records.append({"id": f"dm:{i}", "text": row.get("product") or ""})
    for path in sorted((DEV / "agora-2014").glob("*.csv")):
        with path.open(newline="", encoding="utf-8", errors="replace") as fh:
            for i, row in enumerate(csv.DictReader(fh)):
                if i % 3 == 0:
                    records.append({"id": f"ag:{path.stem}:{i}", "text": row.get("product") or ""})
    records.append({"id": "odd:spaces", "text": "  меф\t1г  -\n2500₽ \u00a0@shop_bot  "})
    records.append({"id": "odd:empty", "text": ""})
    return records


def run() -> dict[str, dict[str, Any]]:
    from nlp.api import get_extractor

    extractor = get_extractor()
    records = corpus()
    start = time.perf_counter()
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(records), 256):
        for res in extractor.extract_batch(records[i : i + 256]):
            out[str(res["id"])] = res
    print(f"{len(records)} records extracted in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return out


def _canon(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["save", "compare"])
    parser.add_argument("path", type=Path)
    parser.add_argument("--show", type=int, default=5, help="differences to print in full (bench/mix ids only)")
    args = parser.parse_args()
    current = run()
    if args.action == "save":
        with args.path.open("w", encoding="utf-8") as fh:
            for res in current.values():
                fh.write(_canon(res) + "\n")
        print(f"saved {len(current)} results to {args.path}")
        return 0
    before = {}
    with args.path.open(encoding="utf-8") as fh:
        for line in fh:
            res = json.loads(line)
            before[str(res["id"])] = res
    if set(before) != set(current):
        print(f"corpus changed: {len(set(before) ^ set(current))} ids differ; take a new snapshot")
        return 1
    fields: Counter[str] = Counter()
    shown = 0
    for rid, old in before.items():
        new = json.loads(_canon(current[rid]))
        for key in sorted(set(old) | set(new)):
            if old.get(key) != new.get(key):
                fields[key] += 1
                if shown < args.show and re.match(r"(bench|mix|odd):", rid):
                    shown += 1
                    print(f"--- {rid} {key}\n  before: {_canon(old.get(key))[:600]}\n  after:  "
                          f"{_canon(new.get(key))[:600]}")
    if not fields:
        print(f"identical: {len(before)} records, every field")
        return 0
    print("records that differ, per field: " + ", ".join(f"{k}={v}" for k, v in fields.most_common()))
    return 1


if __name__ == "__main__":
    sys.exit(main())
