"""A bot's routable state as plain data: version statuses, rollout and pins."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot_versions.model import InFlight, Status


@dataclass(frozen=True, slots=True)
class VersionMeta:
    """What routing needs of a version: its status, what unpublishing did to conversations under way, and the
    versions whose conversations it can resume (copied from its immutable definition when it is stored)."""

    status: Status
    created_at_ms: int
    digest: str
    in_flight: InFlight = InFlight.DRAIN
    resumes: str | None = None  # a packaging SpecifierSet, as written in the definition

    def to_json(self) -> dict[str, Any]:
        out = {
            "status": self.status.value,
            "created_at_ms": self.created_at_ms,
            "digest": self.digest,
            "in_flight": self.in_flight.value,
        }
        if self.resumes is not None:
            out["resumes"] = self.resumes
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> VersionMeta:
        resumes = data.get("resumes")
        return cls(
            status=Status(data["status"]),
            created_at_ms=int(data["created_at_ms"]),
            digest=str(data["digest"]),
            in_flight=InFlight(data.get("in_flight", "drain")),
            resumes=str(resumes) if resumes is not None else None,
        )


@dataclass(frozen=True, slots=True)
class Canary:
    """A share of new conversations, `percent` of users (0-100, decimals allowed), sent to `version`."""

    version: str
    percent: float


@dataclass(frozen=True, slots=True)
class Rollout:
    """Which version new conversations get, before per-user pins are considered."""

    stable: str | None = None
    canary: Canary | None = None

    def to_json(self) -> dict[str, Any]:
        canary = None if self.canary is None else {"version": self.canary.version, "percent": self.canary.percent}
        return {"stable": self.stable, "canary": canary}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Rollout:
        c = data.get("canary")
        canary = None if c is None else Canary(version=str(c["version"]), percent=float(c["percent"]))
        return cls(stable=data.get("stable"), canary=canary)


@dataclass(frozen=True, slots=True)
class BotState:
    """Everything routing needs about one bot, read in one go."""

    bot: str
    versions: dict[str, VersionMeta] = field(default_factory=dict)
    rollout: Rollout = field(default_factory=Rollout)
    pins: dict[str, str] = field(default_factory=dict)
