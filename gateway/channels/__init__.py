"""Channel adapters: each turns a request into an Activity and the turn's replies into its response."""

from __future__ import annotations

from starlette.routing import BaseRoute

from gateway.channels import botframework, rest, twilio_sms, webchat
from gateway.settings import Settings

ROUTES: list[BaseRoute] = [*rest.routes, *webchat.routes, *twilio_sms.routes, *botframework.routes]


def startup_notes(settings: Settings) -> list[str]:
    """What the channels need to tell the operator at start-up (e.g. a channel running without auth)."""
    notes = []
    if settings.public_url:
        # Behind a proxy the address users reach differs from the one served on, which `botgate serve` prints.
        base = settings.public_url.rstrip("/")
        notes.append(f"Web chat: open {base}/chat/<bot> in a browser, e.g. {base}/chat/greeter")
    if settings.msapp_id and settings.msapp_password:
        notes.append(
            "Bot Framework endpoint /v1/bots/<bot>/activities checks Bot Framework tokens for app id "
            f"{settings.msapp_id}"
        )
    elif settings.msapp_id or settings.msapp_password:
        notes.append(
            "WARNING: only one of BOTGATE_MSAPP_ID and BOTGATE_MSAPP_PASSWORD is set, so the Bot Framework "
            "endpoint is running without auth; set both to turn auth on"
        )
    else:
        notes.append(
            "Bot Framework endpoint running without auth (no BOTGATE_MSAPP_ID/PASSWORD): fine for the "
            "Emulator on this machine, not for Azure Bot Service"
        )
    if settings.twilio_auth_token is None:
        notes.append("Twilio SMS channel off: set BOTGATE_TWILIO_AUTH_TOKEN to turn on /v1/bots/<bot>/twilio")
    elif settings.public_url is None:
        notes.append(
            "Twilio signatures are checked against the URL each request arrived on; behind a proxy or "
            "tunnel, set BOTGATE_PUBLIC_URL to the URL Twilio calls"
        )
    return notes
