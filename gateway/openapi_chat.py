"""The chat channels and the operational routes in the OpenAPI document."""

from __future__ import annotations

from gateway.openapi_parts import BOT, JSON, errors, json_body, path_param, ref

VERSION_HEADER = {"X-Bot-Version": {"schema": {"type": "string"}, "description": "The version that answered."}}
ID = {"type": "string", "minLength": 1, "maxLength": 256}

SCHEMAS: JSON = {
    "ChatRequest": {
        "type": "object",
        "required": ["user", "text"],
        "properties": {
            "user": {**ID, "examples": ["alice"]},
            "text": {"type": "string", "maxLength": 4096, "examples": ["hi"]},
            "id": {**ID, "description": "The channel's message id: a retry with the same id gets the same answer."},
            "space": {**ID, "description": "A room: the user has one session per space."},
        },
    },
    "Reply": {
        "type": "object",
        "required": ["text"],
        "properties": {"text": {"type": "string"}, "choices": {"type": "array", "items": {"type": "string"}}},
    },
    "ChatResponse": {
        "type": "object",
        "required": ["replies", "conversation", "version", "status"],
        "properties": {
            "replies": {"type": "array", "items": ref("Reply")},
            "conversation": {"type": "string"},
            "version": {"type": "string"},
            "status": {"enum": ["active", "confirming", "ended"]},
        },
    },
    "Status": {"type": "object", "required": ["status"], "properties": {"status": {"type": "string"}}},
    "Activity": {
        "type": "object",
        "description": "A Bot Framework Activity (only the fields the gateway reads are listed).",
        "required": ["type"],
        "properties": {"type": {"type": "string"}, "deliveryMode": {"type": "string"}},
    },
    "ResourceResponse": {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}},
}

CHAT_ERRORS = (400, 404, 413, 422, 502, 503)
CONNECTOR = "/v1/connector/{token}/v3/conversations/{conversation}/activities"
CONNECTOR_PARAMETERS = {
    "token": ("The open turn's token, from the serviceUrl the gateway gave the bot.", "0" * 32),
    "conversation": ("The conversation the reply belongs to (the gateway's conversation id).", "3f0c9a1b2c3d4e5f"),
    "reply_to": ("The id of the activity replied to.", "m-17"),
}


def _connector(*names: str) -> JSON:
    """The connector route an activity bot replies to, with these path parameters."""
    return {
        "post": {
            "summary": "The connector activity bots reply to (the serviceUrl of one open turn)",
            "description": (
                "An `activity` version's bot POSTs its reply activities here while the turn that gave it this "
                "serviceUrl is open, as it would to Azure Bot Service. Refused with 404, changing nothing, for any "
                "token, conversation or time but that open turn's."
            ),
            "parameters": [path_param(name, *CONNECTOR_PARAMETERS[name]) for name in names],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("Activity")}}},
            "responses": {
                "200": json_body(ref("ResourceResponse"), "Taken; the id the connector gives the activity."),
                **errors(400, 404, 413, 422, 503),
            },
        }
    }


PATHS: JSON = {
    "/v1/bots/{bot}/messages": {
        "post": {
            "summary": "Send a message through the REST channel",
            "parameters": [BOT],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("ChatRequest")}}},
            "responses": {
                "200": {
                    **json_body(ref("ChatResponse"), "The replies and the conversation's state."),
                    "headers": VERSION_HEADER,
                },
                **errors(*CHAT_ERRORS),
            },
        }
    },
    "/v1/bots/{bot}/ws": {
        "get": {
            "summary": "Web chat over a WebSocket (`?user=` required)",
            "description": (
                'Upgrade to a WebSocket. Send JSON text frames `{"text": ..., "id"?: ...}`; each is answered '
                "with a ChatResponse frame, or an Error frame (plus `retry_after` when worth retrying). The socket "
                "closes with 1008 without `?user=`, 4404 for an unknown bot, 1013 while the store is down."
            ),
            "parameters": [BOT, {"name": "user", "in": "query", "required": True, "schema": ID}],
            "responses": {"101": {"description": "Switching to the WebSocket protocol."}},
        }
    },
    "/chat/{bot}": {
        "get": {
            "summary": "The web chat page",
            "parameters": [BOT],
            "responses": {
                "200": {"description": "The page.", "content": {"text/html": {"schema": {"type": "string"}}}},
                "404": {
                    "description": "No such bot: a page saying so.",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
            },
        }
    },
    "/v1/bots/{bot}/twilio": {
        "post": {
            "summary": "Twilio SMS webhook (signed with X-Twilio-Signature)",
            "parameters": [BOT],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["From", "Body"],
                            "properties": {
                                "From": {"type": "string"},
                                "Body": {"type": "string"},
                                "MessageSid": {"type": "string"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "TwiML, one <Message> per reply.",
                    "headers": VERSION_HEADER,
                    "content": {"text/xml": {"schema": {"type": "string"}}},
                },
                **errors(403, *CHAT_ERRORS),
            },
        }
    },
    "/v1/bots/{bot}/activities": {
        "post": {
            "summary": "Bot Framework activities (Azure Bot Service, Emulator)",
            "parameters": [BOT],
            "requestBody": {"required": True, "content": {"application/json": {"schema": ref("Activity")}}},
            "responses": {
                "200": {
                    # no content listed: the body is empty unless the activity asked for expectReplies
                    "description": 'With deliveryMode expectReplies, JSON {"activities": [reply activities]}; '
                    "otherwise empty (the replies are POSTed to the activity's serviceUrl).",
                    "headers": VERSION_HEADER,
                },
                **errors(401, 403, *CHAT_ERRORS),
            },
        }
    },
    CONNECTOR: _connector("token", "conversation"),
    CONNECTOR + "/{reply_to}": _connector("token", "conversation", "reply_to"),
    "/healthz": {
        "get": {"summary": "The process is up", "responses": {"200": json_body(ref("Status"), "Up.")}},
    },
    "/readyz": {
        "get": {
            "summary": "The store is reachable",
            "responses": {"200": json_body(ref("Status"), "Ready."), **errors(503)},
        }
    },
    "/metrics": {
        "get": {
            "summary": "Prometheus metrics",
            "responses": {
                "200": {
                    "description": "Prometheus text format.",
                    "content": {"text/plain": {"schema": {"type": "string"}}},
                }
            },
        }
    },
    "/": {
        "get": {
            "summary": "The start page",
            "description": (
                "An HTML page for people: the bots that have a published version, each linked to its web chat with "
                "the version new conversations start on, and links to the dashboard, the API reference and the "
                "health and metrics routes."
            ),
            "responses": {
                "200": {"description": "The page.", "content": {"text/html": {"schema": {"type": "string"}}}},
                **errors(503),
            },
        }
    },
    "/docs": {
        "get": {
            "summary": "The API reference for people",
            "description": (
                "This document rendered by Swagger UI, which the gateway serves itself under /docs/assets/ "
                "(nothing is fetched from elsewhere)."
            ),
            "responses": {
                "200": {"description": "The page.", "content": {"text/html": {"schema": {"type": "string"}}}},
            },
        }
    },
    "/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {"200": json_body({"type": "object"}, "The OpenAPI document.")},
        }
    },
}
