"""TorLauncher with real tor processes: offline (DisableNetwork) and joined to the private network."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from crawler.tor.control import TorController
from crawler.tor.launcher import (
    TorInstance,
    TorLauncher,
    build_torrc,
    find_tor_binary,
    pid_alive,
    read_bootstrap_progress,
)

try:
    import tornet  # tests/ is on sys.path under pytest (as for tests/fixtureworld.py)
except ImportError:  # pragma: no cover - imported as a package from the repository root
    from tests import tornet  # type: ignore[no-redef]

tor_network = tornet.tor_network
needs_tor = pytest.mark.skipif(not tornet.tor_available(), reason="tor not installed (Debian package 'tor')")


def test_torrc_has_ports_cookie_no_geoip_and_refuses_overrides(tmp_path: Path) -> None:
    inst = TorInstance(name="tor0", socks_port=9150, control_port=9151, data_dir=str(tmp_path / "tor0"))
    torrc = build_torrc(inst, ["# comment", "", "UseBridges 0"])
    lines = torrc.splitlines()
    assert "SocksPort 127.0.0.1:9150" in lines
    assert "ControlPort 127.0.0.1:9151" in lines
    assert "CookieAuthentication 1" in lines
    assert "GeoIPFile /nonexistent" in lines and "GeoIPv6File /nonexistent" in lines
    assert f"DataDirectory {tmp_path / 'tor0'}" in lines
    assert lines[-1] == "UseBridges 0" and "# comment" not in lines
    with pytest.raises(ValueError, match="SocksPort"):
        build_torrc(inst, ["SocksPort 0.0.0.0:9050"])


def test_bootstrap_progress_is_read_from_the_last_log_line(tmp_path: Path) -> None:
    log = tmp_path / "notice.log"
    assert read_bootstrap_progress(log) == 0
    log.write_text("x [notice] Bootstrapped 5% (conn): a\nx [notice] Bootstrapped 75% (enough_dirinfo): b\n")
    assert read_bootstrap_progress(log) == 75


@needs_tor
@pytest.mark.tor
@pytest.mark.timeout(60)
def test_offline_start_control_answers_then_stop(tmp_path: Path) -> None:
    """No network at all: tor starts, its control port answers with cookie auth, it stays < 100 %, stops."""
    launcher = TorLauncher(tmp_path, torrc_extra=["DisableNetwork 1"], detach=False)
    try:
        (inst,) = launcher.launch(1)
        assert inst.pid and pid_alive(inst.pid)
        ctl = TorController(inst.control_port or 0, cookie_path=inst.auth_cookie_path())
        with ctl:
            # the control port opens a moment after the process starts
            for _ in range(100):
                if ctl.is_alive():
                    break
                time.sleep(0.1)
            assert ctl.is_alive()
            assert ctl.bootstrap_progress() < 100
            assert ctl.get_info("net/listeners/control") == f'"127.0.0.1:{inst.control_port}"'
            # DisableNetwork: tor opens no SOCKS listener, so nothing can be fetched through it
            assert ctl.get_info("net/listeners/socks") == ""
        state = json.loads((tmp_path / "state.json").read_text())
        assert state["instances"][0]["socks_port"] == inst.socks_port
        assert "password" not in state["instances"][0]
        # another launcher (e.g. `narcowatch tor status` in a new process) finds it through the state file
        other = TorLauncher(tmp_path)
        assert [i.pid for i in other.instances] == [inst.pid]
        assert other.instances[0].is_running()
    finally:
        stopped = launcher.stop_all()
    assert [i.name for i in stopped] == ["tor0"]
    assert not pid_alive(inst.pid)
    assert not (tmp_path / "state.json").exists()


@pytest.mark.tor
@pytest.mark.timeout(180)
def test_launch_bootstraps_on_private_network_serves_onion_and_restarts(
    tor_network: tornet.TorNetwork, tmp_path: Path
) -> None:
    launcher = TorLauncher(tmp_path, torrc_extra=tor_network.client_torrc_lines(), detach=False)
    seen: list[int] = []
    try:
        (inst,) = launcher.launch(1)
        assert launcher.wait_bootstrapped(timeout=90, on_progress=lambda _i, pct: seen.append(pct))
        assert seen[-1] == 100 and seen == sorted(seen) and len(seen) > 1
        status, body = tornet.socks_http_get_retry(inst.socks_port, tor_network.onion_hostname,
                                                   tornet.READY_PATH, port=81)
        assert (status, body) == (200, tornet.READY_BODY)
        (st,) = launcher.status()
        assert st.alive and st.control_ok and st.bootstrap == 100 and st.circuit_established
        assert launcher.proxy_urls() == [f"socks5h://127.0.0.1:{inst.socks_port}"]

        # supervision: a dead instance comes back on the same ports and bootstraps again
        old_pid = inst.pid
        assert old_pid is not None
        os.kill(old_pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while pid_alive(old_pid):  # SIGKILL is asynchronous
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert [i.name for i in launcher.restart_dead()] == ["tor0"]
        assert inst.pid != old_pid and inst.restarts == 1
        assert launcher.wait_bootstrapped(timeout=90)
        status, _ = tornet.socks_http_get_retry(
            inst.socks_port, tor_network.onion_hostname, tornet.READY_PATH, port=81)
        assert status == 200
        assert launcher.restart_dead() == []
    finally:
        launcher.stop_all()
    assert not pid_alive(inst.pid)


def test_find_tor_binary_finds_sbin_tor() -> None:
    if not tornet.tor_available():
        pytest.skip("tor not installed")
    assert os.path.basename(find_tor_binary()) == "tor"
