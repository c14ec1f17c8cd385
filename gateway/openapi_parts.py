"""Building blocks of the OpenAPI document: references, bodies, error responses, the shared schemas."""

from __future__ import annotations

from typing import Any

JSON = dict[str, Any]
VERSION_STRING = {"type": "string", "examples": ["2.1.0"]}
TIME = {"type": "string", "format": "date-time"}

ERROR_REASONS = {
    400: "The body could not be read (not JSON, not YAML, not UTF-8).",
    401: "No valid bearer token.",
    403: "A read-only token tried to change something, or a channel signature is wrong.",
    404: "No such bot, version, session or route.",
    409: "The request contradicts what is stored.",
    413: "The body is over the size limit.",
    422: "Fields are missing or wrong; `details` lists each problem with its path.",
    502: "The bot failed the turn (REST channel): refused, timed out, answered wrongly; nothing was saved.",
    503: "The store is unavailable or the session stayed busy; retry after `Retry-After` seconds.",
}

SCHEMAS: JSON = {
    "Error": {
        "type": "object",
        "description": "Every error botgate answers, whatever the route.",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message", "details"],
                "properties": {
                    "code": {"type": "string", "examples": ["invalid"]},
                    "message": {"type": "string"},
                    "details": {"description": "For 422, a list of {path, message}; otherwise usually null."},
                },
            }
        },
    },
    "Problem": {
        "type": "object",
        "required": ["path", "message"],
        "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
    },
}


def ref(name: str) -> JSON:
    """A reference to a schema of the document."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: JSON) -> JSON:
    """The schema, or null."""
    return {"anyOf": [schema, {"type": "null"}]}


def json_body(schema: JSON, description: str) -> JSON:
    """A JSON body with its schema."""
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def errors(*statuses: int) -> JSON:
    """Error responses for the given statuses, each with the Error body (and Retry-After on 503)."""
    out: JSON = {}
    for status in statuses:
        response = json_body(ref("Error"), ERROR_REASONS[status])
        if status == 503:
            response["headers"] = {"Retry-After": {"schema": {"type": "string"}, "description": "Seconds to wait."}}
        out[str(status)] = response
    return out


def path_param(name: str, description: str, example: str, schema: JSON | None = None) -> JSON:
    """A required path parameter, with the example schemathesis and readers start from."""
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string", "minLength": 1},
        "example": example,
    }


BOT = path_param("bot", "The bot's name, a lowercase slug.", "greeter", {"type": "string", "minLength": 1})
