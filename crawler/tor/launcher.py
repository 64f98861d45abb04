"""Start, supervise and stop local tor processes from the system ``tor`` binary.

Each instance gets its own data directory (mode 0700), a SocksPort and a ControlPort on free loopback
ports, cookie authentication, no GeoIP databases (they cost ~35 MB RSS per process and the crawler does
not need country lookups) and a notice log, from which bootstrap progress is read. The instances are
recorded in ``state.json`` under the state directory so that ``narcowatch tor status`` and ``stop`` (other
processes) find them again; an already running tor can be attached instead (``attach``) and is then never
stopped by us.

    launcher = TorLauncher(state_dir)
    launcher.launch(2)
    launcher.wait_bootstrapped(timeout=120, on_progress=print)
    launcher.proxy_urls()   # ["socks5h://127.0.0.1:PORT", ...] for NARCOWATCH_TOR_PROXIES
    launcher.stop_all()
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

LOG = logging.getLogger(__name__)

STATE_FILE = "state.json"
_BOOTSTRAP_LOG_RE = re.compile(r"Bootstrapped (\d+)%")
# torrc options the launcher owns; extra lines may not override them (the instance would not match its
# recorded ports or directory any more)
_RESERVED_OPTIONS = {"datadirectory", "socksport", "controlport", "pidfile", "runasdaemon"}

ProgressCallback = Callable[["TorInstance", int], None]


class TorLaunchError(RuntimeError):
    """A tor process could not be started, died, or did not bootstrap in time."""


def default_state_dir() -> Path:
    """``tor/`` under the Narcowatch home (``$NARCOWATCH_HOME``, else ``~/.local/share/narcowatch``)."""
    from narcowatch.paths import home

    return home() / "tor"


def find_tor_binary() -> str:
    """Path of the system tor (Debian puts it in /usr/sbin, which is not on every user's PATH)."""
    found = shutil.which("tor") or shutil.which("tor", path="/usr/sbin:/usr/local/sbin:/usr/bin")
    if not found:
        raise TorLaunchError("the tor binary was not found; install it (Debian/Ubuntu: apt-get install tor)")
    return found


def _ephemeral_low() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port(host: str = "127.0.0.1", exclude: Iterable[int] = ()) -> int:
    """A TCP port that is free on ``host`` now, below the kernel's ephemeral range when possible.

    Instances keep their ports across restarts; a port from the ephemeral range could meanwhile be
    taken by some outgoing connection (the crawler makes many), and the restarted tor could not bind it.
    """
    low, high = 20000, _ephemeral_low() - 1
    excluded = set(exclude)
    for _ in range(100 if high > low else 0):
        port = random.randint(low, high)
        if port in excluded:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1", timeout: float = 1.0) -> bool:
    """True when something accepts TCP connections on host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def pid_alive(pid: int | None) -> bool:
    """True when the process exists and is not a zombie (reaps it if it is our own dead child)."""
    if not pid:
        return False
    try:
        reaped, _ = os.waitpid(pid, os.WNOHANG)
        if reaped == pid:
            return False
    except ChildProcessError:
        pass  # not our child: fine, look it up below
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc (not Linux): kill(0) is all we know
    # the state is the field after the parenthesised command name
    return stat.rpartition(")")[2].split()[0] != "Z"


def read_bootstrap_progress(log_path: Path | str) -> int:
    """The last ``Bootstrapped N%`` in a tor log (0 when there is none yet)."""
    try:
        with open(log_path, "rb") as fh:
            text = fh.read().decode(errors="replace")
    except FileNotFoundError:
        return 0
    found = _BOOTSTRAP_LOG_RE.findall(text)
    return int(found[-1]) if found else 0


@dataclass
class TorInstance:
    """One tor process: launched by us (``data_dir`` set) or attached (``external``)."""

    name: str
    socks_port: int
    control_port: int | None = None
    data_dir: str | None = None
    pid: int | None = None
    external: bool = False
    cookie_path: str | None = None
    password: str | None = field(default=None, repr=False)
    started_at: float | None = None
    restarts: int = 0

    @property
    def socks_url(self) -> str:
        """The proxy URL for NARCOWATCH_TOR_PROXIES (socks5h: names are resolved by tor)."""
        return f"socks5h://127.0.0.1:{self.socks_port}"

    @property
    def torrc_path(self) -> Path | None:
        return Path(self.data_dir) / "torrc" if self.data_dir else None

    @property
    def log_path(self) -> Path | None:
        return Path(self.data_dir) / "notice.log" if self.data_dir else None

    def auth_cookie_path(self) -> str | None:
        """Cookie file for the control port (tor writes it into the data directory)."""
        if self.cookie_path:
            return self.cookie_path
        if self.data_dir:
            return str(Path(self.data_dir) / "control_auth_cookie")
        return None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("password")  # never written to disk
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TorInstance:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__ and k != "password"}
        return cls(**known)

    def is_running(self) -> bool:
        """Our process is alive (and still the tor we started), or an attached tor's SOCKS port answers."""
        if self.external:
            return port_open(self.socks_port)
        if not pid_alive(self.pid):
            return False
        # guard against PID reuse: the live process must be running our torrc
        try:
            cmdline = Path(f"/proc/{self.pid}/cmdline").read_bytes().decode(errors="replace")
        except OSError:
            return True
        return str(self.torrc_path) in cmdline


@dataclass
class InstanceStatus:
    """What ``narcowatch tor status`` reports for one instance."""

    name: str
    pid: int | None
    alive: bool
    external: bool
    socks_port: int
    control_port: int | None
    bootstrap: int | None
    circuit_established: bool | None
    control_ok: bool
    error: str | None = None


def build_torrc(instance: TorInstance, extra_lines: Iterable[str] = ()) -> str:
    """The torrc of a launched instance; ``extra_lines`` are appended (e.g. a private network's)."""
    if instance.data_dir is None:
        raise ValueError("only launched instances have a torrc")
    data_dir = Path(instance.data_dir)
    lines = [
        f"DataDirectory {data_dir}",
        f"PidFile {data_dir / 'tor.pid'}",
        "RunAsDaemon 0",
        # IsolateSOCKSAuth is on by default: the handler's per-site SOCKS credentials get their own circuits
        f"SocksPort 127.0.0.1:{instance.socks_port}",
        "SocksPolicy accept 127.0.0.1, reject *",
    ]
    if instance.control_port:
        lines += [f"ControlPort 127.0.0.1:{instance.control_port}", "CookieAuthentication 1"]
    lines += [
        "ClientOnly 1",
        "AvoidDiskWrites 1",
        f"Log notice file {data_dir / 'notice.log'}",
        # no GeoIP databases: ~35 MB RSS less per process; the crawler needs no country lookups
        "GeoIPFile /nonexistent",
        "GeoIPv6File /nonexistent",
    ]
    for raw in extra_lines:
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.split()[0].lower() in _RESERVED_OPTIONS:
            raise ValueError(f"torrc option {line.split()[0]!r} is set by the launcher and cannot be overridden")
        lines.append(line)
    return "\n".join(lines) + "\n"


def read_torrc_extra(path: Path | str | None) -> list[str]:
    """Lines of an extra torrc fragment (comments and blanks dropped); [] when path is None."""
    if not path:
        return []
    return [
        line.strip()
        for line in Path(path).read_text().splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


class TorLauncher:
    """Launch, watch, restart and stop local tor processes; remember them in ``state_dir/state.json``.

    ``detach=True`` starts each tor in its own session so that it outlives the launching command (the
    ``narcowatch tor start`` case); with ``detach=False`` they share our process group.
    """

    def __init__(
        self,
        state_dir: Path | str | None = None,
        tor_binary: str | None = None,
        torrc_extra: Sequence[str] = (),
        detach: bool = True,
    ) -> None:
        self.state_dir = Path(state_dir) if state_dir else default_state_dir()
        self.tor_binary = tor_binary
        self.torrc_extra = list(torrc_extra)
        self.detach = detach
        self.instances: list[TorInstance] = []
        self._procs: dict[str, subprocess.Popen[bytes]] = {}
        self.load()

    # ------------------------------------------------------------------ state
    @property
    def state_path(self) -> Path:
        return self.state_dir / STATE_FILE

    def load(self) -> list[TorInstance]:
        """Read the recorded instances (none when there is no state file)."""
        try:
            data = json.loads(self.state_path.read_text())
        except FileNotFoundError:
            self.instances = []
            return self.instances
        except json.JSONDecodeError as exc:
            raise TorLaunchError(f"{self.state_path}: not valid JSON ({exc})") from exc
        self.instances = [TorInstance.from_dict(d) for d in data.get("instances", [])]
        extra = data.get("torrc_extra")
        if extra and not self.torrc_extra:
            self.torrc_extra = list(extra)
        return self.instances

    def save(self) -> None:
        """Write the state file atomically."""
        self.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.state_path.with_suffix(".tmp")
        payload = {
            "version": 1,
            "instances": [i.to_dict() for i in self.instances],
            "torrc_extra": self.torrc_extra,
        }
        tmp.write_text(json.dumps(payload, indent=2) + "\n")
        tmp.replace(self.state_path)

    def proxy_urls(self) -> list[str]:
        """``socks5h://`` URLs of every instance, for ``NARCOWATCH_TOR_PROXIES``."""
        return [i.socks_url for i in self.instances]

    def control_ports(self) -> list[int | None]:
        """Control ports in the same order, for ``NARCOWATCH_TOR_CONTROL_PORTS``."""
        return [i.control_port for i in self.instances]

    def get(self, name: str) -> TorInstance:
        for inst in self.instances:
            if inst.name == name:
                return inst
        raise KeyError(name)

    # ------------------------------------------------------------------ launching
    def launch(self, n: int = 1) -> list[TorInstance]:
        """Ensure ``n`` launched instances: restart recorded dead ones, add new ones up to ``n``."""
        if n < 1:
            raise ValueError("n must be at least 1")
        self.restart_dead()
        own = [i for i in self.instances if not i.external]
        used = {i.name for i in self.instances}
        new: list[TorInstance] = []
        k = 0
        while len(own) + len(new) < n:
            name = f"tor{k}"
            k += 1
            if name in used:
                continue
            data_dir = self.state_dir / name
            taken = {p for i in [*self.instances, *new] for p in (i.socks_port, i.control_port) if p}
            socks = free_port(exclude=taken)
            control = free_port(exclude=taken | {socks})
            inst = TorInstance(name=name, socks_port=socks, control_port=control, data_dir=str(data_dir))
            new.append(inst)
            used.add(name)
        for inst in new:
            self.instances.append(inst)
            self.spawn(inst)
        self.save()
        return [i for i in self.instances if not i.external]

    def attach(
        self,
        socks_port: int,
        control_port: int | None = None,
        cookie_path: str | None = None,
        password: str | None = None,
        name: str | None = None,
    ) -> TorInstance:
        """Record an already running tor (never stopped by us); its SOCKS port must answer."""
        if not port_open(socks_port):
            raise TorLaunchError(f"nothing listens on the SOCKS port 127.0.0.1:{socks_port}")
        if control_port is not None:
            from crawler.tor.control import TorControlError, TorController

            try:
                with TorController(control_port, cookie_path=cookie_path, password=password) as ctl:
                    ctl.version()
            except TorControlError as exc:
                raise TorLaunchError(str(exc)) from exc
        inst = TorInstance(
            name=name or f"external-{socks_port}",
            socks_port=socks_port,
            control_port=control_port,
            external=True,
            cookie_path=cookie_path,
            password=password,
        )
        self.instances = [i for i in self.instances if i.name != inst.name] + [inst]
        self.save()
        return inst

    def spawn(self, inst: TorInstance) -> None:
        """Write the torrc and start tor for one launched instance."""
        if inst.external or inst.data_dir is None:
            raise TorLaunchError(f"{inst.name} is not ours to start")
        binary = self.tor_binary or find_tor_binary()
        data_dir = Path(inst.data_dir)
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(data_dir, 0o700)
        assert inst.torrc_path is not None and inst.log_path is not None
        inst.torrc_path.write_text(build_torrc(inst, self.torrc_extra))
        if inst.log_path.exists():  # keep the previous run's log, but don't read its progress
            inst.log_path.replace(inst.log_path.with_suffix(".log.1"))
        # tor reports torrc and start-up errors on stdout, before its own log file is open
        output = (data_dir / "tor.out").open("ab")
        try:
            proc = subprocess.Popen(
                [binary, "-f", str(inst.torrc_path)],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                cwd=data_dir,
                env=dict(os.environ, MALLOC_ARENA_MAX="1"),
                start_new_session=self.detach,
            )
        finally:
            output.close()
        self._procs[inst.name] = proc
        inst.pid = proc.pid
        inst.started_at = time.time()
        LOG.info("started %s: pid %d, socks %d, control %s", inst.name, proc.pid, inst.socks_port,
                 inst.control_port)

    def is_running(self, inst: TorInstance) -> bool:
        """Like ``inst.is_running()``, but exact for processes this launcher started: between fork and
        exec a new child's command line is still ours, which the PID-reuse check would misread."""
        proc = self._procs.get(inst.name)
        if proc is not None and proc.pid == inst.pid:
            # a multi-threaded process shows as a zombie before it can be reaped: that is dead too
            return proc.poll() is None and pid_alive(proc.pid)
        return inst.is_running()

    def progress(self, inst: TorInstance) -> int:
        """Bootstrap percentage: from the log for launched instances, the control port for attached ones."""
        if inst.log_path is not None:
            return read_bootstrap_progress(inst.log_path)
        if inst.control_port is None:
            return 100 if port_open(inst.socks_port) else 0
        from crawler.tor.control import TorControlError, TorController

        try:
            with TorController(inst.control_port, inst.auth_cookie_path(), inst.password) as ctl:
                return ctl.bootstrap_progress()
        except TorControlError:
            return 0

    def wait_bootstrapped(
        self,
        timeout: float = 120.0,
        on_progress: ProgressCallback | None = None,
        instances: Sequence[TorInstance] | None = None,
        poll: float = 0.25,
    ) -> bool:
        """Wait until every instance logged ``Bootstrapped 100%``; calls ``on_progress`` on each change.

        Returns False on timeout; raises TorLaunchError when a launched tor exits meanwhile.
        """
        todo = list(instances if instances is not None else self.instances)
        last: dict[str, int] = {}
        deadline = time.monotonic() + timeout
        while True:
            done = True
            for inst in todo:
                if not inst.external and not self.is_running(inst):
                    raise TorLaunchError(f"{inst.name} exited during bootstrap: {self._tail(inst)}")
                pct = self.progress(inst)
                if pct != last.get(inst.name):
                    last[inst.name] = pct
                    if on_progress is not None:
                        on_progress(inst, pct)
                done = done and pct >= 100
            if done:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(poll)

    # ------------------------------------------------------------------ supervision
    def restart_dead(self) -> list[TorInstance]:
        """Start again every launched instance whose process is gone (same ports and directory)."""
        restarted = []
        for inst in self.instances:
            if inst.external or self.is_running(inst):
                continue
            LOG.warning("%s (pid %s) is not running; restarting it", inst.name, inst.pid)
            inst.restarts += 1 if inst.pid else 0
            # a dying tor can hold its listeners for a moment after it stops counting as alive
            if not self._wait_ports_free(inst):
                LOG.warning("%s: ports %d/%s still busy; starting anyway", inst.name, inst.socks_port,
                            inst.control_port)
            self.spawn(inst)
            restarted.append(inst)
        if restarted:
            self.save()
        return restarted

    @staticmethod
    def _wait_ports_free(inst: TorInstance, timeout: float = 10.0) -> bool:
        """Wait until the instance's SOCKS and control ports can be bound again."""
        ports = [p for p in (inst.socks_port, inst.control_port) if p]
        deadline = time.monotonic() + timeout
        while True:
            busy = False
            for port in ports:
                with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
                    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tor binds its listeners
                    try:
                        s.bind(("127.0.0.1", port))
                    except OSError:
                        busy = True
                        break
            if not busy:
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def supervise(self, stop: threading.Event, interval: float = 2.0) -> None:
        """Restart dead instances every ``interval`` seconds until ``stop`` is set."""
        while not stop.wait(interval):
            try:
                self.restart_dead()
            except (OSError, TorLaunchError):
                LOG.exception("restarting a tor instance failed")

    def status(self) -> list[InstanceStatus]:
        """Liveness, bootstrap and circuit state of every recorded instance."""
        from crawler.tor.control import TorControlError, TorController

        out = []
        for inst in self.instances:
            alive = self.is_running(inst)
            bootstrap: int | None = None
            circuit: bool | None = None
            control_ok = False
            error = None
            if alive and inst.control_port:
                try:
                    with TorController(inst.control_port, inst.auth_cookie_path(), inst.password) as ctl:
                        bootstrap = ctl.bootstrap_progress()
                        circuit = ctl.circuit_established()
                        control_ok = True
                except TorControlError as exc:
                    error = str(exc)
            if bootstrap is None and alive and inst.log_path is not None:
                bootstrap = read_bootstrap_progress(inst.log_path)
            out.append(
                InstanceStatus(
                    name=inst.name, pid=inst.pid, alive=alive, external=inst.external,
                    socks_port=inst.socks_port, control_port=inst.control_port, bootstrap=bootstrap,
                    circuit_established=circuit, control_ok=control_ok, error=error,
                )
            )
        return out

    # ------------------------------------------------------------------ stopping
    def stop(self, inst: TorInstance, timeout: float = 10.0) -> bool:
        """SIGTERM a launched instance (SIGKILL after ``timeout``); True when it is gone."""
        if inst.external or not inst.pid:
            return True
        if self.is_running(inst):
            try:
                os.kill(inst.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            deadline = time.monotonic() + timeout
            while pid_alive(inst.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if pid_alive(inst.pid):
                LOG.warning("%s (pid %d) ignored SIGTERM; killing it", inst.name, inst.pid)
                os.kill(inst.pid, signal.SIGKILL)
                deadline = time.monotonic() + 5
                while pid_alive(inst.pid) and time.monotonic() < deadline:
                    time.sleep(0.05)
        proc = self._procs.pop(inst.name, None)
        if proc is not None:
            try:
                proc.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
        return not pid_alive(inst.pid)

    def stop_all(self, forget: bool = True) -> list[TorInstance]:
        """Stop every launched instance; ``forget`` clears the state file (attached tors are left alone)."""
        stopped = []
        for inst in self.instances:
            if not inst.external:
                self.stop(inst)
                stopped.append(inst)
        if forget:
            self.instances = []
            try:
                self.state_path.unlink()
            except FileNotFoundError:
                pass
        else:
            self.save()
        return stopped

    def _tail(self, inst: TorInstance, lines: int = 5) -> str:
        texts = []
        for path in (inst.log_path, Path(inst.data_dir) / "tor.out" if inst.data_dir else None):
            if path is not None and path.exists():
                texts += path.read_text(errors="replace").splitlines()[-lines:]
        return " | ".join(texts) or "(no log output)"
