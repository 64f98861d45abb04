"""nlp.precursors: CAS check digits, names and synonyms in English and Russian (inflected), bare CAS."""

from __future__ import annotations

import csv
import re
import time
import uuid
from pathlib import Path

import pytest

from nlp import precursors
from nlp.precursors import find_precursors, precursor_table, valid_cas

_SEED_REL = Path("data/lexicons/precursors-incb-tables/precursors_incb_tables.csv")
# shared/ sits beside the repository (CI lays a copy there); /work/shared on a developer machine
SEED = next(
    (p for p in (Path(__file__).resolve().parents[2] / "shared" / _SEED_REL, Path("/work/shared") / _SEED_REL)
     if p.is_file()),
    Path("/work/shared") / _SEED_REL,
)


@pytest.mark.parametrize(
    "cas", ["7732-18-5", "50-00-0", "64-17-5", "108-24-7", "2167189-50-4", "1609-66-1", "41232-97-7"]
)
def test_valid_cas(cas: str) -> None:
    assert valid_cas(cas)


@pytest.mark.parametrize(
    "cas", ["1609-66-5", "7732-18-4", "108-24-8", "123-4-5", "1-23-4", "12345678-12-1", "abc", "", "108 24 7"]
)
def test_invalid_cas(cas: str) -> None:
    assert not valid_cas(cas)


def test_every_cas_in_the_data_file_passes_its_check_digit() -> None:
    table = precursor_table()
    assert len(table) >= 50
    for entry in table:
        assert entry.table in ("I", "II", "watch"), entry
        if entry.cas is not None:
            assert valid_cas(entry.cas), entry


def test_norfentanyl_seed_cas_is_flagged_and_corrected() -> None:
    norfentanyl = next(p for p in precursor_table() if p.name == "norfentanyl")
    assert norfentanyl.cas == "1609-66-1"
    assert "1609-66-5" in norfentanyl.note
    assert not valid_cas("1609-66-5")
    assert find_precursors("CAS 1609-66-5") == []  # the seed's typo is not a CAS number


@pytest.mark.skipif(not SEED.exists(), reason="shared seed table not present")
def test_every_seed_chemical_is_covered() -> None:
    ours = {p.cas for p in precursor_table()}
    with SEED.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            for cas in re.findall(r"\d{2,7}-\d{2}-\d", row["cas"]):
                if valid_cas(cas):
                    assert cas in ours, row["name"]


def test_data_file_has_provenance() -> None:
    first = precursors._DATA.read_text(encoding="utf-8").splitlines()[0]
    assert first.startswith("# source:")


@pytest.mark.parametrize(
    ("text", "name", "table"),
    [
        ("Продам эфедрин оптом", "ephedrine", "I"),
        ("куплю псевдоэфедрина гидрохлорид", "pseudoephedrine", "I"),
        ("есть псевдоэфедрин", "pseudoephedrine", "I"),
        ("сафрол в наличии", "safrole", "I"),
        ("торгую сафролом", "safrole", "I"),
        ("ацетон 20 литров", "acetone", "II"),
        ("толуола много", "toluene", "II"),
        ("серную кислоту", "sulphuric acid", "II"),
        ("с соляной кислотой", "hydrochloric acid", "II"),
        ("перманганат калия", "potassium permanganate", "I"),
        ("марганцовку", "potassium permanganate", "I"),
        ("уксусного ангидрида 100 л", "acetic anhydride", "I"),
        ("фенилацетон", "phenylacetone", "I"),
        ("P2P oil", "phenylacetone", "I"),
        ("P-2-P", "phenylacetone", "I"),
        ("БМК в наличии", "phenylacetone", "I"),
        ("BMK oil", "phenylacetone", "I"),
        ("1-фенил-2-нитропропена 5 кг", "1-phenyl-2-nitropropene", "watch"),
        ("P2NP crystals", "1-phenyl-2-nitropropene", "watch"),
        ("NPP 1kg", "npp", "I"),
        ("ANPP", "4-anpp", "I"),
        ("4-ANPP powder", "4-anpp", "I"),
        ("ПМК глицидат", "pmk glycidic acid", "I"),
        ("PMK glycidate", "pmk glycidic acid", "I"),
        ("BMK glycidate", "bmk glycidic acid", "I"),
        ("BMK methyl glycidate", "bmk methyl glycidate", "I"),
        ("норфентанила", "norfentanyl", "I"),
        ("3,4-MDP-2-P", "pmk", "I"),
        ("gamma-butyrolactone (GBL)", "gamma-butyrolactone", "watch"),
        ("красный фосфор", "red phosphorus", "watch"),
        ("бромкетон-4 для синтеза", "2-bromo-4'-methylpropiophenone", "watch"),
        ("2-бромвалерофенон", "2-bromovalerophenone", "watch"),
        ("acetic anhydride", "acetic anhydride", "I"),
        ("Safrole oil", "safrole", "I"),
    ],
)
def test_names_and_synonyms(text: str, name: str, table: str) -> None:
    hits = find_precursors(text)
    assert hits, text
    assert hits[0]["name"] == name
    assert hits[0]["table"] == table
    assert hits[0]["cas"] is not None and valid_cas(hits[0]["cas"])


