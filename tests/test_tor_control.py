"""TorController against a real tor: the private network's client (session fixture)."""

from __future__ import annotations

import os
import queue
import time
from pathlib import Path

import pytest

from crawler.tor.control import TorControlError, TorController

try:
    import tornet  # tests/ is on sys.path under pytest (as for tests/fixtureworld.py)
except ImportError:  # pragma: no cover - imported as a package from the repository root
    from tests import tornet  # type: ignore[no-redef]

pytestmark = [pytest.mark.tor, pytest.mark.timeout(240)]
tor_network = tornet.tor_network


def _signal_events(net: tornet.TorNetwork) -> tuple[object, queue.Queue[str]]:
    """A separate stem connection that records tor's SIGNAL events (tor emits one per NEWNYM it handles)."""
    from stem.control import Controller, EventType

    events: queue.Queue[str] = queue.Queue()
    watcher = Controller.from_port(address="127.0.0.1", port=net.control_port)
    watcher.authenticate()
    watcher.add_event_listener(lambda ev: events.put(str(ev.signal)), EventType.SIGNAL)
    return watcher, events


def test_newnym_is_sent_then_rate_limited(tor_network: tornet.TorNetwork) -> None:
    watcher, events = _signal_events(tor_network)
    try:
        ctl = TorController(tor_network.control_port, cookie_path=str(tor_network.client_cookie_path))
        with ctl:
            assert ctl.newnym() is True
            assert events.get(timeout=10) == "NEWNYM"  # tor really received it
            # within tor's 10 s window: not sent, by this controller or any other one for the same tor
            assert ctl.newnym() is False
            assert TorController(tor_network.control_port).newnym() is False
            assert 0 < ctl.seconds_until_newnym() <= 10
            with pytest.raises(queue.Empty):
                events.get(timeout=1.5)
    finally:
        watcher.close()  # type: ignore[attr-defined]


def test_newnym_allowed_again_after_the_interval(tor_network: tornet.TorNetwork) -> None:
    # a short interval (instead of waiting 10 s) shows the limiter lets the next signal through
    ctl = TorController(tor_network.control_port, newnym_interval=0.5)
    with ctl:
        time.sleep(0.6)
        assert ctl.newnym() is True
        assert ctl.newnym() is False
        time.sleep(0.6)
        assert ctl.seconds_until_newnym() == 0.0
        assert ctl.newnym() is True


def test_bootstrap_circuit_and_liveness(tor_network: tornet.TorNetwork) -> None:
    with TorController(tor_network.control_port, cookie_path=str(tor_network.client_cookie_path)) as ctl:
        assert ctl.is_alive()
        assert ctl.bootstrap_progress() == 100
        assert ctl.circuit_established() is True
        assert ctl.version().startswith("0.4.")


def test_dead_control_port_is_reported_not_raised_by_is_alive() -> None:
    ctl = TorController(tornet.free_port())
    assert ctl.is_alive() is False
    with pytest.raises(TorControlError, match="unreachable"):
        ctl.newnym()


def test_wrong_cookie_fails_authentication(tor_network: tornet.TorNetwork, tmp_path: Path) -> None:
    bogus = tmp_path / "cookie"
    bogus.write_bytes(os.urandom(32))
    ctl = TorController(tor_network.control_port, cookie_path=str(bogus))
    assert ctl.is_alive() is False
    with pytest.raises(TorControlError, match="authentication"):
        ctl.bootstrap_progress()
