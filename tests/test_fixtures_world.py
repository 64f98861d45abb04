"""The fixture world: deterministic, big enough, fictional, valid wallets, served correctly on loopback."""

from __future__ import annotations

import hashlib
import re
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import base58
import pytest
from bs4 import BeautifulSoup
from Crypto.Hash import keccak

from crawler.spiders._price import parse_price
from fixtures import market, telegram
from fixtures.server import FixtureServer
from fixtures.world import World

try:
    from fixtureworld import REPO, fixture_server, world  # noqa: F401  (pytest fixtures)
except ImportError:  # pragma: no cover - run from the repository root
    from tests.fixtureworld import REPO, fixture_server, world  # noqa: F401

REAL_TME = Path("/work/shared/data/pages/telegram-tme-s-html/lifemodel_telegram-test-channel.html")
SHARED_DATA = Path("/work/shared/data")


def _digest(w: World) -> str:
    h = hashlib.sha256()
    for key, (status, body) in sorted(market.render_all(w).items()):
        h.update(f"{key}\x00{status}\x00".encode() + body)
    before: int | None = None
    while True:
        page = telegram.render_page(w, before)
        h.update(page.encode())
        posts = w.posts_for_page(before)
        if posts[0].post_id == w.posts[0].post_id:
            break
        before = posts[0].post_id
    return h.hexdigest()


def test_same_seed_gives_byte_identical_pages(world: World) -> None:
    assert _digest(World.generate(seed=1)) == _digest(world)
    assert _digest(World.generate(seed=2)) != _digest(world)


def test_market_size_categories_and_pagination(world: World) -> None:
    assert len(world.listings) >= 180
    assert len({x.category for x in world.listings}) >= 3
    assert len(world.vendors) >= 5
    assert sum(world.category_pages(c.slug) for c in world.categories) > len(world.categories)
    assert {b.kind for b in world.bad_pages} == {"broken_html", "empty", "not_found"}
    assert {x.lang for x in world.listings} == {"ru", "en"}
    assert {x.currency for x in world.listings} >= {"RUB", "USD", "BTC"}
    assert len({x.substance for x in world.listings}) >= 10
    assert len({x.city for x in world.listings}) >= 8


def test_price_texts_match_ground_truth(world: World) -> None:
    notations = set()
    for item in world.listings:
        assert parse_price(item.price_text) == (item.price, item.currency), item.price_text
        notations.add(re.sub(r"\d", "9", item.price_text))
    # both thousands conventions and several currency spellings are exercised
    assert any("9.999₽" in n for n in notations) and any("9 999 руб" in n for n in notations)
    assert any(n.startswith("$") for n in notations) and any(n.endswith("USD") for n in notations)


def test_texts_have_street_names_weights_handles_and_cities(world: World) -> None:
    ru_text = " ".join(x.title + " " + x.description_html for x in world.listings if x.lang == "ru")
    for word in ("Меф", "Соль", "Шишки", "Гашиш", "Кокаин", "Героин", "Экстази", "ЛСД", "Грибы", "закладка"):
        assert word.lower() in ru_text.lower(), word
    assert re.search(r"\d+ ?(г|гр)\b", ru_text)
    assert re.search(r"@\w+_bot", ru_text)
    assert "Бишкеке" in ru_text and "Москв" in ru_text
    en_text = " ".join(x.title for x in world.listings if x.lang == "en")
    assert re.search(r"\d+ ?g\b|\d+ grams?", en_text)


def _bech32_ok(address: str) -> bool:
    charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
    hrp, _, data = address.rpartition("1")
    values = [charset.index(c) for c in data]
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp] + values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk == 1 and hrp == "bc" and values[0] == 0 and len(address) == 42


def _eth_ok(address: str) -> bool:
    raw = address[2:]
    digest = keccak.new(digest_bits=256, data=raw.lower().encode()).hexdigest()
    return all((c.upper() if int(digest[i], 16) >= 8 else c.lower()) == c for i, c in enumerate(raw) if c.isalpha())


def _wallet_ok(address: str) -> bool:
    if address.startswith("bc1"):
        return _bech32_ok(address)
    if address.startswith("0x"):
        return _eth_ok(address)
    payload = base58.b58decode_check(address)  # raises on a bad checksum
    return len(payload) == 21 and payload[0] in (0x00, 0x05, 0x41)


def test_wallets_are_checksum_valid(world: World) -> None:
    wallets = {w for x in world.listings for w in x.wallets} | {w for v in world.vendors for w in v.wallets}
    wallets |= {w for p in world.posts for w in p.wallets}
    kinds = {w[0] if not w.startswith("bc1") else "bc1" for w in wallets}
    assert kinds >= {"1", "3", "bc1", "T"}
    bad = [w for w in wallets if not _wallet_ok(w)]
    assert not bad
    # the same checks reject a corrupted address
    sample = next(w for w in wallets if w.startswith("1"))
    with pytest.raises(ValueError):
        _wallet_ok(sample[:-1] + ("2" if sample[-1] != "2" else "3"))


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared reference data not present on this machine")
def test_handles_and_wallets_are_not_from_reference_data(world: World) -> None:
    generated = {h.lstrip("@") for p in world.posts for h in p.handles}
    generated |= {v.telegram for v in world.vendors} | {x.telegram for x in world.listings if x.telegram}
    generated |= {w for x in world.listings for w in x.wallets}
    corpus = "\n".join(
        f.read_text(encoding="utf-8", errors="ignore").lower() for f in SHARED_DATA.rglob("*") if f.is_file()
    )
    leaked = [g for g in generated if g.lower() in corpus]
    assert not leaked, f"{len(leaked)} generated contacts also occur in shared/data"


