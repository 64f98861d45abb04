"""nlp.langid: offline ru / uk / kk / en identification."""

from __future__ import annotations

import re

import pytest

from nlp.langid import detect


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Продам меф в Москве, пишите в телеграм, работаем круглосуточно", "ru"),
        ("Это не то, что вы думаете, но цена хорошая", "ru"),
        ("Продаю якісний товар, доставка по всій Україні, ціна договірна", "uk"),
        ("Є в наявності, пишіть у телеграм", "uk"),
        ("Сапалы тауар, жеткізу бүкіл Қазақстан бойынша және арзан", "kk"),
        ("Best quality cocaine, worldwide shipping, escrow only", "en"),
        ("LSD tabs 250ug, ships from NL", "en"),
        ("12345 !!! ???", "und"),
        ("", "und"),
    ],
)
def test_detect(text: str, lang: str) -> None:
    assert detect(text) == lang


def test_russian_post_with_latin_handles_stays_russian() -> None:
    assert detect("Пишите @shop_bot или t.me/shop, оплата btc") == "ru"


def _matched(pattern) -> set[str]:
    every = "".join(chr(c) for c in range(0x110000) if not 0xD800 <= c < 0xE000)
    return set(pattern.findall(every))


def test_quick_path_tables_match_the_letter_classes() -> None:
    """The byte tables of the quick path cover exactly the characters the full path's classes match."""
    from nlp import langid

    cyr = _matched(langid._CYR)
    cp1251 = {c for c in cyr if c.encode("cp1251", "ignore")}
    assert set(langid._CYR_CP1251.decode("cp1251")) == cp1251
    assert set(bytes(langid._UK_CP1251).decode("cp1251")) == _matched(langid._UK)
    assert set(langid._KK_CHARS) == _matched(langid._KK)
    assert not any(c.encode("cp1251", "ignore") for c in langid._KK_CHARS)
    assert set(langid._ODD_LATIN) == {c for c in _matched(langid._LAT) if not c.isascii()}
    assert {chr(int(r)) for r in re.findall(rb"\d+", langid._CYR_REF.pattern)} == cyr - cp1251
    ru_only = _matched(langid._RU_ONLY)
    assert set(langid._RU_ONLY_CP1251.decode("cp1251")) | {"\u1c86"} == ru_only


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Продам меф, цена 2500₽, пишите @shop_bot", "ru"),  # quick path: no Ukrainian or Kazakh letter
        ("меф qiwi btc usdt ltc eth xmr оплата", "en"),  # more Latin than Cyrillic: full path
        ("Продам товар &#1241; недорого", "ru"),  # a literal character reference is not a Kazakh letter
        ("Жеткізу бүкіл Қазақстан бойынша және арзан ₽", "kk"),
        ("\u212aelvin \u212aelvin \u212aelvin да", "en"),  # the Kelvin sign counts as a Latin letter
        ("ok", "en"),
        ("-- 42 --", "und"),
        ("Best MDMA 💊 worldwide shipping", "en"),  # no Cyrillic letter, not ASCII
        ("💊💊 ₿ 123", "und"),
    ],
)
def test_quick_path_agrees_with_the_full_path(text: str, lang: str) -> None:
    from nlp import langid

    assert detect(text) == lang
    sample = text[: langid._SAMPLE]
    quick = langid._quick(sample, sample[:1000])
    assert quick in (None, lang)
