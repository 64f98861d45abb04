"""Drug mentions through the real spaCy pipeline: lexicon, slang, brands, forms, context rules."""

from __future__ import annotations

from typing import Any

import pytest

from nlp.api import Extractor, get_extractor
from nlp.components import shared_lexicon

CLASSES = {"cannabis", "synthetic_cannabinoid", "stimulant", "empathogen", "psychedelic", "dissociative",
           "opioid", "sedative", "steroid", "precursor", "other"}


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return get_extractor()


def _drugs(extractor: Extractor, text: str, lang: str | None = None) -> list[dict[str, Any]]:
    record: dict[str, Any] = {"id": "t", "text": text}
    if lang:
        record["lang"] = lang
    return extractor.extract(record)["drugs"]


def _subs(extractor: Extractor, text: str) -> list[str]:
    return [d["substance"] for d in _drugs(extractor, text)]


def test_pipeline_is_built_from_registered_factories(extractor: Extractor) -> None:
    names = extractor.nlp.pipe_names
    assert names[:4] == ["narcowatch_normalizer", "narcowatch_langid", "narcowatch_drugs", "narcowatch_offers"]
    assert all(name.startswith("narcowatch_") for name in names)
    assert get_extractor() is extractor  # one pipeline per process


def test_lexicon_entries_use_the_contract_classes() -> None:
    lex = shared_lexicon()
    assert len(lex.entries) > 1000
    assert {e["class"] for e in lex.entries.values()} <= CLASSES
    for e in lex.entries.values():
        assert e["substance"] == e["substance"].lower()
        assert " " not in e["substance"]


def test_mention_fields_and_offsets(extractor: Extractor) -> None:
    text = "Продам меф, качество"
    (d,) = _drugs(extractor, text)
    assert d == {"substance": "mephedrone", "class": "stimulant", "nps": True, "form": None,
                 "text": "меф", "start": 7, "end": 10}
    assert text[d["start"]:d["end"]] == d["text"]


@pytest.mark.parametrize(
    ("text", "substance", "cls"),
    [
        ("есть амфетамина немного", "amphetamine", "stimulant"),
        ("в наличии мефедрона 5 гр", "mephedrone", "stimulant"),
        ("продам гашиш", "cannabis", "cannabis"),
        ("бошки свежие, 5 гр", "cannabis", "cannabis"),
        ("альфа-пвп опт", "alpha-pvp", "stimulant"),
        ("героина нет", "heroin", "opioid"),
        ("Xanax 2mg bars", "alprazolam", "sedative"),
        ("Adderall 30mg IR", "amphetamine", "stimulant"),
        ("1P-LSD blotters 150ug", "1p-lsd", "psychedelic"),
        ("Ketamine S-isomer 5g", "ketamine", "dissociative"),
        ("Isotonitazene powder", "isotonitazene", "opioid"),
        ("Etizolam 1mg x 10", "etizolam", "sedative"),
        ("5F-MDMB-PICA 10 g", "synthetic-cannabinoid", "synthetic_cannabinoid"),
        ("Trenbolone acetate 100mg/ml", "trenbolone", "steroid"),
        ("3-MMC crystals 5g", "3-mmc", "stimulant"),
    ],
)
def test_substances(extractor: Extractor, text: str, substance: str, cls: str) -> None:
    drugs = _drugs(extractor, text)
    assert drugs, text
    assert drugs[0]["substance"] == substance
    assert drugs[0]["class"] == cls


def test_nps_flag(extractor: Extractor) -> None:
    by_sub = {d["substance"]: d["nps"] for d in _drugs(extractor, "меф, кокаин, изотонитазен, этизолам")}
    assert by_sub == {"mephedrone": True, "cocaine": False, "isotonitazene": True, "etizolam": True}


