"""`narcowatch extract` and `narcowatch eval` as installed commands (real subprocesses)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

NARCOWATCH = Path(sys.executable).parent / "narcowatch"
KEYS = {"id", "lang", "category", "category_reasons", "drugs", "offers", "contacts", "places",
        "ships_from", "ships_to", "precursors", "delivery"}
CATEGORIES = {"sale", "recruitment", "precursor", "propaganda", "laundering", "other"}

LINES = [
    {"id": "ru-1", "text": "Продам меф кристаллы 1г - 2500₽ / 2г - 4500₽, пишите @shop_bot, закладки"},
    {"id": "en-1", "title": "Cocaine 1g", "text": "Pure cocaine 1g $100, 5g $450. Ships from NL"},
    {"id": 3, "text": "соль и перец по вкусу", "lang": "ru"},
    {"id": "empty", "text": ""},
]


def _run(args: list[str], stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(NARCOWATCH), *args], input=stdin, capture_output=True, text=True,
                          timeout=timeout, check=False)


@pytest.fixture(scope="module")
def extracted() -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    stdin = "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in LINES)
    proc = _run(["extract"], stdin)
    return proc, [json.loads(line) for line in proc.stdout.splitlines()]


def test_one_output_line_per_input_in_order(extracted) -> None:
    proc, out = extracted
    assert proc.returncode == 0, proc.stderr
    assert [o["id"] for o in out] == ["ru-1", "en-1", 3, "empty"]
    assert proc.stderr == ""  # no progress output when stderr is not a terminal


def test_contract_keys_and_types(extracted) -> None:
    _, out = extracted
    for o in out:
        assert set(o) == KEYS
        assert o["category"] in CATEGORIES
        assert isinstance(o["category_reasons"], list)
        for field in ("drugs", "offers", "contacts", "places", "ships_from", "ships_to", "precursors"):
            assert isinstance(o[field], list)
        for d in o["drugs"]:
            assert set(d) >= {"substance", "class", "nps", "form", "text", "start", "end"}
        for offer in o["offers"]:
            assert set(offer) >= {"substance", "grams", "amount", "currency", "usd", "usd_per_gram"}


def test_offsets_index_the_original_text(extracted) -> None:
    _, out = extracted
    ru = out[0]
    text = LINES[0]["text"]
    assert ru["lang"] == "ru"
    assert [(d["substance"], d["text"]) for d in ru["drugs"]] == [("mephedrone", "меф")]
    d = ru["drugs"][0]
    assert text[d["start"]:d["end"]] == "меф" and d["start"] == 7
    assert [(o["grams"], o["amount"], o["currency"]) for o in ru["offers"]] == [(1.0, 2500.0, "RUB"),
                                                                                (2.0, 4500.0, "RUB")]
    for c in ru["contacts"]:
        assert text[c["start"]:c["end"]]


def test_title_is_joined_with_a_newline_before_offsets(extracted) -> None:
    _, out = extracted
    en = out[1]
    combined = LINES[1]["title"] + "\n" + LINES[1]["text"]
    assert en["lang"] == "en"
    starts = [d["start"] for d in en["drugs"]]
    assert starts[0] == 0
    for d in en["drugs"]:
        assert combined[d["start"]:d["end"]] == d["text"]
    assert any(d["start"] > len(LINES[1]["title"]) for d in en["drugs"])


def test_hard_negative_and_empty_text(extracted) -> None:
    _, out = extracted
    assert out[2]["drugs"] == [] and out[2]["offers"] == []
    assert out[2]["lang"] == "ru"
    assert out[3]["drugs"] == [] and out[3]["category"] == "other"


def test_file_argument(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(LINES[0], ensure_ascii=False) + "\n\n", encoding="utf-8")
    proc = _run(["extract", str(path)])
    assert proc.returncode == 0, proc.stderr
    (line,) = proc.stdout.splitlines()
    assert json.loads(line)["id"] == "ru-1"


def test_bad_json_names_the_line_and_answers_the_lines_before(tmp_path: Path) -> None:
    stdin = json.dumps({"id": "ok", "text": "меф"}, ensure_ascii=False) + "\n{not json\n"
    proc = _run(["extract"], stdin)
    assert proc.returncode != 0
    assert "line 2" in proc.stderr
    assert [json.loads(x)["id"] for x in proc.stdout.splitlines()] == ["ok"]
    proc = _run(["extract"], '["a list"]\n')
    assert proc.returncode != 0 and "line 1" in proc.stderr


def test_eval_prints_per_field_scores(tmp_path: Path) -> None:
    gold = [
        {"id": "g1", "text": "Продам меф 1г 2500р", "lang": "ru",
         "gold": {"category": "sale", "drugs": [{"substance": "mephedrone"}],
                  "offers": [{"substance": "mephedrone", "grams": 1.0, "amount": 2500.0, "currency": "RUB"}]}},
        {"id": "g2", "text": "соль и перец", "lang": "ru", "gold": {"category": "other", "drugs": []}},
    ]
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(g, ensure_ascii=False) + "\n" for g in gold), encoding="utf-8")
    proc = _run(["eval", "--json", str(path)])
    assert proc.returncode == 0, proc.stderr
    scores = json.loads(proc.stdout)
    assert scores["drugs"]["f1"] == pytest.approx(1.0)
    assert scores["offers"]["recall"] == pytest.approx(1.0)
    text = _run(["eval", str(path)])
    assert text.returncode == 0 and "drugs" in text.stdout
