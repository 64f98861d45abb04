"""Shared pytest setup: every test gets its own Narcowatch home, so nothing touches the user's store."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path_factory.mktemp("nwhome")
    monkeypatch.setenv("NARCOWATCH_HOME", str(home))
    monkeypatch.delenv("NARCOWATCH_STORE", raising=False)
    monkeypatch.delenv("NARCOWATCH_CONFIG", raising=False)
    return home