@pytest.mark.parametrize(
    ("text", "substance", "form"),
    [
        ("шишки 5 гр", "cannabis", "buds"),
        ("гаш 10 гр", "cannabis", "hash"),
        ("Crack cocaine rocks 1g", "cocaine", "crack"),
        ("меф кристаллы 2г", "mephedrone", "crystal"),
        ("4-CMC pure shards 5g", "4-cmc", "crystal"),
        ("MDMA pills 200mg x 10", "mdma", "pills"),
        ("THC vape cart 1g", "cannabis", "vape"),
        ("LSD blotter 100ug", "lsd", "blotter"),
    ],
)
def test_forms(extractor: Extractor, text: str, substance: str, form: str) -> None:
    drugs = _drugs(extractor, text)
    assert [(d["substance"], d["form"]) for d in drugs][:1] == [(substance, form)]


def test_obfuscated_spellings(extractor: Extractor) -> None:
    text = "АМРНЕТAMINE, мeф, м е ф, м.е.ф, к0кс, m3th"
    drugs = _drugs(extractor, text)
    assert [d["substance"] for d in drugs] == ["amphetamine", "mephedrone", "mephedrone", "mephedrone",
                                               "cocaine", "methamphetamine"]
    assert [d["text"] for d in drugs] == ["АМРНЕТAMINE", "мeф", "м е ф", "м.е.ф", "к0кс", "m3th"]
    for d in drugs:
        assert text[d["start"]:d["end"]] == d["text"]


def test_emoji_signs(extractor: Extractor) -> None:
    text = "❄️ 1г 8000р, 🍁 5г 7000р"
    drugs = _drugs(extractor, text)
    assert [(d["substance"], d["text"]) for d in drugs] == [("cocaine", "❄"), ("cannabis", "🍁")]
    assert text[drugs[1]["start"]:drugs[1]["end"]] == "🍁"


def test_form_only_emoji_sets_the_form_of_the_drug_on_its_line(extractor: Extractor) -> None:
    (d,) = _drugs(extractor, "MDMA 💊 x10 50$")
    assert (d["substance"], d["form"]) == ("mdma", "pills")


@pytest.mark.parametrize(
    ("text", "substance"),
    [
        ("соль 1г 2500р", "alpha-pvp"),
        ("продам фен, 2 гр", "amphetamine"),
        ("скорость 0.5 г, закладки", "alpha-pvp"),
        ("speed paste 100g", "amphetamine"),
        ("Crystal meth ice 3.5g", "methamphetamine"),
        ("гера 1г", "heroin"),
        ("snow 1g $90", "cocaine"),
    ],
)
def test_ambiguous_slang_counts_with_context(extractor: Extractor, text: str, substance: str) -> None:
    assert substance in _subs(extractor, text)


@pytest.mark.parametrize(
    "text",
    [
        "соль и перец по вкусу",
        "Добавьте морскую соль в воду",
        "фен для волос Dyson, почти новый",
        "Продам фен для волос за 3 000 руб",
        "The speed of light is 300 000 km/s",
        "скорость интернета 100 мбит",
        "ice cream and snow in the mountains",
        "Кристаллы сахара и соли",
        "альфа-банк, перевод",
        "на кухне: мука, соль, сахар",
        "зимой идет снег",
        "колеса для машины 4 шт по 5000 руб",
        "лесные грибы, белые",
        "лимонная кислота 1 кг",
    ],
)
def test_ambiguous_words_in_everyday_text_are_not_drugs(extractor: Extractor, text: str) -> None:
    assert _drugs(extractor, text) == []


def test_english_street_slang_yields_to_a_named_drug(extractor: Extractor) -> None:
    assert _subs(extractor, "(1G) Colombian Cocaine Pure") == ["cocaine"]


def test_microgram_dose_without_a_name_is_blotter_lsd(extractor: Extractor) -> None:
    (d,) = _drugs(extractor, "25x 200ug THE HOLY FAMILY")
    assert (d["substance"], d["form"], d["text"]) == ("lsd", "blotter", "200ug")


