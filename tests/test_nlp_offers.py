"""Quantities, prices, currencies and offers (drug + grams + price + USD from the dated rates table)."""

from __future__ import annotations

from typing import Any

import pytest

from nlp.api import Extractor, get_extractor
from nlp.prices import find_prices, rates, to_usd
from nlp.quantities import find_quantities, parse_number


@pytest.fixture(scope="module")
def extractor() -> Extractor:
    return get_extractor()


def _offers(extractor: Extractor, text: str) -> list[dict[str, Any]]:
    return extractor.extract({"id": "o", "text": text})["offers"]


def _core(offers: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(o["substance"], o["grams"], o["amount"], o["currency"]) for o in offers]


@pytest.mark.parametrize(
    ("raw", "value"),
    [("5 000", 5000.0), ("5.000", 5000.0), ("5,000", 5000.0), ("1 250 000", 1250000.0), ("2,5", 2.5),
     ("0.5", 0.5), ("0,250", 0.25), ("12", 12.0), ("1.5", 1.5)],
)
def test_parse_number_both_conventions(raw: str, value: float) -> None:
    assert parse_number(raw) == value


@pytest.mark.parametrize(
    ("text", "grams", "unit"),
    [("1г", 1.0, "g"), ("2 гр", 2.0, "g"), ("0,5 g", 0.5, "g"), ("1 кг", 1000.0, "g"), ("1kg", 1000.0, "g"),
     ("250mg", 0.25, "mg"), ("500 мг", 0.5, "mg"), ("100ug", 0.0001, "ug"), ("150 мкг", 0.00015, "ug"),
     ("1 oz", 28.3495, "g"), ("10 ml", None, "ml"), ("10 tabs", None, "tab"), ("5 шт", None, "tab"),
     ("20 таб", None, "tab"), ("10 марок", None, "blotter"), ("25 blotters", None, "blotter")],
)
def test_quantities(text: str, grams: float | None, unit: str) -> None:
    (q,) = find_quantities(text.lower())
    assert q.unit == unit
    if grams is None:
        assert q.grams is None
    else:
        assert q.grams == pytest.approx(grams)


@pytest.mark.parametrize(
    ("text", "lang", "amount", "currency"),
    [("2500₽", "ru", 2500.0, "RUB"), ("5 000 руб", "ru", 5000.0, "RUB"), ("3000р", "ru", 3000.0, "RUB"),
     ("$70", "en", 70.0, "USD"), ("70 usd", "en", 70.0, "USD"), ("€45", "en", 45.0, "EUR"),
     ("120 eur", "en", 120.0, "EUR"), ("1.500 грн", "uk", 1500.0, "UAH"), ("15 000 ₸", "kk", 15000.0, "KZT"),
     ("5 000 тг", "kk", 5000.0, "KZT"), ("150 byn", "ru", 150.0, "BYN"), ("0.01 btc", "en", 0.01, "BTC"),
     ("50 usdt", "en", 50.0, "USDT"), ("0,5 xmr", "ru", 0.5, "XMR"), ("0.02 eth", "en", 0.02, "ETH"),
     ("1.2 ltc", "en", 1.2, "LTC"), ("5к", "ru", 5000.0, "RUB"), ("7k руб", "ru", 7000.0, "RUB"),
     ("5 тыс. руб", "ru", 5000.0, "RUB"), ("5k", "uk", 5000.0, "UAH")],
)
def test_prices(text: str, lang: str, amount: float, currency: str) -> None:
    (p,) = find_prices(text.lower(), lang)
    assert (p.amount, p.currency) == (amount, currency)


def test_bare_k_is_not_a_price_in_english() -> None:
    assert find_prices("5k followers", "en") == []


def test_rates_table_is_dated_and_converts() -> None:
    table = rates()
    assert table["as_of"][:2] == "20"
    assert set(table["usd_per_unit"]) >= {"RUB", "USD", "EUR", "UAH", "KZT", "BYN", "BTC", "USDT", "XMR", "ETH", "LTC"}
    assert to_usd(100.0, "USD") == 100.0
    assert to_usd(1000.0, "RUB") == pytest.approx(1000.0 * table["usd_per_unit"]["RUB"], abs=0.01)
    assert to_usd(1.0, "ZZZ") is None


