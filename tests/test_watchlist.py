from __future__ import annotations

from pathlib import Path

import pytest

from alerts.watchlist import load_watchlist
from narcowatch.config import ConfigError

SAMPLE = Path(__file__).resolve().parents[1] / "config" / "watchlists" / "sample.toml"


def _item(**nlp: object) -> dict[str, object]:
    return {"id": "x", "kind": "listing", "source": "s", "title": "", "description": "", "nlp": nlp}


def test_sample_watchlist_rules() -> None:
    wl = load_watchlist(SAMPLE)
    hits = wl.evaluate(_item(category="sale", drugs=[{"substance": "mephedrone", "class": "stimulant", "nps": True}],
                             places=[{"name": "Bishkek", "country": "KG"}]))
    assert {rule.id for rule, _ in hits} == {"nps-stimulants", "central-asia-sales"}
    assert wl.evaluate(_item(category="other", drugs=[])) == []


def test_price_rule_uses_usd_per_gram() -> None:
    wl = load_watchlist(SAMPLE)
    cheap = _item(category="sale", drugs=[{"substance": "cocaine", "class": "stimulant"}],
                  offers=[{"substance": "cocaine", "usd_per_gram": 45.0}])
    dear = _item(category="sale", drugs=[{"substance": "cocaine", "class": "stimulant"}],
                 offers=[{"substance": "cocaine", "usd_per_gram": 120.0}])
    assert "cheap-cocaine" in {r.id for r, _ in wl.evaluate(cheap)}
    assert "cheap-cocaine" not in {r.id for r, _ in wl.evaluate(dear)}


def test_keywords_match_any_inflection(tmp_path: Path) -> None:
    path = tmp_path / "w.toml"
    path.write_text('[[rules]]\nid = "k"\nkeywords = ["закладка"]\n', encoding="utf-8")
    wl = load_watchlist(path)
    item = {"id": "x", "kind": "channel_post", "text": "Ищем людей для раскладки закладок", "nlp": {}}
    assert [r.id for r, _ in wl.evaluate(item)] == ["k"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name = 1\n[[rules]]\nid='a'\nclasses=['opioid']\n", "key 'name' must be a string"),
        ("[[rules]]\ndescription='x'\n", "rules[0] is missing key 'id'"),
        ("[[rules]]\nid='a'\n", "sets no condition"),
        ("[[rules]]\nid='a'\nclasses='opioid'\n", "key 'classes' must be a list"),
        ("[[rules]]\nid='a'\nclasses=['opioid']\ncolour=1\n", "unknown key 'colour'"),
        ("[[rules]]\nid='a'\nclasses=['x']\n[[rules]]\nid='a'\nclasses=['y']\n", "used twice"),
        ("rules = 3\n", "non-empty array"),
    ],
)
def test_bad_watchlists_name_file_and_problem(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "w.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_watchlist(path)
    assert str(path) in str(info.value) and message in str(info.value)
