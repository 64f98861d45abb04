"""A private Tor network on loopback for the onion-crawling tests.

Three directory authorities (also relays and the only HSDirs), three plain relays, one onion-service
tor and one client tor, all on 127.0.0.1 with ``TestingTorNetwork 1`` and 10 s voting. Authority keys
come from ``tor-gencert``. Start-up waits on conditions (a consensus listing every relay, the client's
``Bootstrapped 100%``, the descriptor upload in the service's log, a real request through the client's
SocksPort), never on fixed sleeps. The options follow the measured recipe in
../shared/notes/private-tor-network.md; chutney's templates were only a reference.

The onion service exposes two virtual ports:
* 80 -> ``target_port`` on 127.0.0.1 (the site under test, e.g. the fixture market), and
* 81 -> a tiny HTTP server of the harness itself, used for the readiness check, so that the network can
  be proven up before (or without) the site under test.

Use it as a pytest session fixture (``tor_network``) or directly::

    with TorNetwork(target_port=8080) as net:
        print(net.socks_port, net.onion_hostname)
"""

from __future__ import annotations

import atexit
import http.server
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import types
import urllib.request
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest

TOR = shutil.which("tor") or "/usr/sbin/tor"
TOR_GENCERT = shutil.which("tor-gencert") or "/usr/bin/tor-gencert"
READY_PATH = "/narcowatch-tornet-ready"
READY_BODY = b"tornet ready\n"
_T = TypeVar("_T")
# exits when its parent (the test runner) is gone
_WATCHDOG = "import os, time\nppid = os.getppid()\nwhile os.getppid() == ppid:\n    time.sleep(0.5)\n"


class TorNetworkError(RuntimeError):
    """The private network did not come up (the message carries the relevant log tails)."""


def tor_available() -> bool:
    """True when both the tor binary and tor-gencert exist."""
    return os.access(TOR, os.X_OK) and os.access(TOR_GENCERT, os.X_OK)


_handed_out: set[int] = set()


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port() -> int:
    """A TCP port that is free on 127.0.0.1 now, below the kernel's ephemeral range.

    Ports are bound by tor seconds after they are chosen; the relays' own outgoing loopback connections
    take ephemeral ports meanwhile, so choosing from that range (as bind(0) does) can collide.
    """
    low, high = 15000, max(15001, _ephemeral_low() - 1)
    for _ in range(200):
        port = random.randint(low, high)
        if port in _handed_out:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        _handed_out.add(port)
        return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:  # crowded machine: let the OS pick
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Node:
    """One tor process of the network."""

    name: str
    role: str  # "auth" | "relay" | "hs" | "client"
    dir: Path
    control_port: int
    or_port: int = 0
    dir_port: int = 0
    socks_port: int = 0
    fingerprint: str = ""
    v3ident: str = ""
    proc: subprocess.Popen[bytes] | None = None
    extra: list[str] = field(default_factory=list)

    @property
    def notice_log(self) -> Path:
        return self.dir / "notice.log"

    @property
    def info_log(self) -> Path:
        return self.dir / "info.log"

    def log_text(self, info: bool = False) -> str:
        path = self.info_log if info else self.notice_log
        try:
            return path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


class _ReadyHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 (http.server API)
        body = READY_BODY if self.path == READY_PATH else b"not here\n"
        self.send_response(200 if self.path == READY_PATH else 404)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