def test_tiered_price_list(extractor: Extractor) -> None:
    offers = _offers(extractor, "Меф 1г - 2500₽ / 2г - 4500₽ / 5г - 10 000₽")
    assert _core(offers) == [("mephedrone", 1.0, 2500.0, "RUB"), ("mephedrone", 2.0, 4500.0, "RUB"),
                             ("mephedrone", 5.0, 10000.0, "RUB")]
    rub = rates()["usd_per_unit"]["RUB"]
    assert offers[1]["usd"] == pytest.approx(4500 * rub, abs=0.01)
    assert offers[1]["usd_per_gram"] == pytest.approx(4500 * rub / 2, abs=0.01)


def test_multi_offer_post_binds_each_line_to_its_drug(extractor: Extractor) -> None:
    text = "Прайс:\nМеф кристаллы 1г - 3000р, 2г - 5500р\nШишки АК-47 5г - 7к\nАльфа 0,5г 2 500 руб"
    assert _core(_offers(extractor, text)) == [
        ("mephedrone", 1.0, 3000.0, "RUB"), ("mephedrone", 2.0, 5500.0, "RUB"),
        ("cannabis", 5.0, 7000.0, "RUB"), ("alpha-pvp", 0.5, 2500.0, "RUB")]


def test_english_listing_offers(extractor: Extractor) -> None:
    assert _core(_offers(extractor, "Crystal Meth 2 Oz = $960")) == [
        ("methamphetamine", pytest.approx(56.699), 960.0, "USD")]
    assert _core(_offers(extractor, "Cocaine 1g $100, 5g $450")) == [
        ("cocaine", 1.0, 100.0, "USD"), ("cocaine", 5.0, 450.0, "USD")]


def test_pill_dose_is_not_the_mass_sold(extractor: Extractor) -> None:
    (offer,) = _offers(extractor, "Xanax 2mg x 30 pills 120 EUR")
    assert (offer["substance"], offer["grams"], offer["amount"], offer["currency"]) == ("alprazolam", None, 120.0, "EUR")
    assert offer["usd_per_gram"] is None
    assert offer["units"] == 30.0
    assert offer["dose_mg"] == 2.0


def test_other_currencies_in_offers(extractor: Extractor) -> None:
    assert _core(_offers(extractor, "Амф 1 гр 1.500 грн")) == [("amphetamine", 1.0, 1500.0, "UAH")]
    assert _core(_offers(extractor, "мука 2 гр 5,000 тг")) == [("mephedrone", 2.0, 5000.0, "KZT")]
    assert _core(_offers(extractor, "MDMA 10g 0.01 BTC")) == [("mdma", 10.0, 0.01, "BTC")]


def test_no_offer_without_a_drug(extractor: Extractor) -> None:
    assert _offers(extractor, "Продам велосипед 1 шт за 15 000 руб") == []


def test_bare_amounts_in_a_russian_tier_list_are_local_currency(extractor: Extractor) -> None:
    text = "Мефедрон VHQ\n1 гр - 3000\n2 гр - 5500\nЯрославль. Бот @yar_mef_bot"
    assert _core(_offers(extractor, text)) == [("mephedrone", 1.0, 3000.0, "RUB"), ("mephedrone", 2.0, 5500.0, "RUB")]
    assert _core(_offers(extractor, "Фен белый. Цена 1500 за грамм")) == [("amphetamine", 1.0, 1500.0, "RUB")]


def test_price_per_unit_of_mass(extractor: Extractor) -> None:
    assert _core(_offers(extractor, "Гаш — 2000р/гр")) == [("cannabis", 1.0, 2000.0, "RUB")]
    assert _core(_offers(extractor, "Mexican tar heroin, $90 per gram, 3.5g for $280")) == [
        ("heroin", 1.0, 90.0, "USD"), ("heroin", 3.5, 280.0, "USD")]
    (offer,) = _offers(extractor, "exotic weed $50/8th")
    assert offer["grams"] == pytest.approx(3.5437)


