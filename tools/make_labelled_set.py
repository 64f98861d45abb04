"""Build tests/data/nlp_labelled.jsonl from the hand-written sources in tools/labelled_src/*.txt.

The texts and their labels are written by hand (see tests/data/README.md for the guidelines). This
script only parses that small block format, fills wallet/card/onion/PGP placeholders with freshly
generated, checksum-valid *fictional* values (deterministic seed, so the output is reproducible),
derives each drug's class from the substance table, validates every label against the contract
vocabularies and writes the JSONL.

Block format (one item per block)::

    === <lang> <category> [tag ...]
    T: optional title line
    text lines ...
    --
    d: mephedrone/crystal, cannabis/hash        drugs (substance[/form])
    o: mephedrone 1 2500 RUB; mephedrone 2 4500 RUB   offers (grams may be "-")
    c: telegram @shop; phone +79161234567       contacts (type value)
    p: Moscow/RU; Kazakhstan/KZ                 places (English name/ISO country)
    f: NL                                       ships_from
    t: WORLDWIDE                                ships_to
    x: safrole/94-59-7                          precursors (name/CAS, either part may be empty)
    v: dead_drop                                delivery (free, not scored)

Placeholders in the text, each replaced by a new value and appended to the gold contacts in order:
``{btc}`` (P2PKH), ``{btc3}`` (P2SH), ``{bc1}`` (bech32 P2WPKH), ``{bc1p}`` (bech32m taproot),
``{ltc}``, ``{ltc1}``, ``{eth}`` (EIP-55), ``{trx}``, ``{xmr}``, ``{card}``, ``{card_sp}`` (spaced
groups), ``{onion}`` (v3 host), ``{onion_url}`` (http://host/), ``{pgp}`` (40-hex fingerprint, spaced
in groups of four). Gold wallet values: BTC/LTC/TRX/XMR exactly as generated, ETH in EIP-55 form,
cards digits only, onion the lower-case host, PGP upper-case hex without spaces.

Usage: ``python tools/make_labelled_set.py [--out tests/data/nlp_labelled.jsonl]``
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import sys
from base64 import b32encode
from pathlib import Path
from typing import Any

import base58
import phonenumbers
from Crypto.Hash import keccak

from nlp.validators.crypto import eip55_checksum, encode_segwit

ROOT = Path(__file__).resolve().parent.parent
SRC_DIR = Path(__file__).resolve().parent / "labelled_src"
DEFAULT_OUT = ROOT / "tests" / "data" / "nlp_labelled.jsonl"

CLASSES = {"cannabis", "synthetic_cannabinoid", "stimulant", "empathogen", "psychedelic", "dissociative",
           "opioid", "sedative", "steroid", "precursor", "other"}
CATEGORIES = {"sale", "recruitment", "precursor", "propaganda", "laundering", "other"}
CONTACT_TYPES = {"telegram", "onion", "url", "email", "phone", "jabber", "session", "wickr", "threema",
                 "signal", "whatsapp", "btc", "ltc", "eth", "trx", "xmr", "card", "qiwi", "yoomoney", "pgp"}
LANGS = {"ru", "en", "uk"}

# Canonical substance -> class (DESIGN.md naming). The set's whole substance vocabulary.
SUBSTANCE_CLASS: dict[str, str] = {
    "cannabis": "cannabis",
    "synthetic-cannabinoid": "synthetic_cannabinoid",
    "mdmb-4en-pinaca": "synthetic_cannabinoid",
    "jwh-018": "synthetic_cannabinoid",
    "mephedrone": "stimulant",
    "alpha-pvp": "stimulant",
    "mdpv": "stimulant",
    "methamphetamine": "stimulant",
    "amphetamine": "stimulant",
    "cocaine": "stimulant",
    "methylphenidate": "stimulant",
    "3-mmc": "stimulant",
    "4-cmc": "stimulant",
    "modafinil": "stimulant",
    "mdma": "empathogen",
    "mda": "empathogen",
    "lsd": "psychedelic",
    "psilocybin": "psychedelic",
    "dmt": "psychedelic",
    "mescaline": "psychedelic",
    "2c-b": "psychedelic",
    "ketamine": "dissociative",
    "pcp": "dissociative",
    "heroin": "opioid",
    "fentanyl": "opioid",
    "oxycodone": "opioid",
    "methadone": "opioid",
    "tramadol": "opioid",
    "codeine": "opioid",
    "morphine": "opioid",
    "buprenorphine": "opioid",
    "hydrocodone": "opioid",
    "opium": "opioid",
    "hydromorphone": "opioid",
    "tapentadol": "opioid",
    "lorazepam": "sedative",
    "gabapentin": "sedative",
    "lisdexamfetamine": "stimulant",
    "isotonitazene": "opioid",
    "alprazolam": "sedative",
    "diazepam": "sedative",
    "clonazepam": "sedative",
    "etizolam": "sedative",
    "zolpidem": "sedative",
    "phenazepam": "sedative",
    "ghb": "sedative",
    "gbl": "sedative",
    "pregabalin": "sedative",
    "testosterone": "steroid",
    "nandrolone": "steroid",
    "oxandrolone": "steroid",
    "methandienone": "steroid",
    "trenbolone": "steroid",
    "stanozolol": "steroid",
}
FORMS = {"crystal", "powder", "pills", "hash", "buds", "oil", "vape", "crack", "blotter", "liquid", "rock",
         "resin", "edible", "capsules", "tar", "injectable", "mushrooms"}
CURRENCIES = {"RUB", "USD", "EUR", "UAH", "KZT", "BYN", "KGS", "BTC", "USDT", "XMR", "GBP", "UZS", "AMD"}

# English names for ISO codes used in ships-from/to labels: a country named in a shipping phrase is also a
# place mention, so the builder adds it to `places` when the hand label left it out.
COUNTRY_NAMES = {
    "RU": "Russia", "BY": "Belarus", "KZ": "Kazakhstan", "KG": "Kyrgyzstan", "UA": "Ukraine", "DE": "Germany",
    "NL": "Netherlands", "US": "United States", "GB": "United Kingdom", "AU": "Australia", "IN": "India",
    "CA": "Canada", "PL": "Poland", "BE": "Belgium", "CN": "China", "ES": "Spain", "CZ": "Czech Republic",
    "AT": "Austria", "CH": "Switzerland", "TR": "Turkey", "TH": "Thailand", "PE": "Peru", "MX": "Mexico",
    "AF": "Afghanistan", "PK": "Pakistan", "FR": "France",
}
REGION_CODES = {"WORLDWIDE", "EU"}

_XMR_ALPHA = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_XMR_BLOCK = [0, 2, 3, 5, 6, 7, 9, 10, 11]


def _xmr_b58(data: bytes) -> str:
    out = []
    for i in range(0, len(data), 8):
        block = data[i:i + 8]
        num = int.from_bytes(block, "big")
        size = _XMR_BLOCK[len(block)]
        chars = []
        for _ in range(size):
            num, r = divmod(num, 58)
            chars.append(_XMR_ALPHA[r])
        out.append("".join(reversed(chars)))
    return "".join(out)


def luhn_complete(prefix: str, length: int, rng: random.Random) -> str:
    body = prefix + "".join(str(rng.randrange(10)) for _ in range(length - len(prefix) - 1))
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return body + str((10 - total % 10) % 10)


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def cas_ok(cas: str) -> bool:
    m = re.fullmatch(r"(\d{2,7})-(\d{2})-(\d)", cas)
    if not m:
        return False
    digits = (m.group(1) + m.group(2))[::-1]
    return sum((i + 1) * int(d) for i, d in enumerate(digits)) % 10 == int(m.group(3))


class Gen:
    """Deterministic generator of fictional, checksum-valid contact values."""

    def __init__(self, seed: int = 20261127) -> None:
        self.rng = random.Random(seed)

    def _bytes(self, n: int) -> bytes:
        return bytes(self.rng.randrange(256) for _ in range(n))

    def make(self, kind: str) -> tuple[str, str, str]:
        """Return (text form, contact type, gold value) for a placeholder kind."""
        if kind == "btc":
            v = base58.b58encode_check(b"\x00" + self._bytes(20)).decode()
            return v, "btc", v
        if kind == "btc3":
            v = base58.b58encode_check(b"\x05" + self._bytes(20)).decode()
            return v, "btc", v
        if kind == "bc1":
            v = encode_segwit("bc", 0, self._bytes(20))
            return v, "btc", v
        if kind == "bc1p":
            v = encode_segwit("bc", 1, self._bytes(32))
            return v, "btc", v
        if kind == "ltc":
            v = base58.b58encode_check(b"\x30" + self._bytes(20)).decode()
            return v, "ltc", v
        if kind == "ltc1":
            v = encode_segwit("ltc", 0, self._bytes(20))
            return v, "ltc", v
        if kind == "eth":
            v = eip55_checksum("0x" + self._bytes(20).hex())
            return v, "eth", v
        if kind == "trx":
            v = base58.b58encode_check(b"\x41" + self._bytes(20)).decode()
            return v, "trx", v
        if kind == "xmr":
            payload = b"\x12" + self._bytes(64)
            chk = keccak.new(digest_bits=256, data=payload).digest()[:4]
            v = _xmr_b58(payload + chk)
            return v, "xmr", v
        if kind in ("card", "card_sp"):
            prefix = self.rng.choice(["4276", "5469", "2202", "4817", "5536", "4400"])
            v = luhn_complete(prefix, 16, self.rng)
            text = " ".join(v[i:i + 4] for i in range(0, 16, 4)) if kind == "card_sp" else v
            return text, "card", v
        if kind in ("onion", "onion_url"):
            pub = self._bytes(32)
            chk = hashlib.sha3_256(b".onion checksum" + pub + b"\x03").digest()[:2]
            host = b32encode(pub + chk + b"\x03").decode().lower() + ".onion"
            return (f"http://{host}/" if kind == "onion_url" else host), "onion", host
        if kind == "pgp":
            fp = self._bytes(20).hex().upper()
            return " ".join(fp[i:i + 4] for i in range(0, 40, 4)), "pgp", fp
        raise ValueError(f"unknown placeholder {{{kind}}}")


_PLACEHOLDER = re.compile(r"\{(btc3|btc|bc1p|bc1|ltc1|ltc|eth|trx|xmr|card_sp|card|onion_url|onion|pgp)\}")


class SourceError(ValueError):
    pass


def _split(value: str, sep: str = ";") -> list[str]:
    return [p.strip() for p in value.split(sep) if p.strip()]


def _num(s: str) -> float | None:
    return None if s in ("-", "") else float(s)


def parse_block(block: str, where: str, gen: Gen) -> dict[str, Any]:
    lines = block.split("\n")
    header = lines[0].split()
    if len(header) < 2:
        raise SourceError(f"{where}: header needs '<lang> <category> [tags]'")
    lang, category, tags = header[0], header[1], header[2:]
    if lang not in LANGS or category not in CATEGORIES:
        raise SourceError(f"{where}: bad lang/category {lang!r} {category!r}")
    try:
        sep = lines.index("--")
    except ValueError:
        raise SourceError(f"{where}: missing '--' separator") from None
    body = lines[1:sep]
    title = None
    if body and body[0].startswith("T: "):
        title = body[0][3:].strip()
        body = body[1:]
    text = "\n".join(body).strip()
    gold: dict[str, Any] = {"category": category, "drugs": [], "offers": [], "contacts": [], "places": [],
                            "ships_from": [], "ships_to": [], "precursors": []}
    for line in lines[sep + 1:]:
        if not line.strip():
            continue
        key, _, val = line.partition(":")
        key, val = key.strip(), val.strip()
        if key == "d":
            for part in _split(val, ","):
                sub, _, form = part.partition("/")
                if sub not in SUBSTANCE_CLASS:
                    raise SourceError(f"{where}: unknown substance {sub!r}")
                if form and form not in FORMS:
                    raise SourceError(f"{where}: unknown form {form!r}")
                d = {"substance": sub, "class": SUBSTANCE_CLASS[sub]}
                if form:
                    d["form"] = form
                gold["drugs"].append(d)
        elif key == "o":
            for part in _split(val):
                bits = part.split()
                if len(bits) != 4 or bits[0] not in SUBSTANCE_CLASS or bits[3] not in CURRENCIES:
                    raise SourceError(f"{where}: bad offer {part!r}")
                gold["offers"].append({"substance": bits[0], "grams": _num(bits[1]), "amount": _num(bits[2]),
                                       "currency": bits[3]})
        elif key == "c":
            for part in _split(val):
                ctype, _, cval = part.partition(" ")
                if ctype not in CONTACT_TYPES:
                    raise SourceError(f"{where}: bad contact type {ctype!r}")
                cval = cval.strip()
                if ctype == "phone":
                    num = phonenumbers.parse(cval)
                    if not phonenumbers.is_valid_number(num):
                        raise SourceError(f"{where}: invalid phone {cval}")
                    cval = phonenumbers.format_number(num, phonenumbers.PhoneNumberFormat.E164)
                elif ctype == "telegram":
                    cval = "@" + cval.lstrip("@").lower()
                elif ctype == "email":
                    cval = cval.lower()
                gold["contacts"].append({"type": ctype, "value": cval})
        elif key == "p":
            for part in _split(val):
                name, _, cc = part.rpartition("/")
                if not re.fullmatch(r"[A-Z]{2}", cc):
                    raise SourceError(f"{where}: bad place {part!r}")
                gold["places"].append({"name": name, "country": cc})
        elif key in ("f", "t"):
            codes = _split(val, ",")
            for cc in codes:
                if not (re.fullmatch(r"[A-Z]{2}", cc) or cc in REGION_CODES):
                    raise SourceError(f"{where}: bad country code {cc!r}")
            gold["ships_from" if key == "f" else "ships_to"].extend(codes)
        elif key == "x":
            for part in _split(val):
                name, _, cas = part.partition("/")
                if cas and not cas_ok(cas):
                    raise SourceError(f"{where}: CAS {cas} fails its check digit")
                gold["precursors"].append({"name": name.strip(), "cas": cas.strip() or None})
        elif key == "v":
            gold["delivery"] = _split(val, ",")
        else:
            raise SourceError(f"{where}: unknown key {key!r}")

    have = {p["country"] for p in gold["places"]}
    for cc in gold["ships_from"] + gold["ships_to"]:
        if cc not in REGION_CODES and cc not in have:
            if cc not in COUNTRY_NAMES:
                raise SourceError(f"{where}: no English name for {cc}")
            gold["places"].append({"name": COUNTRY_NAMES[cc], "country": cc})
            have.add(cc)

    placeholder_contacts: list[dict[str, str]] = []

    def _fill(m: re.Match[str]) -> str:
        shown, ctype, value = gen.make(m.group(1))
        placeholder_contacts.append({"type": ctype, "value": value})
        return shown

    text = _PLACEHOLDER.sub(_fill, text)
    if "{" in text and re.search(r"\{[a-z_0-9]+\}", text):
        raise SourceError(f"{where}: unknown placeholder in text")
    gold["contacts"].extend(placeholder_contacts)
    item: dict[str, Any] = {"id": "", "text": text, "lang": lang, "gold": gold, "tags": tags}
    if title:
        item["title"] = title
    return item


def build(src_dir: Path = SRC_DIR, seed: int = 20261127) -> list[dict[str, Any]]:
    """Parse every source file (sorted by name) and return the items with stable ids."""
    gen = Gen(seed)
    items: list[dict[str, Any]] = []
    for path in sorted(src_dir.glob("*.txt")):
        raw = path.read_text(encoding="utf-8")
        blocks = re.split(r"^=== ", raw, flags=re.M)
        prefix = path.stem
        n = 0
        for chunk in blocks[1:]:
            n += 1
            item = parse_block(chunk.rstrip("\n"), f"{path.name} block {n}", gen)
            item["id"] = f"{prefix}-{n:03d}"
            items.append(item)
    return items


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = ap.parse_args(argv)
    items = build()
    with args.out.open("w", encoding="utf-8") as fh:
        for it in items:
            fh.write(json.dumps(it, ensure_ascii=False) + "\n")
    langs: dict[str, int] = {}
    tags: dict[str, int] = {}
    cats: dict[str, int] = {}
    for it in items:
        langs[it["lang"]] = langs.get(it["lang"], 0) + 1
        cats[it["gold"]["category"]] = cats.get(it["gold"]["category"], 0) + 1
        for t in it["tags"]:
            tags[t] = tags.get(t, 0) + 1
    print(f"{len(items)} items -> {args.out}", file=sys.stderr)
    print(f"langs {dict(sorted(langs.items()))}", file=sys.stderr)
    print(f"categories {dict(sorted(cats.items()))}", file=sys.stderr)
    print(f"tags {dict(sorted(tags.items()))}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
