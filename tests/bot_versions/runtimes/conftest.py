"""The runtimes' tests talk to the upstream test bots, each started once per test session."""

from __future__ import annotations

from tests.upstream.fixtures import expect_replies_bot, fake_rasa, http_test_bot, upstream_logs  # noqa: F401
