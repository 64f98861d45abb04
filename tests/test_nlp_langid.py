"""nlp.langid: offline ru / uk / kk / en identification."""

from __future__ import annotations

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
