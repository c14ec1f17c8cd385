"""The rollout in the OpenAPI document: canary, guard, progression, the guard's last change, ETag and If-Match."""

from __future__ import annotations

from gateway.openapi_parts import JSON, TIME, VERSION_STRING, json_body, nullable, ref

ETAG = {
    "ETag": {
        "required": True,
        "schema": {"type": "string"},
        "description": "A strong entity tag of the stored rollout; send it as If-Match to change it.",
    }
}
IF_MATCH = {
    "name": "If-Match",
    "in": "header",
    "required": False,
    "description": (
        'The ETag the change was computed from (or several, comma-separated, or "*" for any). The change is made only '
        "while the rollout is still that one, else 412 with the current rollout. Without it the rollout is replaced "
        "whatever it is now; the CLI, the guard and the dashboard always send it."
    ),
    "schema": {"type": "string"},
}
PRECONDITION_FAILED = {
    "412": {
        **json_body(
            ref("Error"),
            "The rollout changed since the ETag in If-Match was read (`precondition_failed`); `details` holds "
            "`rollout` and `etag`, the current ones. Nothing was changed.",
        ),
        "headers": {"ETag": {"schema": {"type": "string"}, "description": "The current rollout's tag."}},
    }
}

SCHEMAS: JSON = {
    "Guard": {
        "type": "object",
        "description": "Roll the canary back when it does worse than stable (docs/guard.md). Fields left out take "
        "their defaults.",
        "additionalProperties": False,
        "properties": {
            "max_error_rate_increase": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.02},
            "max_completion_drop": {"type": "number", "minimum": 0, "maximum": 1, "default": 0.05},
            "min_conversations": {"type": "integer", "minimum": 1, "default": 100},
            "window": {"type": "integer", "minimum": 60, "maximum": 172800, "default": 900},
        },
    },
    "Canary": {
        "type": "object",
        "required": ["version", "percent"],
        "additionalProperties": False,
        "properties": {
            "version": VERSION_STRING,
            "percent": {
                "type": "number",
                "minimum": 0,
                "maximum": 100,
                "description": "Share of users, 0-100, in steps of 0.01 (users fall into 10,000 buckets).",
            },
            "guard": nullable(ref("Guard")),
            "steps": {
                **nullable(
                    {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "number", "exclusiveMinimum": 0, "maximum": 100},
                    }
                ),
                "description": "Strictly ascending percents, each in steps of 0.01: the percent advances to the next "
                "step above it after each hold the guard passes, and after the last the canary is promoted.",
            },
            "hold": {
                **nullable({"type": "integer", "minimum": 1}),
                "description": "Seconds at each step; only with steps (default 600).",
            },
            "since": {
                **nullable(TIME),
                "readOnly": True,
                "description": "When the canary reached its version and percent: the start of its hold. Set by the "
                "gateway; ignored in a PUT.",
            },
        },
    },
    "GuardAction": {
        "type": "object",
        "required": ["at", "action", "why", "figures"],
        "properties": {
            "at": TIME,
            "action": {"enum": ["rollback", "advance", "promote"]},
            "why": {"type": "string"},
            "figures": {
                "type": "object",
                "description": "What decided it: each side's counts and rates, each test's excess, margin, se and z.",
            },
        },
    },
    "Rollout": {
        "type": "object",
        "description": "Which version new conversations get, after pins. Both must name published versions.",
        "required": ["stable", "canary"],
        "additionalProperties": False,
        "properties": {
            "stable": {**nullable(VERSION_STRING), "description": "null: the highest published release."},
            "canary": nullable(ref("Canary")),
            "last_guard": {
                **nullable(ref("GuardAction")),
                "readOnly": True,
                "description": "The guard's last change to this rollout. Set by the gateway; ignored in a PUT.",
            },
        },
    },
}


def with_etag(ok: JSON) -> JSON:
    """A 200 response that carries the rollout's ETag."""
    return {status: {**response, "headers": ETAG} for status, response in ok.items()}
