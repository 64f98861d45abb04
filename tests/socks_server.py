"""A small asyncio SOCKS5 server for tests and the transport benchmark (loopback targets only).

It records every CONNECT (address type, requested host, port, SOCKS username/password), can map fake host
names (``*.onion``) to loopback ports, can delay CONNECT replies, and can be killed (listener and every
relayed connection closed at once) to simulate a tor process dying mid-crawl. Like Tor, it selects
username/password authentication whenever the client offers it.

Run as a script for the benchmark: ``python tests/socks_server.py --port 0`` prints ``READY <port>``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ipaddress
import socket
import struct
import sys
from dataclasses import dataclass, field

ATYP_IPV4, ATYP_DOMAIN, ATYP_IPV6 = 1, 3, 4


@dataclass
class ConnectRecord:
    """One CONNECT request as the proxy saw it."""

    atyp: int
    host: str
    port: int
    username: str | None
    password: str | None


@dataclass
class SocksServer:
    """An in-process SOCKS5 server; ``mapping`` sends host names to loopback ports (e.g. fake onions)."""

    host: str = "127.0.0.1"
    port: int = 0
    mapping: dict[str, int] = field(default_factory=dict)
    connect_delay: float = 0.0
    record: bool = True
    records: list[ConnectRecord] = field(default_factory=list)
    connections: int = 0
    _server: asyncio.base_events.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    async def start(self) -> SocksServer:
        self._server = await asyncio.start_server(self._handle, self.host, self.port, backlog=4096)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"socks5h://{self.host}:{self.port}"

    async def kill(self) -> None:
        """Stop listening and abort every open connection (like a tor process being killed)."""
        if self._server is not None:
            self._server.close()
        for w in list(self._writers):
            w.transport.abort()
        self._writers.clear()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    close = kill

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        self.connections += 1
        upstream: asyncio.StreamWriter | None = None
        try:
            ver, nmethods = await reader.readexactly(2)
            if ver != 5:
                return
            methods = await reader.readexactly(nmethods)
            username = password = None
            if 2 in methods:
                writer.write(b"\x05\x02")
                await writer.drain()
                _ver, ulen = await reader.readexactly(2)
                username = (await reader.readexactly(ulen)).decode()
                (plen,) = await reader.readexactly(1)
                password = (await reader.readexactly(plen)).decode()
                writer.write(b"\x01\x00")
            elif 0 in methods:
                writer.write(b"\x05\x00")
            else:
                writer.write(b"\x05\xff")
                return
            await writer.drain()
            ver, cmd, _rsv, atyp = await reader.readexactly(4)
            if atyp == ATYP_IPV4:
                host = socket.inet_ntoa(await reader.readexactly(4))
            elif atyp == ATYP_DOMAIN:
                (n,) = await reader.readexactly(1)
                host = (await reader.readexactly(n)).decode()
            elif atyp == ATYP_IPV6:
                host = socket.inet_ntop(socket.AF_INET6, await reader.readexactly(16))
            else:
                return
            (port,) = struct.unpack("!H", await reader.readexactly(2))
            if self.record:
                self.records.append(ConnectRecord(atyp, host, port, username, password))
            if self.connect_delay:
                await asyncio.sleep(self.connect_delay)
            if cmd != 1:
                writer.write(b"\x05\x07\x00\x01" + b"\x00" * 6)
                return
            target_port = self.mapping.get(host, port)
            target_host = "127.0.0.1"
            if host not in self.mapping and host != "localhost":
                try:
                    if not ipaddress.ip_address(host).is_loopback:
                        raise ValueError(host)
                except ValueError:
                    # Tests never leave loopback: unknown names are "host unreachable" (code 4).
                    writer.write(b"\x05\x04\x00\x01" + b"\x00" * 6)
                    return
                target_host = host
            try:
                up_reader, upstream = await asyncio.open_connection(target_host, target_port)
            except OSError:
                writer.write(b"\x05\x05\x00\x01" + b"\x00" * 6)
                return
            self._writers.add(upstream)
            writer.write(b"\x05\x00\x00\x01" + b"\x7f\x00\x00\x01" + struct.pack("!H", target_port))
            await writer.drain()
            await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            for w in (writer, upstream):
                if w is not None:
                    self._writers.discard(w)
                    with contextlib.suppress(Exception):
                        w.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


async def _main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0, help="seconds added to every CONNECT")
    parser.add_argument("--map", action="append", default=[], help="HOST=PORT (send HOST to 127.0.0.1:PORT)")
    args = parser.parse_args(argv)
    mapping = {h: int(p) for h, p in (m.split("=", 1) for m in args.map)}
    server = await SocksServer(port=args.port, mapping=mapping, connect_delay=args.delay, record=False).start()
    print(f"READY {server.port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(sys.argv[1:]))
