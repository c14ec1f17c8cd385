"""The installed botgate's version, as `botgate --version` and /openapi.json report it."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as package_version


def installed_version() -> str:
    """The installed botgate's version (0.0.0 from a source tree that was never installed)."""
    try:
        return package_version("botgate")
    except PackageNotFoundError:
        return "0.0.0"
