"""Channel adapters: each turns a request into an Activity and the turn's replies into its response."""

from __future__ import annotations

from starlette.routing import BaseRoute

from gateway.channels import rest
from gateway.settings import Settings

ROUTES: list[BaseRoute] = [*rest.routes]


def startup_notes(settings: Settings) -> list[str]:
    """What the channels need to tell the operator at start-up (e.g. a channel running without auth)."""
    return []