# Market-title vocabulary added after the darkmarket-2021 / agora-2014 dev-set review (bench/dev_eval.py).
@pytest.mark.parametrize(
    ("text", "substance", "cls"),
    [
        ("10 x 200mg Ferrari Pills", "mdma", "empathogen"),  # ecstasy press name next to a pill word
        ("tesla pills 10 x", "mdma", "empathogen"),
        ("A-oil 100ml", "amphetamine", "stimulant"),
        ("Amfetamine olie 250 ml", "amphetamine", "stimulant"),
        ("10x Dark Magic Chocolate Bar", "psilocybin", "psychedelic"),
        ("MEXICANA MUSHROOM", "psilocybin", "psychedelic"),
        ("Liberty caps 5g", "psilocybin", "psychedelic"),
        ("2g blend / spice cannabis synthétique", "synthetic-cannabinoid", "synthetic_cannabinoid"),
        ("50 Gramm Trimmreste", "cannabis", "cannabis"),
        ("MOON ROCKS", "cannabis", "cannabis"),  # "moonrocks ctx" and "moon rocks firm" share a key
        ("GIRL SCOUT COOKIES", "cannabis", "cannabis"),
        ("STIIIZY POD", "cannabis", "cannabis"),
        ("Medibles Sour Patch 2x", "cannabis", "cannabis"),
        ("2x Stony Patch Kids", "cannabis", "cannabis"),
        ("Cut Stack - 150 mg/ml/10 ml", "testosterone", "steroid"),
        ("Follistatin 344 1mg", "peptides", "steroid"),
        ("Tianeptine sodium 50 mg capsules", "tianeptine", "opioid"),
        ("Methylfenidaat Sandoz 30 pills 10mg", "methylphenidate", "stimulant"),
        ("65G KING STRAIN KRATOM", "kratom", "opioid"),  # "strain" next to kratom is not a cannabis strain
    ],
)
def test_market_title_vocabulary(extractor: Extractor, text: str, substance: str, cls: str) -> None:
    drugs = _drugs(extractor, text)
    assert [(d["substance"], d["class"]) for d in drugs][:1] == [(substance, cls)]
    assert {d["substance"] for d in drugs} == {substance}


@pytest.mark.parametrize(
    ("text", "substances"),
    [
        ("12 Tabs 155mcg Flower of Life Gamma Goblin LSD", ["lsd"]),  # a blotter design, not cannabis flower
        ("###TEST SAMPLE 1G #High Quality Strong Heroin AAA+", ["heroin"]),  # "test sample" is not testosterone
        ("Test E 250mg 10ml", ["testosterone"]),
        ("$99/oz of HIGH QUALITY BIG BROWN BUDS", ["cannabis"]),  # buds are not absorbed by "brown"
        ("7pipe high tech glass blunt 1 x box", ["cannabis"]),  # a glass blunt is a pipe, not meth
        ("Ultimate Stimulant Pack - Coke and Speed", ["cocaine", "amphetamine"]),
        ("QP of coke $800", ["cocaine"]),  # the QP fallback only applies when nothing is named
    ],
)
def test_market_title_precedence(extractor: Extractor, text: str, substances: list[str]) -> None:
    assert _subs(extractor, text) == substances


@pytest.mark.parametrize(
    ("text", "form", "matched"),
    [
        ("Honey Grape Fruit 112g QP", "buds", "QP"),
        ("Mandarina 7gs   quarter oz", "buds", "quarter oz"),
        ("Chocolate Bar 300mg", "edible", "Chocolate"),
        ("Sour gummies 10mg x 20", "edible", "gummies"),
        ("bag of jolly ranchers, 100mg each", "edible", "ranchers"),
    ],
)
def test_units_imply_cannabis_when_no_drug_is_named(extractor: Extractor, text: str, form: str,
                                                    matched: str) -> None:
    (d,) = _drugs(extractor, text)
    assert (d["substance"], d["form"], d["text"]) == ("cannabis", form, matched)
    assert text[d["start"]:d["end"]] == matched


@pytest.mark.parametrize(
    "text",
    [
        "Ferrari 458 for $200k, red car",
        "Tesla Model 3 only $40k",
        "Rolex watch 5000$ pills",  # a pill word, but "watch" is a negative neighbour
        "Heineken beer 24 cans for 20 EUR",
        "Adidas trainers size 42, 60 EUR",
        "Superman costume for kids, 25$",
        "I need a oil change for my car",
        "Chocolate bar 100g $2",  # food is sold by the gram, THC edibles by the milligram
        "jolly ranchers 20 pcs for $3",
        "quarter pounder with cheese $5",
        "comida mexicana receta 10 g",
        "Ursocad 300mg Ursodeoxycholic Acid",
        "muscle strain in my back, 2 days",
        "Flower of Life sacred geometry poster 20$",
    ],
)
def test_market_vocabulary_false_positive_guards(extractor: Extractor, text: str) -> None:
    assert _drugs(extractor, text) == []


