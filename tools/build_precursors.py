"""Check ``nlp/data/precursors.tsv`` against the unverified INCB seed table.

Prints every seed CAS number that fails its check digit, every data-file CAS that fails (must be
none), and seed rows whose CAS differs from ours. Exit status 1 if the data file has a bad CAS.

Usage: ``python tools/build_precursors.py [SEED_CSV]`` (default: the shared seed path).
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

from nlp.precursors import precursor_table, valid_cas

_SEED_REL = Path("data/lexicons/precursors-incb-tables/precursors_incb_tables.csv")
SEED = next(
    (p for p in (Path(__file__).resolve().parents[2] / "shared" / _SEED_REL, Path("/work/shared") / _SEED_REL)
     if p.is_file()),
    Path("/work/shared") / _SEED_REL,
)


def main(argv: list[str]) -> int:
    seed = Path(argv[1]) if len(argv) > 1 else SEED
    ours = {p.cas for p in precursor_table() if p.cas}
    bad_ours = sorted(c for c in ours if not valid_cas(c))
    for cas in bad_ours:
        print(f"DATA FILE: invalid CAS {cas}")
    if seed.exists():
        with seed.open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for cas in re.findall(r"\d{2,7}-\d{2}-\d", row["cas"]):
                    status = "ok" if valid_cas(cas) else "FAILS CHECK DIGIT"
                    where = "in data file" if cas in ours else "NOT in data file"
                    if status != "ok" or cas not in ours:
                        print(f"seed {row['name']!r}: {cas} {status}, {where}")
    print(f"{len(ours)} CAS numbers in the data file, {len(bad_ours)} invalid")
    return 1 if bad_ours else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
