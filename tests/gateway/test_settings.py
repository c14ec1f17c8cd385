"""Settings come from BOTGATE_* variables and refuse bad values with the variable's name."""

from __future__ import annotations

from pathlib import Path

import pytest

from gateway.settings import Settings, SettingsError


def test_no_variables_mean_the_embedded_store_and_the_defaults() -> None:
    """An empty environment is a working configuration: embedded store, shipped bots, console logs."""
    s = Settings.from_env({})
    assert s.embedded and s.bots_dir is None and s.admin_tokens == ()
    assert (s.lock_lease_ms, s.lock_wait_ms, s.log_format, s.log_text) == (10_000, 5_000, "console", False)


def test_every_variable_is_read() -> None:
    """Lists are comma-separated and trimmed."""
    s = Settings.from_env(
        {
            "BOTGATE_REDIS_URL": "redis://127.0.0.1:7000/0",
            "BOTGATE_ADMIN_TOKENS": " a , ro:b ,",
            "BOTGATE_BOTS_DIR": "/srv/bots",
            "BOTGATE_LOCK_LEASE_MS": "2500",
            "BOTGATE_CALL_HOSTS": "zip.example, api.example:8443",
            "BOTGATE_LOG_FORMAT": "json",
            "BOTGATE_LOG_TEXT": "1",
        }
    )
    assert not s.embedded
    assert s.admin_tokens == ("a", "ro:b")
    assert s.bots_dir == Path("/srv/bots")
    assert s.lock_lease_ms == 2500
    assert s.call_hosts == {"zip.example", "api.example:8443"}
    assert (s.log_format, s.log_text) == ("json", True)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("BOTGATE_LOCK_LEASE_MS", "ten"),
        ("BOTGATE_LOCK_LEASE_MS", "0"),
        ("BOTGATE_LOCK_WAIT_MS", "-5"),
        ("BOTGATE_REDIS_TIMEOUT", "never"),
        ("BOTGATE_REDIS_TIMEOUT", "0"),
        ("BOTGATE_LOG_FORMAT", "xml"),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(name: str, value: str) -> None:
    """The error says which variable and what it accepts."""
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_secrets_are_kept_out_of_the_settings_repr() -> None:
    """Settings may be logged; admin tokens, the Twilio token and the app password must not appear."""
    s = Settings.from_env(
        {
            "BOTGATE_ADMIN_TOKENS": "admin-secret",
            "BOTGATE_TWILIO_AUTH_TOKEN": "tw-secret",
            "BOTGATE_MSAPP_PASSWORD": "ms-secret",
        }
    )
    assert all(secret not in repr(s) for secret in ("admin-secret", "tw-secret", "ms-secret"))


@pytest.mark.parametrize(
    ("value", "expected"), [(None, 10.0), ("0.2", 0.2), ("60", 60.0)], ids=["default", "a fraction", "a minute"]
)
def test_the_guard_interval_is_seconds_between_rounds(value: str | None, expected: float) -> None:
    """BOTGATE_GUARD_INTERVAL: 10 by default, any positive number of seconds up to a day."""
    env = {} if value is None else {"BOTGATE_GUARD_INTERVAL": value}
    assert Settings.from_env(env).guard_interval_s == expected


@pytest.mark.parametrize("value", ["0", "-1", "soon", "inf", "nan", "86401"])
def test_a_bad_guard_interval_is_refused(value: str) -> None:
    """Zero, negative, not a number, infinite or over a day: refused, naming the variable."""
    with pytest.raises(SettingsError, match="BOTGATE_GUARD_INTERVAL"):
        Settings.from_env({"BOTGATE_GUARD_INTERVAL": value})