def test_fractions_of_an_ounce(extractor: Extractor) -> None:
    offers = _offers(extractor, "Sour Diesel buds\n1/8 oz - $35\n1/4 oz - $65\n1 oz - $220")
    assert [round(o["grams"], 2) for o in offers] == [3.54, 7.09, 28.35]


def test_wages_are_not_offers(extractor: Extractor) -> None:
    assert _offers(extractor, "Ищем закладчиков. Работа с мефом, ЗП до 5000₽ за смену") == []
    assert _offers(extractor, "Hiring couriers for our weed shop, $2000/week") == []


def test_amount_on_the_next_line_is_not_glued_to_a_count(extractor: Extractor) -> None:
    (offer,) = _offers(extractor, "Lyrica 300mg (pregabalin) x 56\n£45 for 56 capsules")
    assert (offer["amount"], offer["currency"], offer["grams"]) == (45.0, "GBP", None)


def test_hex_ids_do_not_become_prices(extractor: Extractor) -> None:
    text = "special K 1g $40. Session id 05a3bb0c917fd2e4c8d1a6e5f4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4"
    assert _core(_offers(extractor, text)) == [("ketamine", 1.0, 40.0, "USD")]


# ---------------------------------------------------------------- fast paths (same results as the plain forms)
def test_tier_amount_after_a_word_both_ways(tmp_path: Any) -> None:
    from nlp import prices

    # The one-scan regex checks "от"/"по"/"цена" at the amount's first digit; with the shipped tables no
    # match can end inside such a word, so it finds what the word regex finds.
    assert [(p.amount, p.currency, p.start) for p in find_prices("5 -от 300", "ru")] == [(300.0, "RUB", 6)]
    assert [(p.amount, p.start) for p in find_prices("меф по 2500, цена 4000", "ru")] == [(2500.0, 7), (4000.0, 18)]
    # A currency word ending in "от" makes the previous match swallow the word: the word amount must then
    # not be found (what the four-way regex does), which the fallback to the two-regex merge gives.
    data = tmp_path / "data"
    data.mkdir()
    (data / "currencies.tsv").write_text("# source: test\n-от\tXYZ\n", encoding="utf-8")
    assert [(p.amount, p.currency, p.start, p.end) for p in prices.find_prices("5 -от 300", "ru", data)] == [
        (5.0, "XYZ", 0, 5)]
    merged = [(m.start(), m.end()) for m in prices._merged_matches("5 -от 300", data)]
    assert merged == [(0, 5)]


def test_literal_alternatives_choose_like_a_plain_alternation() -> None:
    import re

    from nlp.quantities import literal_alternatives

    tokens = ["грамм", "гр", "г", "kg", "k"]
    fast = re.compile(literal_alternatives(tokens) + r"(?![^\W\d_])")
    plain = re.compile("(?:" + "|".join(tokens) + r")(?![^\W\d_])")
    for text in ["грамм", "грамма", "гр.", "г", "kg", "kgs", "k", "x", "", "ггр"]:
        assert [m.span() for m in fast.finditer(text)] == [m.span() for m in plain.finditer(text)]
    with pytest.raises(ValueError):
        literal_alternatives(["g", ""])


def test_segments_are_the_break_regex_ends() -> None:
    from nlp import offers

    texts = ["1г - 2500₽ / 2г - 4500₽", "a, b;c|d•e\nf -- g --- h", " / x", "-" * 500, ",\n" * 100, "a/b - c", ""]
    for text in texts:
        assert offers._segments(text) == [0] + [m.end() for m in offers._SEGMENT_BREAK.finditer(text)]


def test_binding_of_input_out_of_text_order() -> None:
    from nlp.offers import bind_offers

    text = "меф 1г - 2500₽ / шишки 2г - 4500₽"
    drugs = [{"substance": "mephedrone", "start": 0, "end": 3}, {"substance": "cannabis", "start": 17, "end": 22}]
    quantities = find_quantities(text)
    prices = find_prices(text, "ru")
    in_order = bind_offers(text, drugs, quantities, prices)
    assert [(o["substance"], o["grams"], o["amount"]) for o in in_order] == [
        ("mephedrone", 1.0, 2500.0), ("cannabis", 2.0, 4500.0)]
    # Mentions and quantities out of text order take the per-segment path: here, where each tier names its
    # drug, the same offers.
    assert bind_offers(text, drugs[::-1], quantities[::-1], prices) == in_order


