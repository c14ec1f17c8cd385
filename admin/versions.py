"""Admin routes for one version: store a definition as a draft, read it, publish, unpublish."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from admin.requests import in_flight_of, problem, read_document, url_bot, url_version
from admin.services import AdminServices, actor, admin_services, bot_state
from admin.views import JSON, resumable_view, version_view
from bot_versions.errors import Invalid, NotFound
from bot_versions.model import BotVersion, Status, canonical_version
from bot_versions.validation import StoreRules, load_version, validate
from middleware.session_admin import active_sessions


def definition_for(bot: str, version: str, document: Any, rules: StoreRules | None = None) -> BotVersion:
    """The version a PUT body defines; raise Invalid with every problem, the URL disagreeing with the body included."""
    problems = [p.to_json() for p in validate(document, rules)]
    if isinstance(document, dict):
        problems += _disagreements(bot, version, document)
    if problems:
        raise Invalid(f"the definition has {len(problems)} problem(s)", details=problems)
    return load_version(document, rules)


def _disagreements(bot: str, version: str, document: dict[str, Any]) -> list[dict[str, str]]:
    found = []
    body_bot, body_version = document.get("bot"), document.get("version")
    if isinstance(body_bot, str) and body_bot != bot:
        found.append(problem("bot", f"the body defines bot {body_bot!r} but the URL names {bot!r}"))
    url_version = _canonical(version)
    if url_version is None:
        found.append(problem("version", f"the URL's version {version!r} is not a version (e.g. 1.0.0 or 2.1.0rc1)"))
    elif isinstance(body_version, str) and _canonical(body_version) not in (None, url_version):
        # an unreadable body version is reported by validate(), not here
        found.append(problem("version", f"the body defines version {body_version} but the URL names {url_version}"))
    return found


def _canonical(version: str) -> str | None:
    try:
        return canonical_version(version)
    except ValueError:
        return None


async def _view(svc: AdminServices, bot: str, version: str) -> JSON:
    state = await bot_state(svc, bot)
    meta = state.versions.get(version)
    if meta is None:
        raise NotFound(f"{bot} has no version {version}")
    counts = await active_sessions(svc.redis, bot)
    return {"bot": bot, **version_view(version, meta, counts.get(version, 0))}


async def put_version(request: Request) -> Response:
    """Store a definition as a draft: 201 when stored, 200 when identical content was already there."""
    svc = admin_services(request)
    document = await read_document(request)
    version = definition_for(request.path_params["bot"], request.path_params["version"], document, svc.store_rules)
    created = await svc.registry.put(version, actor(request))
    svc.catalog.invalidate(version.bot)
    view = await _view(svc, version.bot, version.version)
    headers = {"Location": f"/admin/v1/bots/{version.bot}/versions/{version.version}"}
    return JSONResponse(view, status_code=201 if created else 200, headers=headers)


async def get_version(request: Request) -> Response:
    """A version's status, counts and definition."""
    svc = admin_services(request)
    bot, version = url_bot(request), url_version(request)
    view = await _view(svc, bot, version)
    definition = await svc.registry.definition(bot, version)
    return JSONResponse({**view, "definition": definition.document})


async def publish(request: Request) -> Response:
    """Make a stored version eligible for routing (publishing it again changes nothing)."""
    svc = admin_services(request)
    bot, version = url_bot(request), url_version(request)
    await svc.registry.set_status(bot, version, Status.PUBLISHED, actor(request))
    svc.catalog.invalidate(bot)
    return JSONResponse(await _view(svc, bot, version))


async def unpublish(request: Request) -> Response:
    """Take a version out of routing; its conversations under way drain (default) or reset at their next message."""
    svc = admin_services(request)
    bot, version = url_bot(request), url_version(request)
    in_flight = in_flight_of(await read_document(request, optional=True))
    await svc.registry.set_status(bot, version, Status.UNPUBLISHED, actor(request), in_flight)
    svc.catalog.invalidate(bot)
    return JSONResponse(await _view(svc, bot, version))


async def resumable(request: Request) -> Response:
    """How many conversations under way routing this version now would move to it (a dry run; changes nothing)."""
    svc = admin_services(request)
    bot, version = url_bot(request), url_version(request)
    state = await bot_state(svc, bot)
    if version not in state.versions:
        raise NotFound(f"{bot} has no version {version}")
    return JSONResponse(resumable_view(state, version, await active_sessions(svc.redis, bot)))
