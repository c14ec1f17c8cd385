"""The admin API in the OpenAPI document: every /admin/v1 operation and its schemas, and the dashboard page."""

from __future__ import annotations

from gateway import openapi_rollout
from gateway.openapi_parts import BOT, JSON, TIME, VERSION_STRING, errors, json_body, nullable, path_param, ref
from gateway.openapi_rollout import with_etag

PREFIX = "/admin/v1"
SECURITY: list[JSON] = [{"bearer": []}]
VERSION = path_param("version", "A version string (PEP 440).", "2.0.0")
USER = path_param("user", "The user's id as the channels know it.", "alice", {"type": "string", "minLength": 1})
STRING = {"type": "string"}

SCHEMAS: JSON = {
    **openapi_rollout.SCHEMAS,
    "Whoami": {
        "type": "object",
        "required": ["identity", "read_only"],
        "properties": {
            "identity": {"type": "string", "description": "token#<8 hex of the token's SHA-256>, as in the audit."},
            "read_only": {"type": "boolean", "description": "True for a `ro:` token: every change answers 403."},
        },
    },
    "Version": {
        "type": "object",
        "required": ["version", "status", "in_flight", "active_sessions", "created_at", "digest"],
        "properties": {
            "version": STRING,
            "status": {"enum": ["draft", "published", "unpublished"]},
            "in_flight": {"enum": ["drain", "reset", None], "description": "Set when unpublished."},
            "active_sessions": {"type": "integer"},
            "created_at": TIME,
            "digest": {"type": "string", "description": "SHA-256 of the definition's canonical JSON."},
            "resumes": {
                **nullable(STRING),
                "description": "The older versions whose conversations under way this one takes over (a specifier).",
            },
        },
    },
    "Health": {
        "type": "object",
        "required": ["bot", "window", "versions"],
        "properties": {
            "bot": STRING,
            "window": {"type": "integer"},
            "versions": {"type": "object", "additionalProperties": ref("VersionHealth")},
        },
    },
    "VersionHealth": {
        "type": "object",
        "required": [
            "started",
            "completed",
            "reset",
            "migrated",
            "turns",
            "errors",
            "error_rate",
            "completion_rate",
            "active_sessions",
            "p95_ms",
            "series",
        ],
        "properties": {
            **{name: {"type": "integer"} for name in ("started", "completed", "reset", "migrated", "turns", "errors")},
            "error_rate": {**nullable({"type": "number"}), "description": "errors / turns; null without turns."},
            "completion_rate": {
                **nullable({"type": "number"}),
                "description": "completed / (completed + reset); null while none finished.",
            },
            "active_sessions": {"type": "integer", "description": "Now."},
            "p95_ms": {**nullable({"type": "integer"}), "description": "Upper bound of the p95 latency bucket."},
            "series": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["t", "started", "turns", "errors", "active_sessions"],
                    "properties": {
                        "t": TIME,
                        "started": {"type": "integer"},
                        "turns": {"type": "integer"},
                        "errors": {"type": "integer"},
                        "active_sessions": nullable({"type": "integer"}),
                    },
                },
            },
        },
    },
    "Resumable": {
        "type": "object",
        "required": ["bot", "version", "resumes", "routed_now", "sessions", "by_version"],
        "properties": {
            "bot": STRING,
            "version": STRING,
            "resumes": nullable(STRING),
            "routed_now": {
                "enum": ["stable", "canary", "pinned", "no"],
                "description": "How routing reaches the version today.",
            },
            "sessions": {
                "type": "integer",
                "description": "At most this many conversations under way move to it once routed to their users.",
            },
            "by_version": {"type": "object", "additionalProperties": {"type": "integer"}},
        },
    },
    "VersionStatus": {
        "allOf": [ref("Version"), {"type": "object", "required": ["bot"], "properties": {"bot": STRING}}]
    },
    "VersionDetail": {
        "allOf": [
            ref("VersionStatus"),
            {
                "type": "object",
                "required": ["definition"],
                "properties": {"definition": {"type": "object", "description": "The stored definition, as JSON."}},
            },
        ],
    },
    "Bot": {
        "type": "object",
        "required": ["bot", "rollout", "serving", "versions", "pins"],
        "properties": {
            "bot": STRING,
            "rollout": ref("Rollout"),
            "serving": {
                "type": "object",
                "description": "The rollout as routing applies it now (unpublished versions are skipped).",
                "required": ["stable", "canary"],
                "properties": {"stable": nullable(STRING), "canary": nullable(ref("Canary"))},
            },
            "versions": {"type": "array", "items": ref("Version"), "description": "Newest first."},
            "pins": {"type": "object", "additionalProperties": STRING, "description": "user -> version."},
        },
    },
    "Bots": {
        "type": "object",
        "required": ["bots"],
        "properties": {"bots": {"type": "array", "items": ref("Bot")}},
    },
    "Unpublish": {
        "type": "object",
        "additionalProperties": False,
        "properties": {"in_flight": {"enum": ["drain", "reset"], "default": "drain"}},
    },
    "Pin": {
        "type": "object",
        "required": ["version"],
        "additionalProperties": False,
        "properties": {"version": {**VERSION_STRING, "description": "A draft or a published version."}},
    },
    "PinStatus": {
        "type": "object",
        "required": ["bot", "user", "pin", "next_conversation"],
        "properties": {
            "bot": STRING,
            "user": STRING,
            "pin": nullable(STRING),
            "next_conversation": nullable(
                {
                    "type": "object",
                    "required": ["version", "reason"],
                    "properties": {"version": STRING, "reason": {"enum": ["pin", "canary", "stable"]}},
                }
            ),
        },
    },
    "Sessions": {
        "allOf": [
            ref("PinStatus"),
            {
                "type": "object",
                "required": ["sessions"],
                "properties": {
                    "sessions": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": [
                                "channel",
                                "space",
                                "version",
                                "status",
                                "conversation",
                                "turns",
                                "started_at",
                                "last_seen",
                            ],
                            "properties": {
                                "channel": STRING,
                                "space": nullable(STRING),
                                "version": STRING,
                                "status": {"enum": ["active", "confirming", "ended"]},
                                "conversation": STRING,
                                "turns": {"type": "integer"},
                                "started_at": TIME,
                                "last_seen": TIME,
                            },
                        },
                    },
                },
            },
        ],
    },
    "Transcript": {
        "type": "object",
        "required": ["bot", "user", "conversations"],
        "properties": {
            "bot": STRING,
            "user": STRING,
            "conversations": {
                "type": "array",
                "description": "Newest first.",
                "items": {
                    "type": "object",
                    "required": ["conversation", "channel", "space", "started_at", "messages"],
                    "properties": {
                        "conversation": STRING,
                        "channel": STRING,
                        "space": nullable(STRING),
                        "started_at": TIME,
                        "messages": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "required": ["role", "text", "version", "at"],
                                "properties": {
                                    "role": {"enum": ["user", "bot"]},
                                    "text": STRING,
                                    "version": STRING,
                                    "at": TIME,
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "Audit": {
        "type": "object",
        "required": ["bot", "entries"],
        "properties": {
            "bot": STRING,
            "entries": {
                "type": "array",
                "description": "Newest first.",
                "items": {
                    "type": "object",
                    "required": ["at", "actor", "action", "subject", "before", "after"],
                    "properties": {
                        "at": TIME,
                        "actor": {
                            "type": "string",
                            "description": "token#<8 hex of the token's SHA-256>, startup, or guard",
                        },
                        "action": {"enum": ["store", "publish", "unpublish", "rollout", "pin", "unpin"]},
                        "subject": {"type": "string", "description": "The version, user or bot changed."},
                        "before": {},
                        "after": {},
                    },
                },
            },
        },
    },
}

DEFINITION_BODY = {
    "required": True,
    "description": "A bot definition (docs/definitions.md); its bot and version must match the URL.",
    "content": {
        "application/json": {"schema": {"type": "object"}},
        "application/yaml": {"schema": {"type": "string"}},
    },
}


def _op(
    summary: str, ok: JSON, *statuses: int, params: tuple[JSON, ...] = (), body: JSON | None = None, write: bool = False
) -> JSON:
    responses = {**ok, **errors(*sorted({401, 404, 503, *((403, 409) if write else ()), *statuses}))}
    op: JSON = {"summary": summary, "security": SECURITY, "parameters": list(params), "responses": responses}
    if body is not None:
        op["requestBody"] = body
    return op


def _ok(schema: str, description: str, status: int = 200) -> JSON:
    return {str(status): json_body(ref(schema), description)}


def _json_request(schema: str, required: bool = True) -> JSON:
    return {"required": required, "content": {"application/json": {"schema": ref(schema)}}}


BODY_ERRORS = (400, 413, 422)
LIMIT = {
    "name": "limit",
    "in": "query",
    "required": False,
    "description": "How many entries, newest first.",
    "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
}

WINDOW = {
    "name": "window",
    "in": "query",
    "required": False,
    "description": "Seconds back from now.",
    "schema": {"type": "integer", "minimum": 60, "maximum": 172800, "default": 3600},
}

PATHS: JSON = {
    "/whoami": {
        "get": _op("The token's identity and whether it may change anything", _ok("Whoami", "Who the token is."))
    },
    "/bots": {"get": _op("List bots with their rollout and versions", _ok("Bots", "Every bot."))},
    "/bots/{bot}": {
        "get": _op("A bot: rollout, versions with active sessions, pins", _ok("Bot", "The bot."), params=(BOT,))
    },
    "/bots/{bot}/versions/{version}": {
        "put": _op(
            "Store a definition as a draft",
            {
                **_ok("VersionStatus", "Identical content was already stored; nothing changed."),
                **_ok("VersionStatus", "Stored as a draft.", 201),
            },
            *BODY_ERRORS,
            params=(BOT, VERSION),
            body=DEFINITION_BODY,
            write=True,
        ),
        "get": _op(
            "A version: status, counts, definition", _ok("VersionDetail", "The version."), params=(BOT, VERSION)
        ),
    },
    "/bots/{bot}/versions/{version}/publish": {
        "post": _op(
            "Make a version eligible for routing", _ok("VersionStatus", "Published."), params=(BOT, VERSION), write=True
        ),
    },
    "/bots/{bot}/versions/{version}/unpublish": {
        "post": _op(
            "Take a version out of routing; conversations under way drain or reset",
            _ok("VersionStatus", "Unpublished."),
            *BODY_ERRORS,
            params=(BOT, VERSION),
            body=_json_request("Unpublish", required=False),
            write=True,
        ),
    },
    "/bots/{bot}/versions/{version}/resumable": {
        "get": _op(
            "Dry run: the conversations under way routing this version would move to it (from the counters)",
            _ok("Resumable", "Sessions per older version it resumes."),
            params=(BOT, VERSION),
        ),
    },
    "/bots/{bot}/health": {
        "get": _op(
            "Each version's conversation health over a window, and per minute",
            _ok("Health", "Counts, rates, p95 and a per-minute series per version."),
            params=(BOT, WINDOW),
        ),
    },
    "/bots/{bot}/rollout": {
        "get": _op(
            "The rollout as set, with the guard's last change", with_etag(_ok("Rollout", "The rollout.")), params=(BOT,)
        ),
        "put": _op(
            "Replace the rollout (with If-Match: only if unchanged since read)",
            {**with_etag(_ok("Rollout", "The new rollout.")), **openapi_rollout.PRECONDITION_FAILED},
            *BODY_ERRORS,
            params=(BOT, openapi_rollout.IF_MATCH),
            body=_json_request("Rollout"),
            write=True,
        ),
    },
    "/bots/{bot}/pins/{user}": {
        "put": _op(
            "Pin a user's next conversations to a version",
            _ok("PinStatus", "Pinned."),
            *BODY_ERRORS,
            params=(BOT, USER),
            body=_json_request("Pin"),
            write=True,
        ),
        "delete": _op(
            "Remove a user's pin",
            _ok("PinStatus", "Unpinned (or was not pinned)."),
            422,
            params=(BOT, USER),
            write=True,
        ),
    },
    "/bots/{bot}/sessions/{user}": {
        "get": _op(
            "A user's sessions across channels and spaces", _ok("Sessions", "The sessions."), 422, params=(BOT, USER)
        ),
        "delete": _op(
            "Reset a user's sessions: the next message starts a new conversation",
            _ok("Sessions", "The sessions, now ended."),
            422,
            params=(BOT, USER),
            write=True,
        ),
    },
    "/bots/{bot}/sessions/{user}/transcript": {
        "get": _op(
            "A user's conversations, each message with its version",
            _ok("Transcript", "The transcript."),
            422,
            params=(BOT, USER),
        ),
    },
    "/bots/{bot}/audit": {
        "get": _op(
            "Changes to versions, rollout and pins, newest first",
            _ok("Audit", "The audit log."),
            422,
            params=(BOT, LIMIT),
        ),
    },
}

HTML_PAGE = {"text/html": {"schema": {"type": "string"}}}
# Outside /admin/v1 and outside its auth: the page holds no data; it asks for a token and calls the API with it.
PAGES: JSON = {
    "/admin/": {
        "get": {
            "summary": "The operator's dashboard (a page; its data calls need an admin token)",
            "responses": {"200": {"description": "The page.", "content": HTML_PAGE}},
        }
    },
}
