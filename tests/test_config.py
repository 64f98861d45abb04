from __future__ import annotations

from pathlib import Path

import pytest

from narcowatch.config import ConfigError, find_source, load_source_file, load_sources

ONION = "tgdfu4l5hkrp67puamdd6kugpmfhz5bbklmpzdd2xyalrigzkdlkwoqd.onion"
GOOD = f'spider = "market"\nstart_url = "http://{ONION}/"\n'


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_source_defaults_to_tor(tmp_path: Path) -> None:
    source = load_source_file(_write(tmp_path, "m.toml", GOOD))
    assert source.name == "m"
    assert source.transport == "tor"
    assert source.crawl_settings()["NARCOWATCH_TRANSPORT"] == "tor"
    assert source.spider_args() == {"source": "m", "start_url": f"http://{ONION}/"}


def test_missing_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: file not found"):
        load_source_file(tmp_path / "nope.toml")


def test_malformed_toml_names_file_and_problem(tmp_path: Path) -> None:
    path = _write(tmp_path, "bad.toml", 'spider = "market\nstart_url = 1\n')
    with pytest.raises(ConfigError, match=r"bad\.toml: malformed TOML: .*line 1"):
        load_source_file(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('start_url = "http://x/"\n', "missing required key 'spider'"),
        ('spider = "forum"\nstart_url = "http://x/"\n', "key 'spider' must be one of"),
        ('spider = "market"\nstart_url = "ftp://x/"\n', "key 'start_url' must be an http"),
        (GOOD + 'transport = "vpn"\n', "key 'transport' must be one of"),
        (GOOD + "max_pages = 0\n", "key 'max_pages' must be at least 1"),
        (GOOD + 'max_pages = "10"\n', "key 'max_pages' must be int"),
        (GOOD + 'colour = "red"\n', "unknown key 'colour'"),
        (GOOD + '[tor]\nproxies = ["socks5://127.0.0.1:9050"]\n', "must use socks5h://"),
        ('spider = "market"\nstart_url = "http://abc.onion/"\n', "unusable onion address 'abc.onion'"),
        ('spider = "market"\nstart_url = "http://expyuzz4wqqyqhjn.onion/"\n', "obsolete"),
    ],
)
def test_invalid_sources_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, "s.toml", text)
    with pytest.raises(ConfigError) as info:
        load_source_file(path)
    assert str(path) in str(info.value)
    assert message in str(info.value)


def test_duplicate_names_and_unknown_source(tmp_path: Path) -> None:
    _write(tmp_path, "a.toml", GOOD + 'name = "x"\n')
    _write(tmp_path, "b.toml", GOOD + 'name = "x"\n')
    with pytest.raises(ConfigError, match="already defined"):
        load_sources(tmp_path)
    (tmp_path / "b.toml").unlink()
    assert set(load_sources(tmp_path)) == {"x"}
    with pytest.raises(ConfigError, match=r"unknown source 'y' \(configured: x\)"):
        find_source("y", tmp_path)


def test_placeholders_are_filled(tmp_path: Path) -> None:
    path = _write(tmp_path, "d.toml", 'spider = "market"\nstart_url = "{market_url}"\ntransport = "direct"\n')
    assert load_source_file(path, {"market_url": "http://127.0.0.1:1/"}).start_url == "http://127.0.0.1:1/"
    with pytest.raises(ConfigError, match="unknown placeholder"):
        load_source_file(path, {"other": "x"})


def test_bundled_configs_are_valid() -> None:
    root = Path(__file__).resolve().parents[1] / "config"
    for path in sorted((root / "samples" / "demo").glob("*.toml")):
        assert load_source_file(path, {"market_url": "http://127.0.0.1:1/", "telegram_url": "http://127.0.0.1:1/s/c"})
    assert len(load_sources(root / "samples" / "sources")) == 2
    if (root / "sources").is_dir():
        load_sources(root / "sources")
