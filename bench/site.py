"""A loopback HTTP site (aiohttp) for the transport tests and benchmark.

Routes: ``/p/{n}`` a small HTML page (after ``delay`` seconds), ``/big?n=BYTES&cl=0|1`` a large body with or
without Content-Length, ``/bomb`` a gzip bomb, ``/slow?s=SECONDS``, ``/loop/{n}`` an endless redirect chain,
``/to?url=URL`` a 302 to any URL, ``/headers`` the request headers as JSON, ``/c`` a page setting a Domain cookie,
``/status/{code}`` an empty page with that status. Every request is counted per
path in ``hits``. Run as a script (``python bench/site.py --port 0 --delay 2``) it prints ``READY <port>``.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import sys
from collections import Counter

from aiohttp import web

_PAGE = (
    "<html><head><title>page {n}</title></head><body><h1>Listing {n}</h1>"
    "<p>Mephedrone crystal 2 g, 5000 RUB. Ships worldwide.</p>" + "<p>filler text</p>" * 30 + "</body></html>"
)


HITS = web.AppKey("hits", Counter)


def make_app(delay: float = 0.0, bomb_mb: int = 64) -> web.Application:
    """Build the site; ``hits`` (a Counter of paths) is stored in ``app[HITS]``."""
    hits: Counter[str] = Counter()
    bomb = gzip.compress(b"\0" * (bomb_mb * 1024 * 1024), compresslevel=9)

    @web.middleware
    async def count(request: web.Request, handler):  # type: ignore[no-untyped-def]
        hits[request.path] += 1
        return await handler(request)

    async def page(request: web.Request) -> web.Response:
        if delay:
            await asyncio.sleep(delay)
        return web.Response(text=_PAGE.format(n=request.match_info["n"]), content_type="text/html")

    async def big(request: web.Request) -> web.StreamResponse:
        n = int(request.query.get("n", "1048576"))
        chunk = b"x" * 65536
        if request.query.get("cl", "1") == "1":
            return web.Response(body=b"x" * n, content_type="text/plain")
        resp = web.StreamResponse()
        resp.content_type = "text/plain"
        resp.enable_chunked_encoding()
        await resp.prepare(request)
        sent = 0
        try:
            while sent < n:
                part = chunk[: min(len(chunk), n - sent)]
                await resp.write(part)
                sent += len(part)
        except (ConnectionError, OSError):
            return resp
        await resp.write_eof()
        return resp

    async def bomb_route(request: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip", "Content-Type": "text/html"})

    async def slow(request: web.Request) -> web.Response:
        await asyncio.sleep(float(request.query.get("s", "30")))
        return web.Response(text="late")

    async def loop(request: web.Request) -> web.Response:
        n = int(request.match_info["n"])
        raise web.HTTPFound(f"/loop/{n + 1}")

    async def to(request: web.Request) -> web.Response:
        raise web.HTTPFound(request.query["url"])

    async def status(request: web.Request) -> web.Response:
        return web.Response(status=int(request.match_info["code"]), text="status")

    async def cookie(request: web.Request) -> web.Response:
        # A Domain cookie makes Scrapy's CookiesMiddleware consult tldextract (public-suffix check).
        host = request.host.split(":")[0]
        return web.Response(text="cookie", headers={"Set-Cookie": f"sid=1; Domain={host}; Path=/"})

    async def headers(request: web.Request) -> web.Response:
        return web.json_response({k: v for k, v in request.headers.items()})

    app = web.Application(middlewares=[count])
    app[HITS] = hits
    app.router.add_get("/p/{n}", page)
    app.router.add_get("/big", big)
    app.router.add_get("/bomb", bomb_route)
    app.router.add_get("/slow", slow)
    app.router.add_get("/loop/{n}", loop)
    app.router.add_get("/to", to)
    app.router.add_get("/headers", headers)
    app.router.add_get("/c", cookie)
    app.router.add_get("/status/{code}", status)
    return app


async def start_site(delay: float = 0.0, port: int = 0) -> tuple[web.AppRunner, int]:
    """Start the site on 127.0.0.1; returns the runner (``await runner.cleanup()``) and the port."""
    runner = web.AppRunner(make_app(delay), access_log=None, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=4096)
    await site.start()
    sock = site._server.sockets[0]  # type: ignore[union-attr]
    return runner, sock.getsockname()[1]


async def _main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--delay", type=float, default=0.0)
    args = parser.parse_args(argv)
    _runner, port = await start_site(args.delay, args.port)
    print(f"READY {port}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(_main(sys.argv[1:]))
    except KeyboardInterrupt:
        pass
