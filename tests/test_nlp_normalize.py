"""nlp.normalize: folding, leetspeak, split letters, and offsets that point into the original."""

from __future__ import annotations

import re

import pytest

from nlp.components import shared_lexicon
from nlp.normalize import normalize


@pytest.fixture(scope="module")
def knows():
    return shared_lexicon().knows


def _orig(text: str, norm, start: int, end: int) -> str:
    s, e = norm.span(start, end)
    return text[s:e]


def test_ascii_is_lower_cased_without_an_offset_map() -> None:
    norm = normalize("Buy MDMA Now")
    assert norm.text == "buy mdma now"
    assert norm.index is None
    assert norm.span(4, 8) == (4, 8)


def test_latin_letter_inside_cyrillic_word_is_folded(knows) -> None:
    text = "продам мeф"  # Latin "e"
    norm = normalize(text, knows)
    assert "меф" in norm.text
    assert norm.text.index("меф") == text.index("мeф")


def test_mixed_caps_word_folds_to_latin_when_cyrillic_cannot_hold_it() -> None:
    norm = normalize("АМРНЕТAMINE")  # Cyrillic А М Р Н Е Т + Latin AMINE
    assert norm.text == "amphetamine"


def test_leetspeak_between_letters_only() -> None:
    assert normalize("m3th").text == "meth"
    assert normalize("к0кс").text == "кокс"
    # digits that start or end a token are part of names and numbers
    assert normalize("4-mmc 2c-b 25i").text == "4-mmc 2c-b 25i"


def test_split_letters_are_joined_when_they_spell_a_known_word(knows) -> None:
    text = "есть м е ф и м.е.ф"
    norm = normalize(text, knows)
    assert norm.text == "есть меф и меф"
    first = norm.text.index("меф")
    assert _orig(text, norm, first, first + 3) == "м е ф"
    second = norm.text.rindex("меф")
    assert _orig(text, norm, second, second + 3) == "м.е.ф"


def test_unknown_split_letters_stay_apart(knows) -> None:
    assert normalize("a b c d", knows).text == "a b c d"


def test_nfkc_and_invisible_characters_keep_offsets(knows) -> None:
    text = "купить ｍｄｍａ и ме\u200bф"  # fullwidth letters, zero-width space
    norm = normalize(text, knows)
    assert "mdma" in norm.text
    assert "меф" in norm.text
    i = norm.text.index("mdma")
    assert _orig(text, norm, i, i + 4) == "ｍｄｍａ"
    j = norm.text.index("меф")
    assert _orig(text, norm, j, j + 3) == "ме\u200bф"


def test_combining_mark_is_composed() -> None:
    norm = normalize("и\u0306од")  # и + combining breve
    assert norm.text == "йод"
    assert norm.span(0, 3) == (0, 4)


def _random_texts(seed: int, count: int) -> list[str]:
    import random

    rng = random.Random(seed)
    pieces = ["м", "е", "ф", "a", "b", "1", "2", "²", "мeф", "qiwi", "меф", "kрасный", "x", "з", "ab", "аб", "_",
              " ", "  ", ".", "-", ". ", "*", "|", "\n", ",", "@", "мефa", "ab-вг", "a1b"]
    return ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 40))) for _ in range(count)]


def test_split_letter_gate_never_hides_a_run() -> None:
    """The word-split gate says "no run" only when the split-letter regex finds none."""
    from nlp import normalize as nz

    texts = _random_texts(1, 4000) + ["м е ф", "1 2 3", "а 1 б в г", "x.y.z", "м  е  ф", "м   е ф", "² ² ²",
                                      "x" * 300 + " м е ф " + "y" * 70_000, "1 " * 100 + "м е ф"]
    for text in texts:
        parts = nz._WORD_SPLIT.split(text)
        assert parts == re.split(r"([\W_]+)", text)
        if nz._SPLIT_LETTERS.search(text) is not None:
            assert nz._may_split_letters(parts), text
    assert not nz._may_split_letters(nz._WORD_SPLIT.split("1 2 3 в городе"))


