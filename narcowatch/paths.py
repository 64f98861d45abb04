"""Where Narcowatch keeps its state and finds its configuration."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]


def home() -> Path:
    """State directory: $NARCOWATCH_HOME, else $XDG_DATA_HOME/narcowatch, else ~/.local/share/narcowatch."""
    if os.environ.get("NARCOWATCH_HOME"):
        return Path(os.environ["NARCOWATCH_HOME"]).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(xdg) / "narcowatch"


def default_store() -> Path:
    """The SQLite store: $NARCOWATCH_STORE, else <home>/narcowatch.db."""
    if os.environ.get("NARCOWATCH_STORE"):
        return Path(os.environ["NARCOWATCH_STORE"]).expanduser()
    return home() / "narcowatch.db"


def config_dir() -> Path:
    """Configuration data: $NARCOWATCH_CONFIG, else the repository's config/ folder."""
    if os.environ.get("NARCOWATCH_CONFIG"):
        return Path(os.environ["NARCOWATCH_CONFIG"]).expanduser()
    return REPO_ROOT / "config"
