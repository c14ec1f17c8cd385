"""The one helper that starts server processes: a clean environment, and nothing left running when it fails."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.processes import ServerProcess, server_environment


def test_a_server_gets_none_of_the_test_processes_botgate_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """BOTGATE_* variables of the test run never leak into a server; JSON logs unless told otherwise."""
    monkeypatch.setenv("BOTGATE_REDIS_URL", "redis://somewhere-else")
    monkeypatch.setenv("BOTGATE_LOG_TEXT", "1")
    env = server_environment({"BOTGATE_ADMIN_TOKENS": "token"})
    assert "BOTGATE_REDIS_URL" not in env and "BOTGATE_LOG_TEXT" not in env
    assert (env["BOTGATE_ADMIN_TOKENS"], env["BOTGATE_LOG_FORMAT"]) == ("token", "json")
    assert server_environment({"BOTGATE_LOG_FORMAT": "console"})["BOTGATE_LOG_FORMAT"] == "console"


def test_a_server_that_never_gets_ready_is_stopped_and_its_output_shown(tmp_path: Path) -> None:
    """A process that answers nothing is not left behind: start raises with its output, and nothing runs after."""
    sleeper = [sys.executable, "-c", "import sys, time; print('no port for me', file=sys.stderr); time.sleep(60)"]
    server = ServerProcess(sleeper, {}, tmp_path / "out.log", stderr_path=tmp_path / "err.log")
    with pytest.raises(RuntimeError, match="did not get ready"):
        server.start(timeout=1)
    assert server.process is None and server.pids() == []
    assert "no port for me" in server.announced()