def test_every_synonym_in_the_data_file_finds_its_own_row() -> None:
    for line in precursors._DATA.read_text(encoding="utf-8").splitlines()[2:]:
        name, _cas, _table, names, _note = (line.split("\t") + [""] * 5)[:5]
        for synonym in names.split("|"):
            surface = synonym.lstrip("=")
            hits = find_precursors(f"продаю {surface} недорого")
            assert hits and hits[0]["name"] == name, (synonym, hits)


def test_bare_cas_numbers() -> None:
    text = "CAS 80532-66-7 in stock, also 102-97-6 and 28578-16-7"
    hits = find_precursors(text)
    assert [(h["name"], h["cas"]) for h in hits] == [
        ("bmk methyl glycidate", "80532-66-7"),
        ("pmk ethyl glycidate", "28578-16-7"),
    ]  # 102-97-6 (benzylisopropylamine) is a valid CAS number but not a listed precursor
    for h in hits:
        assert text[h["start"] : h["end"]] == h["cas"]


def test_offsets_and_order() -> None:
    text = "Продам уксусный ангидрид, а также 4-ANPP и ацетон"
    hits = find_precursors(text)
    assert [h["name"] for h in hits] == ["acetic anhydride", "4-anpp", "acetone"]
    assert [text[h["start"] : h["end"]] for h in hits] == ["уксусный ангидрид", "4-ANPP", "ацетон"]


@pytest.mark.parametrize(
    "text",
    [
        "прямой эфир начнётся в 8 вечера",
        "npp and bmk written in lower case are not the abbreviations",
        "the MEKong river",
        "мы на связи 24/7, телефон 8-800-555-35-35",
        "дата 2021-11-09",
    ],
)
def test_no_false_positives(text: str) -> None:
    assert find_precursors(text) == []


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "text",
    ["1" * 1_000_000, "1-" * 300_000, "ацетон " * 100_000, "фенил-" * 150_000, "x" * 1_000_000, "🧪" * 100_000],
)
def test_hostile_text_finishes(text: str) -> None:
    start = time.monotonic()
    find_precursors(text)
    assert time.monotonic() - start < 60


def test_explicit_cas_after_a_generic_name_wins() -> None:
    hits = find_precursors("Selling BMK glycidate (CAS 41232-97-7), 1kg")
    assert [(h["name"], h["cas"]) for h in hits] == [("bmk ethyl glycidate", "41232-97-7")]


def test_names_inside_longer_chemical_names_do_not_match() -> None:
    hits = find_precursors("Продаём 1-бензил-4-пиперидон и 4-ANPP")
    assert [h["name"] for h in hits] == ["1-benzyl-4-piperidone", "4-anpp"]


def test_lower_case_p2p_is_peer_to_peer() -> None:
    assert find_precursors("прогоняем через p2p обменники") == []
    assert [h["name"] for h in find_precursors("P2P в наличии")] == ["phenylacetone"]


def test_npp_near_steroid_words_is_nandrolone_not_the_fentanyl_precursor() -> None:
    assert find_precursors("Cerberus Pharma Nandrotest Testosterone NPP 100mg/ml") == []
    assert [h["name"] for h in find_precursors("NPP и ANPP оптом")] == ["npp", "4-anpp"]


def test_word_memo_starts_afresh_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """The per-word starter memo is bounded: when full it is replaced, and the hits stay the same."""
    texts = ["Продаём сафрол и 1-фенил-2-нитропропен, CAS 94-59-7", "P-2-P and BMK glycidate (CAS 41232-97-7)",
             "ацетон, толуол, серная кислота оптом"]
    expected = [find_precursors(t + " zq" + uuid.uuid4().hex) for t in texts]  # new words after the names
    assert all(expected)
    monkeypatch.setattr(precursors, "_MAX_SEEN", 4)
    first = precursors._MEMO
    assert [find_precursors(t + " zq" + uuid.uuid4().hex) for t in texts] == expected
    assert precursors._MEMO is not first
    assert len(precursors._MEMO[0]) <= 5 + max(len(set(re.findall(r"[^\W_]+", t))) for t in texts)


@pytest.mark.parametrize(
    "text",
    [
        "Продаём сафрол и 1-ФЕНИЛ-2-НИТРОПРОПЕН, CAS 94-59-7",
        "P-2-P and BMK glycidate (CAS 41232-97-7)",
        "NPP next to testosterone",  # a case-kept name: the original spelling is split again
        "npp and bmk written in lower case are not the abbreviations",
        "АЦЕТОН, толуол и серная кислота оптом",
        "ΑΣ ацетон Σ",  # final sigma lower-cases by context: still one character each
        "купить ｍｄｍａ и ацетон",  # NFKC changed the text: its split is not lent
        "",
    ],
)
def test_normalised_split_gives_the_same_hits(text: str) -> None:
    """find_precursors(text, norm) borrows the normaliser's split when norm.text is text.lower()."""
    from nlp.components import shared_lexicon
    from nlp.normalize import normalize

    lex = shared_lexicon()
    norm = normalize(text, lex.knows, lex.prefixes)
    if norm.lowered:
        assert norm.text == text.lower() and norm.index is None
    assert find_precursors(text, norm) == find_precursors(text)
