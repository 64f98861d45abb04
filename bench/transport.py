"""Transport benchmark: the SOCKS handler through a loopback SOCKS5 proxy vs Scrapy's default handler, direct.

The regime of real onion crawling, where latency (not CPU) is the limit: every response of the loopback
site takes a fixed time, so by Little's law the best possible rate is concurrency / latency. Each crawl runs
in its own process (bench/crawl_site.py), so CPU and RSS are per crawler; the site and the SOCKS proxy
(tests/socks_server.py) run in their own processes.

    .venv/bin/python bench/transport.py            # full run, about 2-3 minutes
    .venv/bin/python bench/transport.py --quick    # CI smoke, tiny counts

Printed per scenario: pages/s of each mode, their ratio (target >= 0.9), each one's ratio to the bound
(target >= 0.85), CPU seconds per 1,000 pages and peak RSS; the last scenario keeps 1,000 requests in flight.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable
CONCURRENT_ITEMS = 8


@dataclass
class Scenario:
    delay: float
    concurrency: int
    pages: int

    @property
    def name(self) -> str:
        latency = f"{self.delay:g} s" if self.delay >= 1 else f"{self.delay * 1000:g} ms"
        return f"{latency} x {self.concurrency}"

    @property
    def bound(self) -> float:
        return self.concurrency / self.delay


def _raise_nofile() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = hard if hard != resource.RLIM_INFINITY else 65536
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def _spawn(args: list[str]) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen([PY, *args], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if not line or line[0] != "READY":
        proc.kill()
        raise RuntimeError(f"{args[0]} did not start")
    return proc, int(line[1])


def _crawl(mode: str, sc: Scenario, site_port: int, proxy_port: int, tmp: Path) -> dict:
    report = tmp / f"{sc.delay}-{sc.concurrency}-{mode}.json"
    args = [str(ROOT / "bench" / "crawl_site.py"), "--url", f"http://127.0.0.1:{site_port}/p/{{i}}",
            "--count", str(sc.pages), "--report", str(report),
            "--set", f"CONCURRENT_REQUESTS={sc.concurrency}",
            "--set", f"CONCURRENT_REQUESTS_PER_DOMAIN={sc.concurrency}",
            "--set", "DOWNLOAD_TIMEOUT=60", "--set", "RETRY_ENABLED=false",
            "--set", "LOGSTATS_INTERVAL=3600", "--set", "MEMUSAGE_ENABLED=false",
            # Scrapy 2.19 starts CONCURRENT_ITEMS (default 100) asyncio tasks for every response's callback
            # output, ~3 ms of CPU per page; the same lower value for both modes keeps the crawl latency-bound.
            "--set", f"CONCURRENT_ITEMS={CONCURRENT_ITEMS}"]
    if mode == "socks":
        args += ["--handler", "socks", "--proxy", f"socks5h://127.0.0.1:{proxy_port}"]
    else:
        args += ["--handler", "default"]
    subprocess.run([PY, *args], cwd=ROOT, check=True, timeout=600)
    data = json.loads(report.read_text())
    ok = len(data["pages"])
    return {
        "ok": ok,
        "failed": len(data["failures"]),
        "rate": ok / data["elapsed"] if data["elapsed"] else 0.0,
        "cpu_per_1k": data["cpu"] / max(ok, 1) * 1000,
        "rss": data["maxrss_mb"],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="tiny counts (CI smoke)")
    args = parser.parse_args(argv)
    _raise_nofile()
    if args.quick:
        scenarios = [Scenario(2.0, 64, 128), Scenario(0.5, 16, 64), Scenario(2.0, 100, 100)]
    else:
        # 10 latency rounds each (20 s); the last one keeps 1,000 requests in flight for the RSS figure.
        scenarios = [Scenario(2.0, 512, 5120), Scenario(0.5, 64, 2560), Scenario(2.0, 1000, 4000)]

    procs: list[subprocess.Popen[str]] = []
    try:
        sites: dict[float, int] = {}
        for delay in sorted({s.delay for s in scenarios}):
            proc, port = _spawn([str(ROOT / "bench" / "site.py"), "--delay", str(delay)])
            procs.append(proc)
            sites[delay] = port
        proxy, proxy_port = _spawn([str(ROOT / "tests" / "socks_server.py")])
        procs.append(proxy)
        results = []
        with tempfile.TemporaryDirectory() as tmpdir:
            for sc in scenarios:
                t0 = time.monotonic()
                socks = _crawl("socks", sc, sites[sc.delay], proxy_port, Path(tmpdir))
                direct = _crawl("direct", sc, sites[sc.delay], proxy_port, Path(tmpdir))
                results.append((sc, socks, direct, time.monotonic() - t0))
    finally:
        for p in procs:
            p.kill()
            p.wait()

    print(f"Transport benchmark{' (--quick)' if args.quick else ''}: loopback site with fixed latency; "
          "'socks' = crawler.handlers.socks via a loopback SOCKS5 proxy (separate process), "
          "'direct' = Scrapy's default HTTP11 handler, no proxy. Each crawl is its own process; "
          f"both use CONCURRENT_ITEMS={CONCURRENT_ITEMS}, no retries.")
    header = (f"{'latency x concurrency':<22}{'pages':>6} {'bound/s':>8} | {'socks/s':>8} {'direct/s':>9} {'ratio':>6} | "
              f"{'socks/bound':>11} {'direct/bound':>12} | {'CPU s/1k s':>10} {'CPU s/1k d':>10} | "
              f"{'RSS MB s':>8} {'RSS MB d':>8} | {'fail s/d':>8}")
    print(header)
    print("-" * len(header))
    for sc, s, d, _wall in results:
        ratio = s["rate"] / d["rate"] if d["rate"] else 0.0
        print(f"{sc.name:<22}{sc.pages:>6} {sc.bound:>8.0f} | {s['rate']:>8.1f} {d['rate']:>9.1f} {ratio:>6.2f} | "
              f"{s['rate'] / sc.bound:>11.2f} {d['rate'] / sc.bound:>12.2f} | {s['cpu_per_1k']:>10.2f} "
              f"{d['cpu_per_1k']:>10.2f} | {s['rss']:>8.1f} {d['rss']:>8.1f} | {s['failed']:>3}/{d['failed']:<4}")
    print("targets: socks/direct ratio >= 0.90; each mode >= 0.85 of the Little's-law bound "
          "(concurrency / latency). RSS is the crawler process's peak (VmHWM).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
