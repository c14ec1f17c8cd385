"""The example bots shipped with botgate, loaded at start-up when BOTGATE_BOTS_DIR is not set."""

from __future__ import annotations

from pathlib import Path


def examples_dir() -> Path:
    """The directory of the shipped example definitions (a package, so its files ship with botgate)."""
    return Path(__file__).resolve().parent