@pytest.mark.parametrize(
    ("text", "substance", "cls"),
    [
        ("ешки 10 шт", "mdma", "empathogen"),
        ("шмаль 5г", "cannabis", "cannabis"),
        ("ганжубас 2г", "cannabis", "cannabis"),
        ("джоинт за 500р", "cannabis", "cannabis"),
        ("маковая солома 1кг", "opium", "opioid"),
        ("феня 10 таб", "phenazepam", "sedative"),  # феня is phenazepam, not фен (amphetamine)
        ("дезоморфин", "desomorphine", "opioid"),
        ("крокодил 1г цена", "desomorphine", "opioid"),
        ("Tavor 2.5mg 20 tabs", "lorazepam", "sedative"),
        ("Kigtropin 100iu kit", "somatropin", "steroid"),
        ("Ketaset 10ml vial", "ketamine", "dissociative"),
        ("cocaína 1g", "cocaine", "stimulant"),
        ("kokaïne 1g", "cocaine", "stimulant"),
        ("heroine 1g 80 euro", "heroin", "opioid"),
        ("Metanfetamina 1g", "methamphetamine", "stimulant"),
        ("Paddos 10g", "psilocybin", "psychedelic"),
        ("wiet 5 gram", "cannabis", "cannabis"),
    ],
)
def test_more_slang_and_brands(extractor: Extractor, text: str, substance: str, cls: str) -> None:
    assert [(d["substance"], d["class"]) for d in _drugs(extractor, text)] == [(substance, cls)]


@pytest.mark.parametrize(
    "text",
    ["крокодил Гена и Чебурашка", "The heroine of the film", "сумка из кожи крокодила 5000 руб",
     "Tavor X95 rifle airsoft 300$"],
)
def test_more_slang_false_positive_guards(extractor: Extractor, text: str) -> None:
    assert _drugs(extractor, text) == []


_MEMO_TEXTS = [
    "Продам меф кристаллы 2г - 4500₽, шишки и бошки, гашиш 5г",
    "альфа пвп 1г, соль 0.5 г, доставка по городу",
    "mdma crystals 2g, xtc pills Tesla 10 tabs, weed buds",
    "asaprockymdma 1g, 250ug lsd blotter",
    "продам ❄️ 1г и 💊 экстази",
]


def _find_all(tail: str = "", lang: str = "ru") -> list[list[dict[str, Any]]]:
    from nlp.drugs import find_drugs
    from nlp.normalize import normalize

    lex = shared_lexicon()
    return [find_drugs(t + tail, normalize(t + tail, lex.knows, lex.prefixes), lex, lang) for t in _MEMO_TEXTS]


def test_word_memo_starts_afresh_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """Per-word records are bounded: a full memo is replaced, and matching goes on with the same results."""
    import uuid

    from nlp import drugs

    expected = _find_all(" zq" + uuid.uuid4().hex)  # a word no memo has seen yet, after the mentions
    assert any(expected)
    monkeypatch.setattr(drugs, "_MAX_RECS", 5)
    first = shared_lexicon().memos["ru"]
    assert _find_all(" zq" + uuid.uuid4().hex) == expected
    memo = shared_lexicon().memos["ru"]
    assert memo is not first
    assert len(memo.recs) <= max(len(set(drugs._Words(t.lower()).words)) for t in _MEMO_TEXTS) + 6


def test_words_reused_from_the_normaliser_give_the_same_mentions() -> None:
    """find_drugs reads Normalized.parts when the normaliser made them and splits the text itself otherwise."""
    from nlp.drugs import find_drugs
    from nlp.normalize import Normalized, normalize

    lex = shared_lexicon()
    for text in _MEMO_TEXTS:
        norm = normalize(text, lex.knows, lex.prefixes)
        assert norm.parts is not None
        bare = Normalized(norm.text, norm.original_length, norm.index)
        assert find_drugs(text, bare, lex, "ru") == find_drugs(text, norm, lex, "ru")
