"""``narcowatch tor start|status|stop``: local tor processes for the crawler's SOCKS pool."""

from __future__ import annotations

import json
import signal
import threading
from pathlib import Path
from typing import Any

import click

from crawler.tor.launcher import (
    InstanceStatus,
    TorInstance,
    TorLauncher,
    TorLaunchError,
    default_state_dir,
    read_torrc_extra,
)

_STATE_DIR_OPTION = click.option(
    "--state-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where data directories and state.json live (default: $NARCOWATCH_HOME/tor or "
    "~/.local/share/narcowatch/tor).",
)


def _console() -> Any:
    from rich.console import Console

    return Console(highlight=False)


def _settings_hint(launcher: TorLauncher) -> str:
    """How to point crawls at these instances (comma-separated: the env and ``-s`` forms both accept it)."""
    proxies = ",".join(launcher.proxy_urls())
    ports = ",".join(str(p or "") for p in launcher.control_ports())
    return f"NARCOWATCH_TOR_PROXIES={proxies}\nNARCOWATCH_TOR_CONTROL_PORTS={ports}"


def _wait_with_progress(launcher: TorLauncher, instances: list[TorInstance], timeout: float) -> bool:
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        console=_console(),
    ) as progress:
        tasks = {
            inst.name: progress.add_task(
                f"{inst.name} socks {inst.socks_port} control {inst.control_port}", total=100
            )
            for inst in instances
        }

        def on_progress(inst: TorInstance, pct: int) -> None:
            progress.update(tasks[inst.name], completed=pct)

        return launcher.wait_bootstrapped(timeout=timeout, on_progress=on_progress, instances=instances)


@click.group("tor")
def tor_group() -> None:
    """Launch, inspect and stop local tor processes (or attach an existing tor)."""


@tor_group.command("start")
@click.option("-n", "count", type=click.IntRange(1, 64), default=1, show_default=True,
              help="Number of tor processes (tor is single-threaded: one per CPU core is reasonable).")
@_STATE_DIR_OPTION
@click.option("--torrc-extra", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              envvar="NARCOWATCH_TOR_TORRC_EXTRA",
              help="File of extra torrc lines for every instance (bridges, a private test network, ...).")
@click.option("--timeout", type=float, default=180.0, show_default=True, help="Seconds to wait for bootstrap.")
@click.option("--no-wait", is_flag=True, help="Return at once instead of waiting for bootstrap.")
@click.option("--foreground", is_flag=True,
              help="Stay in the foreground supervising the processes (restart dead ones) until Ctrl-C, then "
              "stop them.")
@click.option("--socks", "socks_port", type=int, default=None,
              help="Attach an existing tor by its SOCKS port instead of launching one.")
@click.option("--control", "control_port", type=int, default=None, help="Control port of the attached tor.")
@click.option("--cookie", "cookie_path", type=click.Path(dir_okay=False), default=None,
              help="Control-port auth cookie of the attached tor (default: whatever tor advertises).")
@click.option("--password-env", default=None,
              help="Name of an environment variable holding the attached tor's control password.")
def start_command(
    count: int,
    state_dir: Path | None,
    torrc_extra: Path | None,
    timeout: float,
    no_wait: bool,
    foreground: bool,
    socks_port: int | None,
    control_port: int | None,
    cookie_path: str | None,
    password_env: str | None,
) -> None:
    """Start N supervised tor processes (or attach one) and report bootstrap progress."""
    import os

    console = _console()
    launcher = TorLauncher(state_dir or default_state_dir(), torrc_extra=read_torrc_extra(torrc_extra),
                           detach=not foreground)
    try:
        if socks_port is not None:
            password = os.environ.get(password_env) if password_env else None
            inst = launcher.attach(socks_port, control_port, cookie_path=cookie_path, password=password)
            instances = [inst]
            console.print(f"attached {inst.name}: socks {inst.socks_port}, control {inst.control_port}")
        elif control_port is not None:
            raise click.UsageError("--control needs --socks (attach mode)")
        else:
            instances = launcher.launch(count)
    except (TorLaunchError, ValueError, OSError) as exc:
        raise click.ClickException(str(exc)) from exc

    ok = True
    if not no_wait:
        try:
            ok = _wait_with_progress(launcher, instances, timeout)
        except TorLaunchError as exc:
            raise click.ClickException(str(exc)) from exc
    for inst in instances:
        kind = "attached" if inst.external else f"pid {inst.pid}"
        console.print(f"{inst.name}: {kind}  socks {inst.socks_url}  control {inst.control_port}")
    console.print(_settings_hint(launcher))
    console.print(f"state: {launcher.state_path}")
    if not ok:
        raise click.ClickException(f"not every tor bootstrapped within {timeout:.0f} s (see `narcowatch tor status`)")

    if foreground:
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        console.print("supervising; Ctrl-C stops the tor processes")
        try:
            launcher.supervise(stop)
        finally:
            launcher.stop_all()
            console.print("stopped")


def _status_row(st: InstanceStatus) -> dict[str, Any]:
    return {
        "name": st.name, "pid": st.pid, "alive": st.alive, "external": st.external,
        "socks_port": st.socks_port, "control_port": st.control_port, "bootstrap": st.bootstrap,
        "circuit_established": st.circuit_established, "control_ok": st.control_ok, "error": st.error,
    }


@tor_group.command("status")
@_STATE_DIR_OPTION
@click.option("--json", "as_json", is_flag=True, help="One JSON object per instance, one per line.")
@click.option("--restart-dead", is_flag=True, help="Restart launched instances whose process is gone.")
def status_command(state_dir: Path | None, as_json: bool, restart_dead: bool) -> None:
    """Report each instance: process alive, bootstrap %, ports, circuit established."""
    from rich.table import Table

    launcher = TorLauncher(state_dir or default_state_dir())
    if not launcher.instances:
        raise click.ClickException(f"no tor instances recorded in {launcher.state_path}")
    if restart_dead:
        for inst in launcher.restart_dead():
            click.echo(f"restarted {inst.name} (pid {inst.pid})", err=True)
    statuses = launcher.status()
    if as_json:
        for st in statuses:
            click.echo(json.dumps(_status_row(st)))
    else:
        table = Table(title=f"tor instances ({launcher.state_path})")
        for col in ("name", "pid", "alive", "bootstrap", "socks", "control", "circuit", "note"):
            table.add_column(col)
        for st in statuses:
            table.add_row(
                st.name,
                "attached" if st.external else str(st.pid),
                "yes" if st.alive else "[red]no[/red]",
                "-" if st.bootstrap is None else f"{st.bootstrap}%",
                str(st.socks_port),
                str(st.control_port or "-"),
                {True: "yes", False: "no", None: "-"}[st.circuit_established],
                st.error or "",
            )
        _console().print(table)
    if not all(st.alive for st in statuses):
        raise SystemExit(1)


@tor_group.command("stop")
@_STATE_DIR_OPTION
def stop_command(state_dir: Path | None) -> None:
    """Stop every launched tor (attached ones are only forgotten) and clear the state file."""
    launcher = TorLauncher(state_dir or default_state_dir())
    if not launcher.instances:
        click.echo(f"no tor instances recorded in {launcher.state_path}")
        return
    attached = [i.name for i in launcher.instances if i.external]
    for inst in launcher.stop_all():
        click.echo(f"stopped {inst.name} (pid {inst.pid})")
    for name in attached:
        click.echo(f"forgot {name} (attached, left running)")
