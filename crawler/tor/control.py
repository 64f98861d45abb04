"""A small, thread-safe wrapper around stem's control-port client.

Used by the Tor pool (NEWNYM when a site keeps failing), by ``narcowatch tor status`` and by the
launcher (bootstrap progress). Connects lazily, reconnects after tor restarts, and never lets a dead
control port raise out of the health checks (``is_alive``).
"""

from __future__ import annotations

import logging
import re
import threading
import time
from types import TracebackType
from typing import Any

LOG = logging.getLogger(__name__)

# tor ignores (delays) NEWNYM signals that come less than 10 s after the previous one
# (MAX_SIGNAL_NEWNYM_INTERVAL in tor's source); we do not even send them.
NEWNYM_INTERVAL = 10.0

_BOOTSTRAP_RE = re.compile(r"PROGRESS=(\d+)")

# last NEWNYM per (host, port), shared by every controller of this process: the limit is tor's, not ours
_last_newnym: dict[tuple[str, int], float] = {}
_newnym_lock = threading.Lock()


class TorControlError(RuntimeError):
    """The control port could not be reached or refused authentication."""


class TorController:
    """Control-port client for one tor process.

    Authentication: ``password`` if given, else the cookie at ``cookie_path`` if given, else whatever
    tor advertises in PROTOCOLINFO (cookie file path, or no authentication).
    """

    def __init__(
        self,
        control_port: int,
        cookie_path: str | None = None,
        password: str | None = None,
        host: str = "127.0.0.1",
        newnym_interval: float = NEWNYM_INTERVAL,
    ) -> None:
        self.host = host
        self.control_port = control_port
        self.cookie_path = cookie_path
        self.password = password
        self.newnym_interval = newnym_interval
        self._controller: Any = None
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ connection
    def connect(self) -> Any:
        """The authenticated ``stem.control.Controller`` (connects on first use or after a drop)."""
        import stem
        import stem.connection
        from stem.control import Controller

        with self._lock:
            if self._controller is not None and self._controller.is_alive():
                return self._controller
            self.close()
            try:
                controller = Controller.from_port(address=self.host, port=self.control_port)
            except stem.SocketError as exc:
                raise TorControlError(
                    f"tor control port {self.host}:{self.control_port} unreachable: {exc}"
                ) from exc
            try:
                if self.password is not None:
                    controller.authenticate(password=self.password)
                elif self.cookie_path is not None:
                    stem.connection.authenticate_cookie(controller, self.cookie_path)
                else:
                    controller.authenticate()
            except (stem.connection.AuthenticationFailure, stem.SocketError, OSError) as exc:
                controller.close()
                raise TorControlError(
                    f"authentication to tor control port {self.control_port} failed: {exc}"
                ) from exc
            self._controller = controller
            return controller

    def close(self) -> None:
        """Close the control connection (it is reopened on the next call)."""
        with self._lock:
            if self._controller is not None:
                try:
                    self._controller.close()
                except Exception:  # closing a broken socket must not mask the real problem
                    LOG.debug("closing control connection to port %d failed", self.control_port)
                self._controller = None

    def __enter__(self) -> TorController:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def get_info(self, key: str) -> str:
        """``GETINFO key``; raises TorControlError when tor is unreachable."""
        import stem

        with self._lock:
            controller = self.connect()
            try:
                return str(controller.get_info(key))
            except (stem.ControllerError, OSError) as exc:
                self.close()
                raise TorControlError(f"GETINFO {key} on port {self.control_port} failed: {exc}") from exc

    # ------------------------------------------------------------------ operations
    def seconds_until_newnym(self) -> float:
        """Seconds until tor would act on another NEWNYM from us (0.0 when one can be sent now)."""
        with _newnym_lock:
            last = _last_newnym.get((self.host, self.control_port))
        if last is None:
            return 0.0
        return max(0.0, self.newnym_interval - (time.monotonic() - last))

    def newnym(self) -> bool:
        """Ask tor for new circuits for new streams (SIGNAL NEWNYM).

        Returns True when the signal was sent and accepted, False when it was not sent because one
        went to this tor less than ``newnym_interval`` (10 s, tor's own limit) ago, or tor refused it.
        Raises TorControlError when the control port is unreachable.
        """
        import stem

        key = (self.host, self.control_port)
        with _newnym_lock:
            last = _last_newnym.get(key)
            now = time.monotonic()
            if last is not None and now - last < self.newnym_interval:
                LOG.debug("NEWNYM to port %d rate-limited (%.1f s since the last)", self.control_port, now - last)
                return False
            controller = self.connect()
            try:
                controller.signal(stem.Signal.NEWNYM)
            except stem.ControllerError as exc:
                LOG.warning("tor on control port %d refused NEWNYM: %s", self.control_port, exc)
                return False
            except OSError as exc:
                self.close()
                raise TorControlError(f"NEWNYM to port {self.control_port} failed: {exc}") from exc
            _last_newnym[key] = time.monotonic()
        LOG.info("NEWNYM sent to tor on control port %d", self.control_port)
        return True

    def bootstrap_progress(self) -> int:
        """Bootstrap percentage (0-100) from ``GETINFO status/bootstrap-phase``."""
        phase = self.get_info("status/bootstrap-phase")
        m = _BOOTSTRAP_RE.search(phase)
        return int(m.group(1)) if m else 0

    def circuit_established(self) -> bool:
        """True when tor has built at least one circuit (``GETINFO status/circuit-established``)."""
        return self.get_info("status/circuit-established").strip() == "1"

    def is_alive(self) -> bool:
        """True when the control port answers an authenticated ``GETINFO version``; never raises."""
        try:
            self.get_info("version")
        except TorControlError:
            return False
        return True

    def version(self) -> str:
        """tor's version string."""
        return self.get_info("version")