def test_wage_words_next_to_characters_with_case_partners() -> None:
    from nlp.offers import bind_offers

    drugs = [{"substance": "cannabis", "start": 0, "end": 4}]
    for text in ["weed $2000/wee\u212a", "weed ЗП 5000₽", "weed \u0130 salary 5000₽"]:  # Kelvin k, dotted I
        assert bind_offers(text, drugs, find_quantities(text.lower()), find_prices(text.lower(), "ru")) == []
    text = "weed 1g $40 \u0130"
    assert [o["amount"] for o in bind_offers(text, drugs, find_quantities(text.lower()), find_prices(text.lower()))] == [
        40.0]


def test_case_safe_characters_of_the_wage_check_lower_like_ignorecase() -> None:
    import re

    from nlp import offers

    letters = "".join(c for c in map(chr, [*range(0x80), *range(0x400, 0x500)]) if c.isalpha())
    any_letter = re.compile("[" + re.escape(letters) + "]", re.IGNORECASE)
    for c in map(chr, range(0x110000)):
        if offers._NOT_SAFE_RE.match(c) is not None:
            continue
        assert len(c.lower()) == 1
        if not (c.isascii() or "\u0400" <= c <= "\u04ff"):
            assert c.lower() == c == c.upper() and any_letter.match(c) is None, hex(ord(c))


def test_any_digit_is_exactly_a_decimal_digit() -> None:
    import re

    from nlp.quantities import ANY_DIGIT

    # ANY_DIGIT's ranges hold every \d: no decimal digit lies between ASCII and U+0660.
    assert not [hex(c) for c in range(0x80, 0x660) if chr(c).isdecimal()]
    digit = re.compile(ANY_DIGIT)
    for c in ["0", "9", "\u0660", "\u0969", "\uff15", "\U0001d7d3", "a", "₽", "\u00b2", "\u2460", "\U0001f600"]:
        assert (digit.fullmatch(c) is not None) == (re.fullmatch(r"\d", c) is not None), repr(c)
    assert [(q.value, q.unit) for q in find_quantities("\u0662\u0665 g, ５ мг")] == [(25.0, "g"), (5.0, "mg")]


def test_number_look_ahead_keeps_long_numbers_and_stays_linear() -> None:
    import time

    # The unit can lie past the look-ahead's bound: the look-ahead passes, the full pattern decides.
    text = "1 000 000 000 000 000 000 000 g"
    (q,) = find_quantities(text)
    assert (q.value, q.unit, q.start, q.end) == (1e21, "g", 0, len(text))
    (p,) = find_prices("1 000 000 000 000 000 000 000 руб", "ru")
    assert p.amount == 1e21
    # Digit runs with blanks are bounded work per digit, not a scan to the end of the run per digit.
    t0 = time.process_time()
    assert find_quantities("1 " * 100_000) == [] and find_prices("1 " * 100_000, "ru") == []
    assert time.process_time() - t0 < 5.0


def test_fast_constructors_build_the_same_frozen_objects() -> None:
    import dataclasses

    from nlp.prices import Price, _new_price
    from nlp.quantities import Quantity, _new_quantity, slot_setters

    q, fast_q = Quantity(0.5, "g", 0.5, 3, 8), _new_quantity(0.5, "g", 0.5, 3, 8)
    p, fast_p = Price(2500.0, "RUB", 9, 14), _new_price(2500.0, "RUB", 9, 14)
    for slow, fast in ((q, fast_q), (p, fast_p)):
        assert type(fast) is type(slow) and fast == slow and hash(fast) == hash(slow)
        assert dataclasses.astuple(fast) == dataclasses.astuple(slow)
        with pytest.raises(dataclasses.FrozenInstanceError):
            fast.start = 0  # type: ignore[misc]
    assert fast_q != Quantity(0.5, "g", 0.5, 3, 9) and find_quantities("1г")[0] == Quantity(1.0, "g", 1.0, 0, 2)
    with pytest.raises(ValueError):
        slot_setters(Quantity, ("value", "unit"))
