"""Fixtures for the CLI tests: `botgate` commands run in process against the test module's own `live` gateway."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from gateway.cli import main
from tests.admin.support import RW
from tests.processes import ServerProcess


@dataclass
class Run:
    """What one command did: its exit code and output."""

    code: int
    out: str
    err: str


Botgate = Callable[..., Run]


@pytest.fixture
def botgate(live: ServerProcess, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> Botgate:
    """Run a `botgate` command in process against the live server; stdin is `stdin`."""
    monkeypatch.delenv("BOTGATE_URL", raising=False)
    monkeypatch.delenv("BOTGATE_TOKEN", raising=False)

    def run(*args: str, token: str | None = RW, stdin: str = "") -> Run:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        argv = [*args, "--url", live.url, *(["--token", token] if token else [])]
        code = main(argv)
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run
