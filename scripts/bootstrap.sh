#!/usr/bin/env bash
# Set up Narcowatch on a fresh Debian 12 machine and run the demo or the tests.
#   bash scripts/bootstrap.sh demo   # virtualenv + Python packages, then `narcowatch demo`
#   bash scripts/bootstrap.sh test   # also the system packages the tests start (tor, strace), then the tests
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-demo}"
shift || true

as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

apt_install() {
  local missing=()
  for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "Installing system packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
  fi
}

PY="${PYTHON:-python3}"
if ! "$PY" -c 'import venv, ensurepip' >/dev/null 2>&1; then
  apt_install python3-venv
fi
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
.venv/bin/python -m pip install -q --upgrade pip
case "$mode" in
  demo)
    .venv/bin/python -m pip install -q -e .
    exec .venv/bin/narcowatch demo "$@"
    ;;
  test)
    # tor (+ tor-gencert): the private Tor network tests; strace: the fail-closed (no direct connect,
    # no DNS) tests
    apt_install tor strace ca-certificates
    # Debian starts a system tor on 9050 that tries to reach the internet; the tests run their own.
    if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet tor 2>/dev/null; then
      as_root systemctl disable --now tor >/dev/null 2>&1 || true
    fi
    .venv/bin/python -m pip install -q -e '.[test]'
    exec bash scripts/run-tests.sh "$@"
    ;;
  *)
    echo "usage: bash scripts/bootstrap.sh demo|test [args...]" >&2
    exit 2
    ;;
esac
