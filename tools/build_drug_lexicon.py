"""Build nlp/data/drug_lexicon.jsonl from the hand-made files in nlp/data/ and the shared lexicons.

Inputs, in order of precedence (the first source that names a term wins):
1. nlp/data/substances.tsv   canonical substances: class, NPS flag, English and Russian names (hand-made)
2. nlp/data/slang_ru.tsv     Russian street slang with product form (hand-made)
3. nlp/data/brands.tsv       brand names -> active substance (hand-made, after DEA brands)
4. nlp/data/cannabis_strains.txt  strain and product-line names -> cannabis; context-dependent
   nlp/data/pill_presses.tsv  ecstasy press names -> mdma; only next to a pill word ("Ferrari pills")
5. TripSit drug aliases      aliases of our substances, and research chemicals as new NPS entries
6. DOPE slang (DEA/NoSlang)  multi-word English street names of our substances; context-dependent,
                             and only when nothing else in the document names a drug

Run: ``python tools/build_drug_lexicon.py [--shared /work/shared/data/lexicons]``. The output is
committed; rebuild it after editing any input.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
from pathlib import Path
from typing import Any

from nlp.drugs import key  # the same matching key the extractor uses
from nlp.tsv import read_tsv

_ROOT = Path(__file__).resolve().parent.parent
_DATA = _ROOT / "nlp" / "data"
# Aliases such as "25g" or "2c" read like quantities in listings; never import them.
_QUANTITY_LIKE = re.compile(r"^\d+\s?(?:g|mg|ug|gr|ml|x|c|k)?$", re.IGNORECASE)

# TripSit category -> our class, first match wins.
_TRIPSIT_CLASS = [("benzodiazepine", "sedative"), ("opioid", "opioid"), ("dissociative", "dissociative"),
                  ("empathogen", "empathogen"), ("psychedelic", "psychedelic"), ("stimulant", "stimulant"),
                  ("barbiturate", "sedative"), ("depressant", "sedative"), ("deliriant", "other")]
# DOPE lookup_df category -> our substance.
_DOPE_SUBSTANCE = {
    "marijuana": "cannabis", "marijuana concentrate": "cannabis", "heroin": "heroin", "cocaine": "cocaine",
    "crack": "cocaine", "crack cocaine": "cocaine", "methamphetamine": "methamphetamine",
    "amphetamine": "amphetamine", "lsd": "lsd", "mdma": "mdma", "pcp": "pcp", "opium": "opium",
    "fentanyl": "fentanyl", "oxycodone": "oxycodone", "ketamine": "ketamine", "mushrooms": "psilocybin",
    "psilocybin": "psilocybin", "ghb": "ghb", "rohypnol": "flunitrazepam", "mescaline": "mescaline",
    "peyote": "mescaline", "2cb": "2c-b", "synthetic cannabinoid": "synthetic-cannabinoid",
    "synthetic cathinone": "alpha-pvp", "methcathinone": "methcathinone", "hydrocodone": "hydrocodone",
    "morphine": "morphine", "codeine": "codeine", "alprazolam": "alprazolam", "dmt": "dmt",
    "methadone": "methadone", "steroid": "testosterone", "clonazepam": "clonazepam", "gbl": "gbl",
}
_DOPE_FORM = {"crack": "crack", "crack cocaine": "crack", "marijuana concentrate": "concentrate"}


def build(shared: Path) -> list[dict[str, Any]]:
    """All lexicon entries, one per matching key."""
    entries: dict[str, dict[str, Any]] = {}
    classes: dict[str, tuple[str, bool]] = {}

    def add(term: str, substance: str, form: str | None, source: str, ambiguous: bool = False) -> None:
        k = key(term)
        if k in entries:
            if form and not entries[k]["form"] and entries[k]["substance"] == substance:
                entries[k]["form"] = form  # slang file knows the product form of a core name
            variants = entries[k].setdefault("variants", [])
            if term.lower() != entries[k]["term"] and term.lower() not in variants:
                variants.append(term.lower())
            return
        if not k or substance not in classes:
            return
        cls, nps = classes[substance]
        entries[k] = {"term": term.lower(), "key": k, "substance": substance, "class": cls, "nps": nps,
                      "form": form or None, "ambiguous": ambiguous, "source": source}

    for row in read_tsv(_DATA / "substances.tsv"):
        classes[row[0]] = (row[1], row[2] == "1")
    forms = {key(r[0]): r[1] for r in read_tsv(_DATA / "forms.tsv")}
    for row in read_tsv(_DATA / "substances.tsv"):
        for name in row[3].split("|"):
            add(name, row[0], forms.get(key(name)) if row[0] == "cannabis" or key(name) in
                {"crack", "blotter", "blotters", "shards"} else None, "core")
    for row in read_tsv(_DATA / "slang_ru.tsv"):
        add(row[0], row[1], row[2] if len(row) > 2 else None, "slang_ru")
    for row in read_tsv(_DATA / "brands.tsv"):
        add(row[0], row[1], None, "brands")

    for row in read_tsv(_DATA / "cannabis_strains.txt"):
        firm = len(row) > 1 and row[1] == "firm"
        existing = entries.get(key(row[0]))
        if firm and existing is not None and existing["source"] == "strains":
            existing["ambiguous"] = False  # "moonrocks ctx" and "moon rocks firm" share a key: firm wins
        add(row[0], "cannabis", forms.get(key(row[0]), "buds"), "strains", ambiguous=not firm)

    # Ecstasy press (logo) names: everyday brand words, so they only count next to a pill word.
    for row in read_tsv(_DATA / "pill_presses.tsv"):
        add(row[0], "mdma", "pills", "presses", ambiguous=True)
        k = key(row[0])
        if entries.get(k, {}).get("source") == "presses":
            entries[k]["needs"] = "pills"
            entries[k]["neighbours"] = [w.lower() for w in row[1].split("|") if w] if len(row) > 1 else []

    tripsit = shared / "tripsit-drugs-aliases" / "tripsit_drugs_aliases.csv"
    if tripsit.exists():
        with tripsit.open(encoding="utf-8") as fh:
            for rec in csv.DictReader(fh):
                name, alias, cats = rec["name"], rec["alias"], rec["categories"]
                base = entries.get(key(name))
                if _QUANTITY_LIKE.match(alias):
                    continue
                if base is not None:
                    if len(key(alias)) >= 4 or any(c.isdigit() for c in alias):
                        short = len(key(alias)) < 6 and not any(c.isdigit() for c in alias)
                        add(alias, base["substance"], None, "tripsit", ambiguous=short)
                    continue
                if "research-chemical" not in cats:
                    continue
                cls = next((c for t, c in _TRIPSIT_CLASS if t in cats), None)
                if cls is None:
                    continue
                if name not in classes:
                    classes[name] = (cls, True)
                short_name = len(key(name)) < 4 and not any(c.isdigit() for c in name)
                add(name, name, None, "tripsit", ambiguous=short_name)
                if len(key(alias)) >= 4 or any(c.isdigit() for c in alias):
                    add(alias, name, None, "tripsit")

    deny = {key(w) for r in read_tsv(_DATA / "slang_deny.txt") for w in r}
    dope = shared / "dope-drug-slang-en" / "lookup_df.csv"
    if dope.exists():
        with dope.open(encoding="utf-8") as fh:
            for rec in csv.DictReader(fh):
                substance = _DOPE_SUBSTANCE.get(rec["category"].strip().lower())
                term = rec["synonym"].strip()
                if substance is None or len(key(term)) < 5 or key(term) in deny or not term.isascii():
                    continue
                if len(term.split()) < 2:
                    continue  # single English words ("drivers", "home") misfire too often, even as a fallback
                if any(not entries.get(key(w), {}).get("ambiguous", True) for w in term.split()):
                    continue  # "sustanon 250": a firm name already matches on its own
                add(term, substance, _DOPE_FORM.get(rec["category"].strip().lower()), "dope", ambiguous=True)
    return sorted(entries.values(), key=lambda e: e["key"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=Path("/work/shared/data/lexicons"))
    parser.add_argument("--out", type=Path, default=_DATA / "drug_lexicon.jsonl")
    args = parser.parse_args()
    entries = build(args.shared)
    with args.out.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps({"_provenance": "built by tools/build_drug_lexicon.py from nlp/data/substances.tsv, "
                             "slang_ru.tsv, brands.tsv, cannabis_strains.txt, pill_presses.tsv (hand-made), TripSit/drugs aliases @83670cb6 (ISC) and "
                             "CTN-0094/DOPE lookup_df @671c416c (MIT)"}, ensure_ascii=False) + "\n")
        for entry in entries:
            fh.write(json.dumps(entry, ensure_ascii=False) + "\n")
    print(f"{len(entries)} terms -> {args.out}")


if __name__ == "__main__":
    main()