class TorNetwork:
    """3 authorities + ``relays`` relays + 1 onion service + 1 client on loopback."""

    def __init__(
        self,
        target_port: int | None = None,
        base_dir: Path | str | None = None,
        relays: int = 3,
        voting_interval: int = 10,
        keep: bool = False,
    ) -> None:
        self.target_port = target_port if target_port is not None else free_port()
        self._own_base = base_dir is None
        self.base = Path(base_dir) if base_dir else Path(tempfile.mkdtemp(prefix="narcowatch-tornet-"))
        self.n_relays = relays
        self.voting_interval = voting_interval
        self.keep = keep or bool(os.environ.get("NARCOWATCH_TORNET_KEEP"))
        self.nodes: list[Node] = []
        self.onion_hostname = ""
        self.timings: dict[str, float] = {}
        self._ready_server: http.server.ThreadingHTTPServer | None = None
        self._helpers: list[subprocess.Popen[bytes]] = []  # key generation processes
        self._watchdog: subprocess.Popen[bytes] | None = None
        self._started = False
        self._stopped = False

    # ---------------------------------------------------------------- public API
    @property
    def client(self) -> Node:
        return self._node("client0")

    @property
    def hs(self) -> Node:
        return self._node("hs0")

    @property
    def socks_port(self) -> int:
        return self.client.socks_port

    @property
    def control_port(self) -> int:
        return self.client.control_port

    @property
    def client_cookie_path(self) -> Path:
        return self.client.dir / "control_auth_cookie"

    @property
    def socks_url(self) -> str:
        return f"socks5h://127.0.0.1:{self.socks_port}"

    @property
    def onion_url(self) -> str:
        """URL of the site under test (virtual port 80 -> target_port)."""
        return f"http://{self.onion_hostname}/"

    @property
    def pids(self) -> list[int]:
        return [n.proc.pid for n in self.nodes if n.proc is not None]

    def client_torrc_lines(self) -> list[str]:
        """torrc lines that make any extra tor client join this network (for launcher/CLI tests)."""
        return [
            "TestingTorNetwork 1",
            "PathsNeededToBuildCircuits 0.67",
            *self._dirauthority_lines(),
            # tiny-network path-selection fixes; never on the real network
            "VanguardsLiteEnabled 0",
            "UseEntryGuards 0",
            f"__OwningControllerProcess {self.owner_pid}",
        ]

    def start(self, timeout: float = 150.0) -> TorNetwork:
        """Generate keys and torrcs, launch in two phases, wait until the onion answers via SOCKS."""
        if not tor_available():
            raise TorNetworkError("tor / tor-gencert not installed (Debian package 'tor')")
        self._started = True
        t0 = time.monotonic()
        deadline = t0 + timeout
        try:
            self._start_ready_server()
            self._start_watchdog()
            self._make_nodes()
            self._generate_keys()
            self._write_configs()
            self.timings["keys"] = time.monotonic() - t0
            t_launch = time.monotonic()
            for node in self.nodes:
                if node.role in ("auth", "relay"):
                    self._launch(node)
            self._wait_full_consensus(deadline)
            self.timings["consensus"] = time.monotonic() - t_launch
            self._launch(self.hs)
            self._launch(self.client)
            self.onion_hostname = self._wait(
                lambda: self._read_hostname(), deadline, "onion service hostname file"
            )
            self._wait(
                lambda: "Bootstrapped 100%" in self.client.log_text(), deadline, "client Bootstrapped 100%"
            )
            self.timings["client_bootstrapped"] = time.monotonic() - t_launch
            self._wait(
                lambda: "Uploaded hidden service descriptor" in self.hs.log_text(info=True),
                deadline,
                "onion service descriptor upload",
            )
            self._wait(self._ready_probe, deadline, "HTTP GET of the onion through the client SocksPort",
                       interval=1.0)
            self.timings["onion_reachable"] = time.monotonic() - t_launch
            self.timings["total"] = time.monotonic() - t0
        except BaseException as exc:
            report = self._failure_report()
            self.stop()
            if isinstance(exc, TorNetworkError):
                raise TorNetworkError(f"{exc}\n{report}") from None
            raise
        atexit.register(self.stop)
        return self

    def stop(self) -> None:
        """Terminate every tor process (SIGTERM, SIGKILL after 10 s) and delete the base directory."""
        if self._stopped:
            return
        self._stopped = True
        procs = [n.proc for n in self.nodes if n.proc is not None] + self._helpers
        for proc in procs:
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGTERM)
                except ProcessLookupError:
                    pass
        end = time.monotonic() + 10
        for proc in procs:
            try:
                proc.wait(timeout=max(0.1, end - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._watchdog is not None:
            self._watchdog.kill()
            self._watchdog.wait(timeout=5)
            self._watchdog = None
        if self._ready_server is not None:
            self._ready_server.shutdown()
            self._ready_server.server_close()
            self._ready_server = None
        if self._own_base and not self.keep:
            shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> TorNetwork:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---------------------------------------------------------------- set-up
    def _node(self, name: str) -> Node:
        for node in self.nodes:
            if node.name == name:
                return node
        raise KeyError(name)

    def _start_ready_server(self) -> None:
        self._ready_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ReadyHandler)
        self._ready_server.daemon_threads = True
        threading.Thread(target=self._ready_server.serve_forever, daemon=True, name="tornet-ready").start()

    @property
    def owner_pid(self) -> int:
        """PID for ``__OwningControllerProcess``: tor exits by itself when that process is gone."""
        if self._watchdog is None:
            raise RuntimeError("the network is not started")
        return self._watchdog.pid

    def _start_watchdog(self) -> None:
        # Not our own PID: stem sends TAKEOWNERSHIP when the connecting process is the owner, and tor then
        # exits as soon as that control connection closes. A child that lives exactly as long as we do
        # gives the same orphan protection without that trap.
        self._watchdog = subprocess.Popen([sys.executable, "-c", _WATCHDOG], stdin=subprocess.DEVNULL)

    def _make_nodes(self) -> None:
        def mk(name: str, role: str, or_port: int = 0, dir_port: int = 0, socks_port: int = 0) -> Node:
            d = self.base / name
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
            return Node(name=name, role=role, dir=d, control_port=free_port(), or_port=or_port,
                        dir_port=dir_port, socks_port=socks_port)

        self.nodes = [mk(f"auth{i}", "auth", or_port=free_port(), dir_port=free_port()) for i in range(3)]
        self.nodes += [mk(f"relay{i}", "relay", or_port=free_port()) for i in range(self.n_relays)]
        self.nodes.append(mk("hs0", "hs"))
        self.nodes.append(mk("client0", "client", socks_port=free_port()))

    def _generate_keys(self) -> None:
        """tor-gencert for the authorities and --list-fingerprint for every relay, all in parallel."""
        jobs: list[tuple[Node, str, subprocess.Popen[bytes]]] = []
        for node in self.nodes:
            if node.role == "auth":
                keys = node.dir / "keys"
                keys.mkdir(mode=0o700, exist_ok=True)
                cmd = [TOR_GENCERT, "--create-identity-key", "--passphrase-fd", "0",
                       "-i", str(keys / "authority_identity_key"), "-s", str(keys / "authority_signing_key"),
                       "-c", str(keys / "authority_certificate"), "-m", "12",
                       "-a", f"127.0.0.1:{node.dir_port}"]
                proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT)
                self._helpers.append(proc)
                jobs.append((node, "gencert", proc))
        for node in self.nodes:
            if node.role in ("auth", "relay"):
                cmd = [TOR, "--ignore-missing-torrc", "-f", "/dev/null", "--orport", "1",
                       "--datadirectory", str(node.dir), "--nickname", node.name, "--list-fingerprint",
                       "--geoipfile", "/nonexistent", "--geoipv6file", "/nonexistent"]
                proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
                self._helpers.append(proc)
                jobs.append((node, "fingerprint", proc))
        for node, kind, proc in jobs:
            # empty passphrase for tor-gencert on stdin
            out, _ = proc.communicate(input=b"\n" if kind == "gencert" else None, timeout=60)
            text = out.decode(errors="replace") if out else ""
            if proc.returncode != 0:
                raise TorNetworkError(f"{kind} for {node.name} failed (rc {proc.returncode}): {text[-800:]}")
            if kind == "fingerprint":
                m = re.search(rf"^{node.name} ((?:[0-9A-F]{{4}} ?){{10}})\s*$", text, re.M)
                if not m:
                    raise TorNetworkError(f"no fingerprint for {node.name} in: {text[-800:]}")
                node.fingerprint = m.group(1).replace(" ", "")
        for node in self.nodes:
            if node.role == "auth":
                cert = (node.dir / "keys" / "authority_certificate").read_text()
                m = re.search(r"^fingerprint ([0-9A-F]{40})", cert, re.M)
                if not m:
                    raise TorNetworkError(f"no v3ident in {node.name}'s authority certificate")
                node.v3ident = m.group(1)

    def _dirauthority_lines(self) -> list[str]:
        return [
            f"DirAuthority {a.name} orport={a.or_port} no-v2 v3ident={a.v3ident} "
            f"127.0.0.1:{a.dir_port} {a.fingerprint}"
            for a in self.nodes
            if a.role == "auth"
        ]

    def _write_configs(self) -> None:
        relays = [n for n in self.nodes if n.role in ("auth", "relay")]
        bwfile = self.base / "bwfile"
        bwfile.write_text(
            f"{int(time.time())}\n" + "".join(f"node_id=${n.fingerprint} bw=1000\n" for n in relays)
        )
        auth_fps = ",".join(f"${n.fingerprint}" for n in self.nodes if n.role == "auth")
        vi = self.voting_interval
        delay = 2 if vi <= 10 else 4
        for node in self.nodes:
            lines = [
                "TestingTorNetwork 1",
                f"DataDirectory {node.dir}",
                f"PidFile {node.dir / 'pid'}",
                f"Nickname {node.name}",
                "RunAsDaemon 0",
                "ShutdownWaitLength 0",
                f"Log notice file {node.notice_log}",
                "SafeLogging 0",
                "LogTimeGranularity 1",
                # the GeoIP databases cost ~35 MB RSS per tor and are useless here
                "GeoIPFile /nonexistent",
                "GeoIPv6File /nonexistent",
                f"ControlPort 127.0.0.1:{node.control_port}",
                "CookieAuthentication 1",
                # tor exits by itself if the test runner (and so the watchdog) dies
                f"__OwningControllerProcess {self.owner_pid}",
                "PathsNeededToBuildCircuits 0.67",
                "TestingDirAuthVoteExit *",
                "TestingDirAuthVoteGuard *",
                "TestingMinExitFlagThreshold 0",
                "V3AuthNIntervalsValid 2",
                *self._dirauthority_lines(),
            ]
            if node.role in ("auth", "relay"):
                lines += [
                    "SocksPort 0",
                    "Address 127.0.0.1",
                    f"ORPort 127.0.0.1:{node.or_port}",
                    "AssumeReachable 1",
                    f"ContactInfo {node.name}@test.invalid",
                    "ExitRelay 0",
                    "ExitPolicy reject *:*",
                    "ServerDNSDetectHijacking 0",
                    "ServerDNSTestAddresses",
                    "ServerDNSResolvConfFile /dev/null",
                ]
            if node.role == "auth":
                lines += [
                    f"DirPort 127.0.0.1:{node.dir_port}",
                    "AuthoritativeDirectory 1",
                    "V3AuthoritativeDirectory 1",
                    "AuthDirMaxServersPerAddr 0",
                    # only the authorities store onion descriptors (plain relays run DirCache 0)
                    f"TestingDirAuthVoteHSDir {auth_fps}",
                    "TestingDirAuthVoteHSDirIsStrict 1",
                    # equal weights: otherwise one self-measured node becomes everybody's guard and last hop
                    f"V3BandwidthsFile {bwfile}",
                    f"TestingV3AuthInitialVotingInterval {vi}",
                    f"TestingV3AuthInitialVoteDelay {delay}",
                    f"TestingV3AuthInitialDistDelay {delay}",
                    f"V3AuthVotingInterval {vi}",
                    f"V3AuthVoteDelay {delay}",
                    f"V3AuthDistDelay {delay}",
                ]
            elif node.role == "relay":
                # clients then fetch directory info from the authorities only (relay caches lag behind)
                lines.append("DirCache 0")
            elif node.role == "hs":
                hsdir = node.dir / "hs"
                hsdir.mkdir(mode=0o700, exist_ok=True)
                assert self._ready_server is not None
                ready_port = self._ready_server.server_address[1]
                lines += [
                    f"Log info file {node.info_log}",
                    "SocksPort 0",
                    "VanguardsLiteEnabled 0",
                    "UseEntryGuards 0",
                    f"HiddenServiceDir {hsdir}",
                    f"HiddenServicePort 80 127.0.0.1:{self.target_port}",
                    f"HiddenServicePort 81 127.0.0.1:{ready_port}",
                ]
            elif node.role == "client":
                lines += [
                    f"Log info file {node.info_log}",
                    f"SocksPort 127.0.0.1:{node.socks_port} ExtendedErrors",
                    "VanguardsLiteEnabled 0",
                    "UseEntryGuards 0",
                ]
            lines += node.extra
            (node.dir / "torrc").write_text("\n".join(lines) + "\n")

    def _launch(self, node: Node) -> None:
        env = dict(os.environ, MALLOC_ARENA_MAX="1")
        node.proc = subprocess.Popen(
            [TOR, "-f", str(node.dir / "torrc")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(node.dir / "stderr.log").open("wb"),
            env=env,
            cwd=node.dir,
        )

    # ---------------------------------------------------------------- waiting
    def _check_alive(self) -> None:
        for node in self.nodes:
            if node.proc is not None and node.proc.poll() is not None:
                raise TorNetworkError(f"{node.name} exited with rc {node.proc.returncode}")

    def _wait(
        self, probe: Callable[[], _T], deadline: float, what: str, interval: float = 0.2
    ) -> _T:
        while True:
            self._check_alive()
            value = probe()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TorNetworkError(f"timed out waiting for {what}")
            time.sleep(interval)

    def _wait_full_consensus(self, deadline: float) -> None:
        """Wait until an authority serves a consensus listing every relay (not just the first one)."""
        expected = sum(1 for n in self.nodes if n.role in ("auth", "relay"))
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        auths = [n for n in self.nodes if n.role == "auth"]

        def probe() -> bool:
            for auth in auths:
                url = f"http://127.0.0.1:{auth.dir_port}/tor/status-vote/current/consensus-microdesc"
                try:
                    with opener.open(url, timeout=2) as resp:
                        body = resp.read().decode(errors="replace")
                except OSError:
                    continue
                if sum(1 for line in body.splitlines() if line.startswith("r ")) >= expected:
                    return True
            return False

        self._wait(probe, deadline, f"a consensus listing all {expected} relays", interval=0.5)

    def _read_hostname(self) -> str:
        try:
            return (self.hs.dir / "hs" / "hostname").read_text().strip()
        except FileNotFoundError:
            return ""

    def _ready_probe(self) -> bool:
        try:
            status, body = socks_http_get(self.socks_port, self.onion_hostname, READY_PATH, port=81, timeout=15)
        except OSError:
            return False
        return status == 200 and body == READY_BODY

    def _failure_report(self) -> str:
        parts = [f"base dir: {self.base}", f"timings: {self.timings}"]
        for node in self.nodes:
            tail = node.log_text().splitlines()[-12:]
            rc = None if node.proc is None else node.proc.poll()
            parts.append(f"--- {node.name} (rc={rc}) notice.log tail:\n" + "\n".join(tail))
        return "\n".join(parts)


def socks_http_get(
    socks_port: int, host: str, path: str = "/", port: int = 80, timeout: float = 30.0
) -> tuple[int, bytes]:
    """Minimal HTTP/1.0 GET through the SOCKS5 port with remote name resolution (socks5h)."""
    from python_socks.sync import Proxy

    proxy = Proxy.from_url(f"socks5://127.0.0.1:{socks_port}", rdns=True)
    try:
        sock = proxy.connect(dest_host=host, dest_port=port, timeout=timeout)
    except Exception as exc:  # python_socks raises its own ProxyError/ProxyTimeoutError
        raise OSError(f"SOCKS connect to {host}:{port} failed: {exc}") from exc
    with sock:
        sock.settimeout(timeout)
        sock.sendall(f"GET {path} HTTP/1.0\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    raw = b"".join(chunks)
    head, _, body = raw.partition(b"\r\n\r\n")
    m = re.match(rb"HTTP/1\.[01] (\d{3})", head)
    if not m:
        raise OSError(f"bad HTTP response: {raw[:100]!r}")
    return int(m.group(1)), body


def socks_http_get_retry(
    socks_port: int, host: str, path: str = "/", port: int = 80, within: float = 30.0
) -> tuple[int, bytes]:
    """``socks_http_get`` retried every second for ``within`` seconds: a client that just bootstrapped may
    still be fetching the onion descriptor or building its first rendezvous circuit."""
    deadline = time.monotonic() + within
    while True:
        try:
            return socks_http_get(socks_port, host, path, port=port, timeout=15)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1.0)


# ---------------------------------------------------------------------- pytest fixture
# One network per test session, shared by every module that uses the fixture (pytest makes one fixture
# definition per importing module), even if this file gets imported as both "tornet" and "tests.tornet".
def _session_holder() -> Any:
    holder = types.ModuleType("_narcowatch_tornet_session")
    holder.network = None  # type: ignore[attr-defined]
    holder.lock = threading.Lock()  # type: ignore[attr-defined]
    return sys.modules.setdefault(holder.__name__, holder)


_SESSION: Any = _session_holder()


def session_network() -> TorNetwork:
    """The session's network, started on first use; stopped at exit (and by the fixture's teardown)."""
    with _SESSION.lock:
        if _SESSION.network is None:
            try:
                _SESSION.network = TorNetwork().start()
            except TorNetworkError as exc:
                # one retry with fresh ports and keys when a tor exited early: a port taken meanwhile by
                # another process is the usual cause on a shared machine; a second failure is real
                if "exited with rc" not in str(exc):
                    raise
                warnings.warn(f"private Tor network failed to start, retrying once: {exc}", stacklevel=1)
                _SESSION.network = TorNetwork().start()
        network: TorNetwork = _SESSION.network
        return network


def stop_session_network() -> None:
    with _SESSION.lock:
        if _SESSION.network is not None:
            _SESSION.network.stop()
            _SESSION.network = None


@pytest.fixture(scope="session")
def tor_network() -> Iterator[TorNetwork]:
    """Session-wide private Tor network; skips when tor is not installed."""
    if not tor_available():
        pytest.skip("tor / tor-gencert not installed (Debian package 'tor')")
    yield session_network()
    stop_session_network()