def test_normalized_parts_split_the_normalised_text(knows) -> None:
    for text in ["продам мeф 2500₽", "есть м е ф и м.е.ф", "", "  -- ", "p@ss m3th"]:
        norm = normalize(text, knows)
        assert norm.parts is None or norm.parts == re.split(r"([\W_]+)", norm.text)


def test_mixed_words_found_from_latin_runs_as_from_letter_pairs() -> None:
    """_fold_mixed visits the Latin runs; the words it folds are those holding a Latin/Cyrillic letter pair."""
    from nlp import normalize as nz

    def by_pairs(text: str) -> str:
        out, last = [], 0
        for m in nz._MIXED_PAIR.finditer(text):
            start, end = nz._word_at(text, m.start())
            if m.start() < last or start < last:
                continue
            out += [text[last:start], nz._fold_word(text[start:end])]
            last = end
        return "".join([*out, text[last:]]) if out else text

    for text in _random_texts(2, 4000) + ["мeф", "aмb", "ab мe cd", "kрасный a"]:
        low = text.lower()
        assert nz._fold_mixed(low) == by_pairs(low), low


def _char_level_one_by_one(text: str) -> tuple[str, list[int] | None]:
    """The per-character reference: NFKC, invisible removal, lower-casing, combining marks composed."""
    import unicodedata

    from nlp import normalize as nz

    out: list[str] = []
    index: list[int] = []
    for pos, ch in enumerate(text):
        if ch in nz._INVISIBLE:
            continue
        if 0x1F130 <= ord(ch) <= 0x1F189:
            out.append(chr(ord("a") + (ord(ch) - 0x1F130) % 26))
            index.append(pos)
            continue
        norm = unicodedata.normalize("NFKC", ch).lower()
        if unicodedata.combining(ch) and out:
            composed = unicodedata.normalize("NFC", out[-1] + ch)
            if len(composed) == 1:
                out[-1] = composed
            continue
        for piece in norm:
            out.append(piece)
            index.append(pos)
    return "".join(out), index


def test_runs_of_plain_characters_match_the_per_character_path() -> None:
    """_char_level lower-cases runs of plain characters at once and must equal the one-by-one path."""
    import random

    from nlp import normalize as nz

    rng = random.Random(5)
    pool = list("aZмЁ1 .\n") + ["\u0306", "\u0301", "Σ", "İ", "ß", "ﬁ", "Ｍ", "①", "²", "\u200b", "\ufe0f", "\u00ad",
                                "🄼", "😀", "\U00030001", "ǅ", "ẞ", "\u0345", "\u2126", "\u212a", "㎏", "\u00a0"]
    texts = ["".join(rng.choice(pool) for _ in range(rng.randint(1, 30))) for _ in range(3000)]
    texts += ["a" + chr(cp) + "b" + chr(cp) + "\u200b" for cp in range(0x80, 0x30100, 11)]
    for text in texts:
        got = nz._char_level(text)
        if got[1] is not None:  # the fast paths (no offset map) are checked by the snapshot
            assert got == _char_level_one_by_one(text), repr(text)


def test_bmp_split_equals_the_unicode_word_split() -> None:
    """The explicit BMP class splits every character as ``[\\W_]`` does; astral text and lone surrogates
    (which the explicit class gets wrong or cannot gate) take the Unicode pattern."""
    import nlp.normalize as nz

    split = nz._bmp_split()
    for cp in range(0x10000):
        ch = chr(cp)
        text = f"ab{ch}cd {ch}-{ch}"
        assert split(text) == nz._WORD_SPLIT.split(text), hex(cp)
    for text in ["мeф 𝐀𝐁 x", "a\ud800b c", "продам 😀 меф", "𐌰𐌱 b", "２５００₽ г."]:
        assert nz._split_words(text) == nz._WORD_SPLIT.split(text)


def test_cyrillic_char_set_equals_the_cyrillic_class() -> None:
    import nlp.normalize as nz

    assert {chr(cp) for cp in range(0x110000) if nz._CYRILLIC.match(chr(cp))} == nz._CYRILLIC_CHARS
