"""`narcowatch tor start|status|stop` end to end, with real tor processes joining the private network."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from crawler.tor.launcher import TorLauncher, pid_alive
from narcowatch.cli import cli

try:
    import tornet  # tests/ is on sys.path under pytest (as for tests/fixtureworld.py)
except ImportError:  # pragma: no cover - imported as a package from the repository root
    from tests import tornet  # type: ignore[no-redef]

pytestmark = [pytest.mark.tor, pytest.mark.timeout(240)]
tor_network = tornet.tor_network


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    d = tmp_path / "torstate"
    yield d
    TorLauncher(d).stop_all()  # whatever a failing test left running


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["tor", *args], catch_exceptions=False)
    return result.exit_code, result.output


def test_start_two_status_stop(tor_network: tornet.TorNetwork, state_dir: Path, tmp_path: Path) -> None:
    extra = tmp_path / "private-net.torrc"
    extra.write_text("# join the test network\n" + "\n".join(tor_network.client_torrc_lines()) + "\n")

    # a real `narcowatch tor start` process: the tor processes must outlive it
    proc = subprocess.run(
        [sys.executable, "-m", "narcowatch", "tor", "start", "-n", "2", "--state-dir", str(state_dir),
         "--torrc-extra", str(extra), "--timeout", "120"],
        capture_output=True, text=True, timeout=150,
    )
    out = proc.stdout
    assert proc.returncode == 0, proc.stdout + proc.stderr
    state = json.loads((state_dir / "state.json").read_text())
    insts = state["instances"]
    assert [i["name"] for i in insts] == ["tor0", "tor1"]
    pids = [i["pid"] for i in insts]
    assert all(pid_alive(p) for p in pids)  # detached: they outlive the command
    for inst in insts:
        assert f"socks5h://127.0.0.1:{inst['socks_port']}" in out
    assert "100%" in out
    proxies = ",".join(f"socks5h://127.0.0.1:{i['socks_port']}" for i in insts)
    assert f"NARCOWATCH_TOR_PROXIES={proxies}" in out

    # both really carry traffic to the onion service
    for inst in insts:
        status, _ = tornet.socks_http_get_retry(
            inst["socks_port"], tor_network.onion_hostname, tornet.READY_PATH, port=81)
        assert status == 200

    code, out = _run("status", "--state-dir", str(state_dir), "--json")
    assert code == 0, out
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["name"] for r in rows] == ["tor0", "tor1"]
    for row, inst in zip(rows, insts, strict=True):
        assert row["alive"] and row["control_ok"] and row["bootstrap"] == 100
        assert row["circuit_established"] is True
        assert (row["socks_port"], row["control_port"], row["pid"]) == (
            inst["socks_port"], inst["control_port"], inst["pid"])

    code, out = _run("status", "--state-dir", str(state_dir))
    assert code == 0 and "tor1" in out and "100%" in out

    code, out = _run("stop", "--state-dir", str(state_dir))
    assert code == 0
    assert "stopped tor0" in out and "stopped tor1" in out
    assert not any(pid_alive(p) for p in pids)
    assert not (state_dir / "state.json").exists()
    code, out = _run("status", "--state-dir", str(state_dir))
    assert code == 1 and "no tor instances" in out


def test_attach_existing_tor_is_reported_and_never_stopped(
    tor_network: tornet.TorNetwork, state_dir: Path
) -> None:
    code, out = _run("start", "--state-dir", str(state_dir), "--socks", str(tor_network.socks_port),
                     "--control", str(tor_network.control_port), "--timeout", "30")
    assert code == 0, out
    assert f"socks5h://127.0.0.1:{tor_network.socks_port}" in out

    code, out = _run("status", "--state-dir", str(state_dir), "--json")
    (row,) = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and row["external"] and row["alive"] and row["bootstrap"] == 100

    code, out = _run("stop", "--state-dir", str(state_dir))
    assert code == 0 and "left running" in out
    assert tor_network.client.proc is not None and tor_network.client.proc.poll() is None
    status, _ = tornet.socks_http_get_retry(
        tor_network.socks_port, tor_network.onion_hostname, tornet.READY_PATH, port=81)
    assert status == 200


def test_attach_refuses_a_dead_socks_port(state_dir: Path) -> None:
    code, out = _run("start", "--state-dir", str(state_dir), "--socks", str(tornet.free_port()))
    assert code == 1 and "nothing listens" in out
    assert not (state_dir / "state.json").exists()


@pytest.mark.skipif(not tornet.tor_available(), reason="tor not installed (Debian package 'tor')")
def test_foreground_supervisor_restarts_a_killed_tor_and_stops_on_sigterm(state_dir: Path, tmp_path: Path) -> None:
    """`tor start --foreground`: a tor killed behind its back comes back; SIGTERM stops everything."""
    import os
    import signal
    import time

    extra = tmp_path / "offline.torrc"
    extra.write_text("DisableNetwork 1\n")  # no network needed to test supervision
    proc = subprocess.Popen(
        [sys.executable, "-m", "narcowatch", "tor", "start", "--foreground", "--no-wait", "--state-dir",
         str(state_dir), "--torrc-extra", str(extra)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )

    def recorded_pid() -> int | None:
        try:
            return int(json.loads((state_dir / "state.json").read_text())["instances"][0]["pid"])
        except (FileNotFoundError, KeyError, IndexError, ValueError):
            return None

    try:
        deadline = time.monotonic() + 30
        while (first := recorded_pid()) is None or not pid_alive(first):
            assert time.monotonic() < deadline and proc.poll() is None, "tor was not started"
            time.sleep(0.2)
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while (second := recorded_pid()) in (None, first) or not pid_alive(second):
            assert time.monotonic() < deadline and proc.poll() is None, "the supervisor did not restart tor"
            time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, out
    assert "stopped" in out
    assert not pid_alive(second)
    assert not (state_dir / "state.json").exists()
