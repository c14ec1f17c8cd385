"""Configuration from the environment, checked once at start-up."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bot_versions.hosts import AllowList
from bot_versions.runtime_checks import StoreRules
from gateway.redis_connection import is_cluster_url, parse_cluster_url
from middleware.store import StoreLimits

LOG_FORMATS = ("json", "console")
LOG_USER_MODES = ("id", "hash")


class SettingsError(ValueError):
    """A configuration value is wrong; the message names the variable and what it accepts."""


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum:
        raise SettingsError(f"{name} must be at least {minimum}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {raw!r}") from None
    if not value > 0:
        raise SettingsError(f"{name} must be greater than 0, got {raw!r}")
    return value


MAX_GUARD_INTERVAL_S = 86_400.0


def _guard_interval(env: Mapping[str, str]) -> float:
    value = _float(env, "BOTGATE_GUARD_INTERVAL", 10.0)
    if not value <= MAX_GUARD_INTERVAL_S:  # also refuses inf: the lease is a few intervals long, in milliseconds
        raise SettingsError(f"BOTGATE_GUARD_INTERVAL must be at most {MAX_GUARD_INTERVAL_S:g} seconds, got {value:g}")
    return value


def _redis_url(env: Mapping[str, str]) -> str | None:
    url = env.get("BOTGATE_REDIS_URL") or None
    if url is not None and is_cluster_url(url):
        try:
            parse_cluster_url(url)
        except ValueError as exc:
            raise SettingsError(f"BOTGATE_REDIS_URL: {exc}") from None
    return url


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in env.get(name, "").split(",") if part.strip())


def _hosts(env: Mapping[str, str], name: str) -> frozenset[str]:
    entries = _list(env, name)
    try:
        AllowList(entries, name)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None
    return frozenset(entries)


def _url(env: Mapping[str, str], name: str) -> str | None:
    url = (env.get(name) or "").strip().rstrip("/")
    if url and not url.startswith(("http://", "https://")):
        raise SettingsError(f"{name} must be an http:// or https:// URL, got {url!r}")
    return url or None


@dataclass(frozen=True)
class Settings:
    """Everything the gateway reads from `BOTGATE_*` variables (docs/operations.md lists them)."""

    redis_url: str | None = None
    admin_tokens: tuple[str, ...] = field(default=(), repr=False)
    bots_dir: Path | None = None
    lock_lease_ms: int = 10_000
    lock_wait_ms: int = 5_000
    redis_timeout_s: float = 2.0
    session_cache: int = 50_000
    call_hosts: frozenset[str] = field(default_factory=frozenset)
    log_format: str = "console"
    log_text: bool = False
    log_user: str = "id"  # how turn events name the user: the id, or a keyed hash of it
    log_user_key: str | None = field(default=None, repr=False)
    public_url: str | None = None
    twilio_auth_token: str | None = field(default=None, repr=False)
    msapp_id: str | None = None
    msapp_password: str | None = field(default=None, repr=False)
    msapp_tenant_id: str | None = None
    upstream_hosts: frozenset[str] = field(default_factory=frozenset)
    upstream_secret: str | None = field(default=None, repr=False)
    python_modules: tuple[str, ...] = ()
    guard_interval_s: float = 10.0  # seconds between the rollout guard's rounds (docs/guard.md)
    serve_url: str | None = None  # where `botgate serve` listens (it sets BOTGATE_SERVE_URL for its workers)

    def store_limits(self) -> StoreLimits:
        """The session store's lease, wait and cache size these settings ask for."""
        return StoreLimits(lease_ms=self.lock_lease_ms, wait_ms=self.lock_wait_ms, cached_sessions=self.session_cache)

    @property
    def max_upstream_timeout_s(self) -> float:
        """The longest an upstream call may take: a second less than the turn lock's lease (half of a short one)."""
        lease_s = self.lock_lease_ms / 1000
        return lease_s - 1 if lease_s >= 2 else lease_s / 2

    def store_rules(self) -> StoreRules:
        """What a version stored through this gateway may name: upstream hosts, python modules, timeouts."""
        return StoreRules(
            AllowList(self.upstream_hosts, "BOTGATE_UPSTREAM_HOSTS"), self.python_modules, self.max_upstream_timeout_s
        )

    @property
    def connector_url(self) -> str | None:
        """The base of the serviceUrl activity bots reply to: the public URL, else where this gateway listens."""
        return self.public_url.rstrip("/") if self.public_url else self.serve_url

    @property
    def embedded(self) -> bool:
        return self.redis_url is None

    def require_tokens_when_shared(self) -> None:
        """Refuse to start on a shared Redis without BOTGATE_ADMIN_TOKENS: a token generated by one process would
        be unknown to the others serving the same bots (401 there)."""
        if self.redis_url is not None and not self.admin_tokens:
            raise SettingsError(
                "BOTGATE_REDIS_URL is set, so other gateway processes may serve the same bots, and a token generated "
                "here would be unknown to them: set BOTGATE_ADMIN_TOKENS (comma-separated; `ro:` for read-only), "
                "e.g. export BOTGATE_ADMIN_TOKENS=$(openssl rand -hex 32)"
            )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        log_format = env.get("BOTGATE_LOG_FORMAT", "console") or "console"
        if log_format not in LOG_FORMATS:
            raise SettingsError(f"BOTGATE_LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}, got {log_format!r}")
        log_user = env.get("BOTGATE_LOG_USER", "id") or "id"
        if log_user not in LOG_USER_MODES:
            raise SettingsError(f"BOTGATE_LOG_USER must be one of {', '.join(LOG_USER_MODES)}, got {log_user!r}")
        bots_dir = env.get("BOTGATE_BOTS_DIR")
        return cls(
            redis_url=_redis_url(env),
            admin_tokens=_list(env, "BOTGATE_ADMIN_TOKENS"),
            bots_dir=Path(bots_dir) if bots_dir else None,
            lock_lease_ms=_int(env, "BOTGATE_LOCK_LEASE_MS", 10_000),
            lock_wait_ms=_int(env, "BOTGATE_LOCK_WAIT_MS", 5_000),
            redis_timeout_s=_float(env, "BOTGATE_REDIS_TIMEOUT", 2.0),
            session_cache=_int(env, "BOTGATE_SESSION_CACHE", 50_000, minimum=0),
            call_hosts=_hosts(env, "BOTGATE_CALL_HOSTS"),
            log_format=log_format,
            log_text=env.get("BOTGATE_LOG_TEXT", "") in ("1", "true", "yes"),
            log_user=log_user,
            log_user_key=env.get("BOTGATE_LOG_USER_KEY") or None,
            public_url=env.get("BOTGATE_PUBLIC_URL") or None,
            twilio_auth_token=env.get("BOTGATE_TWILIO_AUTH_TOKEN") or None,
            msapp_id=env.get("BOTGATE_MSAPP_ID") or None,
            msapp_password=env.get("BOTGATE_MSAPP_PASSWORD") or None,
            msapp_tenant_id=env.get("BOTGATE_MSAPP_TENANT_ID") or None,
            upstream_hosts=_hosts(env, "BOTGATE_UPSTREAM_HOSTS"),
            upstream_secret=env.get("BOTGATE_UPSTREAM_SECRET") or None,
            python_modules=_list(env, "BOTGATE_PYTHON_MODULES"),
            guard_interval_s=_guard_interval(env),
            serve_url=_url(env, "BOTGATE_SERVE_URL"),
        )