def test_known_search_case(world: World) -> None:
    url, query = world.known_search_case()
    assert url == world.market_base.rstrip("/") + world.known_listing.path
    assert world.known_search_case("http://127.0.0.1:9/")[0] == "http://127.0.0.1:9" + world.known_listing.path
    item = world.known_listing
    text = (item.title + " " + item.description_html + " " + item.ships_from + " " + item.ships_to).lower()
    words = set(re.findall(r"\w+", text))
    assert "мефедрона" in words and "бишкеке" in words
    for q in query.lower().split():
        assert q not in words and not any(w.startswith(q) for w in words)
    # nobody else mentions both nouns in any form: only this listing can answer the query
    both = [x.id for x in world.listings
            if "мефедрон" in (x.title + x.description_html).lower()
            and "бишкек" in (x.title + x.description_html + x.ships_from).lower()]
    assert both == [item.id]
    assert not [p.post_id for p in world.posts if "мефедрон" in p.text.lower() and "бишкек" in p.text.lower()]


def test_channel_ground_truth(world: World) -> None:
    posts = world.real_posts
    assert len(posts) >= 60
    assert world.post_pages >= 3
    assert any(p.service for p in world.posts)
    assert any(p.forwarded_from and p.forwarded_link for p in posts)
    assert any(p.forwarded_from and not p.forwarded_link for p in posts)
    assert any(p.photos for p in posts) and any(p.edited for p in posts) and any(p.reply_to for p in posts)
    kinds = {p.kind for p in posts}
    assert {"sale", "sale_en", "recruitment", "laundering", "news"} <= kinds
    text = "\n".join(p.text for p in posts)
    assert re.search(r"1г - \d+₽ / 2г - \d+₽ / 5г - \d+₽", text)
    for word in ("закладка", "клад", "магнит", "прикоп", "кладмен", "курьер", "Обнал"):
        assert word.lower() in text.lower(), word
    ids = [p.post_id for p in world.posts]
    assert ids == sorted(set(ids))


def _classes(html: str) -> set[str]:
    soup = BeautifulSoup(html, "lxml")
    return {c for tag in soup.select("section.tgme_channel_history [class]") for c in tag["class"]}


@pytest.mark.skipif(not REAL_TME.is_file(), reason="the real t.me page (shared/data) is not on this machine")
def test_channel_markup_reuses_the_real_tme_classes(world: World) -> None:
    real = _classes(REAL_TME.read_text(encoding="utf-8"))
    ours: set[str] = set()
    before: int | None = None
    for _ in range(world.post_pages):
        ours |= _classes(telegram.render_page(world, before))
        before = world.posts_for_page(before)[0].post_id
    structural = {c for c in real if c.startswith(("tgme_widget_message", "tme_messages", "js-"))}
    structural -= {"tgme_widget_message_reactions", "tgme_widget_message_one_media", "tgme_widget_message_grouped",
                   "tgme_widget_message_grouped_layer", "tgme_widget_message_grouped_wrap", "js-message_reactions",
                   "js-message_grouped", "js-message_grouped_layer", "js-message_grouped_wrap", "js-message_media"}
    assert structural, "expected structural classes in the real page"
    assert structural <= ours, sorted(structural - ours)


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def test_server_serves_market_and_bad_pages(fixture_server: FixtureServer, world: World) -> None:
    assert fixture_server.market_url.startswith("http://127.0.0.1:")
    status, body = _get(fixture_server.market_url)
    assert status == 200 and b"nav class=\"categories\"" in body
    status, body = _get(fixture_server.market_url + "category/stimulants?page=2")
    assert status == 200 and b"a class=\"next\"" in body
    assert _get(fixture_server.market_url + "listing/9002") == (200, b"")
    assert _get(fixture_server.market_url + "listing/9003")[0] == 404
    status, body = _get(fixture_server.market_url + "listing/9001")
    assert status == 200 and b"\x00" in body
    status, body = _get(fixture_server.market_url.rstrip("/") + world.known_listing.path)
    assert status == 200 and world.known_listing.title.encode() in body


def test_server_pages_the_channel(fixture_server: FixtureServer, world: World) -> None:
    url = fixture_server.telegram_url
    assert url.endswith(f"/s/{fixture_server.channel}")
    seen: list[int] = []
    pages = 0
    while url:
        status, body = _get(url)
        assert status == 200
        pages += 1
        soup = BeautifulSoup(body, "lxml")
        ids = [int(m["data-post"].rpartition("/")[2]) for m in soup.select("div.tgme_widget_message[data-post]")]
        assert ids == sorted(ids)  # oldest to newest within a page
        seen = ids + seen
        more = soup.select_one("a.tme_messages_more[data-before]")
        url = fixture_server.telegram_url.split("/s/")[0] + more["href"] if more else ""
    assert pages == world.post_pages >= 3
    assert seen == [p.post_id for p in world.posts]


def test_server_stops_and_frees_its_ports(world: World) -> None:
    server = FixtureServer(world)
    with server:
        port = server.market_port
        assert _get(server.market_url)[0] == 200
    assert port is not None
    with pytest.raises(OSError), socket.create_connection(("127.0.0.1", port), timeout=2):
        pass


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_module_serves_market_on_a_fixed_port() -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "fixtures.server", "--port", str(port), "--only", "market"],
                            cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.strip() == f"market: http://127.0.0.1:{port}/", line + (proc.stderr.read() if proc.poll() else "")
        assert _get(f"http://127.0.0.1:{port}/")[0] == 200
    finally:
        proc.terminate()
        proc.wait(10)
