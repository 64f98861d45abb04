"""Fail closed, proven on the system-call level: a real crawl built from crawler.settings runs under strace.

Every connect() of the crawler process must go to the SOCKS port, nothing may touch port 53, read
/etc/resolv.conf or /etc/hosts (what a local name lookup does), bind or listen (telnet console, remote
control), and with the proxy dead every request fails while the site sees nothing. A positive control shows
that the same tracing does catch a lookup (tldextract fetching the public-suffix list when not pinned).
Needs Debian's ``strace``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from test_handler_crawl import ROOT, Loopback, finish

pytestmark = pytest.mark.skipif(shutil.which("strace") is None, reason="needs strace (apt-get install strace)")

_INET = re.compile(r'connect\(\d+, \{sa_family=AF_INET6?, sin6?_port=htons\((\d+)\),.*?inet_?(?:addr|pton)\((?:AF_INET6?, )?"([^"]+)"')
_SYSCALLS = "connect,sendto,sendmsg,bind,listen,openat"


@pytest.fixture(scope="module")
def lo() -> Loopback:
    env = Loopback()
    yield env  # type: ignore[misc]
    env.close()


def traced_crawl(tmp_path: Path, urls: list[str], proxy: str) -> tuple[dict, str]:
    trace = tmp_path / "crawl.trace"
    report = tmp_path / "report.json"
    cmd = ["strace", "-f", "-qq", "-e", f"trace={_SYSCALLS}", "-o", str(trace),
           sys.executable, str(ROOT / "bench" / "crawl_site.py"), "--project-settings",
           "--proxy", proxy, "--set", "RETRY_TIMES=1", "--report", str(report)]
    for u in urls:
        cmd += ["--url", u]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NARCOWATCH_")}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.report = report  # type: ignore[attr-defined]
    return finish(proc), trace.read_text()


def inet_connects(trace: str) -> list[tuple[str, int]]:
    return [(m.group(2), int(m.group(1))) for m in _INET.finditer(trace)]


def assert_no_lookup_no_listener(trace: str) -> None:
    assert "htons(53)" not in trace, "a DNS packet left the crawler"
    for name in ("/etc/resolv.conf", "/etc/hosts", "nscd", "/etc/nsswitch.conf"):
        assert name not in trace, f"a local name lookup happened ({name})"
    assert not re.search(r"\blisten\(", trace), "something listens (telnet console? remote control?)"
    # urllib3 probes IPv6 support at import by binding ::1 port 0 (no listen, no traffic): allowed.
    binds = re.findall(r"\bbind\(\d+, \{sa_family=AF_INET6?, sin6?_port=htons\((\d+)\)", trace)
    assert all(p == "0" for p in binds), f"an inet socket was bound to a port: {binds}"


def test_crawl_from_project_settings_only_talks_to_the_socks_port(lo: Loopback, tmp_path: Path) -> None:
    [proxy] = lo.socks(1)
    onion = lo.onions[0]
    urls = [f"http://{onion}/p/1", f"http://{onion}/c", f"http://{onion}/p/2",
            f"http://localhost:{lo.port}/p/3"]
    report, trace = traced_crawl(tmp_path, urls, proxy.url)
    assert sorted(p["url"] for p in report["pages"]) == sorted(set(urls)), report["failures"]
    connects = inet_connects(trace)
    assert connects and set(connects) == {("127.0.0.1", proxy.port)}, connects
    assert_no_lookup_no_listener(trace)
    assert {r.host for r in proxy.records} == {onion, "localhost"} and {r.atyp for r in proxy.records} == {3}
    # The real crawler, built from crawler.settings: no telnet console, no remote control, cookies on
    # (so tldextract was consulted for the Domain cookie of /c, from its bundled list).
    log = report["log"]
    enabled_ext = log.split("Enabled extensions:", 1)[1].split("]", 1)[0]
    assert "TelnetConsole" not in enabled_ext and "RemoteControl" not in enabled_ext
    assert "CookiesMiddleware" in log.split("Enabled downloader middlewares:", 1)[1].split("]", 1)[0]
    assert "OnionRedirectGuardMiddleware" in log


def test_dead_proxy_yields_failures_never_direct_fetches(lo: Loopback, tmp_path: Path) -> None:
    [proxy] = lo.socks(1)
    port = proxy.port
    lo.call(proxy.kill())
    before = sum(lo.hits.values())
    urls = [f"http://{lo.onions[1]}/p/1", f"http://localhost:{lo.port}/p/2", f"http://127.0.0.1:{lo.port}/p/3"]
    report, trace = traced_crawl(tmp_path, urls, f"socks5h://127.0.0.1:{port}")
    assert report["pages"] == []
    assert sorted(f["url"] for f in report["failures"]) == sorted(urls)
    assert {f["type"] for f in report["failures"]} == {"DownloadConnectionRefusedError"}
    assert all("fail closed" in f["error"] for f in report["failures"])
    assert sum(lo.hits.values()) == before, "the site was reached without the proxy"
    connects = inet_connects(trace)
    assert connects and set(connects) == {("127.0.0.1", port)}, connects
    assert_no_lookup_no_listener(trace)


def test_positive_control_tracing_catches_an_unpinned_tldextract_lookup(tmp_path: Path) -> None:
    trace = tmp_path / "tld.trace"
    env = {k: v for k, v in os.environ.items() if k != "TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"}
    env["TLDEXTRACT_CACHE"] = str(tmp_path / "cache")
    code = "from tldextract import TLDExtract; TLDExtract(include_psl_private_domains=True)('a.b.onion')"
    subprocess.run(["strace", "-f", "-qq", "-e", f"trace={_SYSCALLS}", "-o", str(trace), sys.executable, "-c", code],
                   env=env, capture_output=True, timeout=120)
    text = trace.read_text()
    assert "/etc/resolv.conf" in text or "htons(53)" in text or inet_connects(text), "the control saw no lookup"
    # ... and the same call with the project's pin makes none.
    pinned = tmp_path / "pinned.trace"
    code_pinned = "import crawler; " + code
    subprocess.run(["strace", "-f", "-qq", "-e", f"trace={_SYSCALLS}", "-o", str(pinned), sys.executable, "-c",
                    code_pinned], env=env, capture_output=True, timeout=120, cwd=ROOT)
    text = pinned.read_text()
    assert "/etc/resolv.conf" not in text and "htons(53)" not in text and not inet_connects(text)
