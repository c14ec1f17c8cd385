"""The example http bots as real processes: each language once without a secret and once with one, per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.bot_versions.examples.upstream import COMMANDS, SECRET, Bot
from tests.processes import ServerProcess


class Bots:
    """Starts each (language, secret) bot the first time a test asks for it; stops them all at the end."""

    def __init__(self, logs: Path, http: httpx.Client) -> None:
        self.logs = logs
        self.http = http
        self.started: dict[tuple[str, bool], ServerProcess] = {}
        self.ready: set[tuple[str, bool]] = set()

    def get(self, language: str, signed: bool = False) -> Bot:
        key = (language, signed)
        log = self.logs / f"{language}{'-signed' if signed else ''}.log"
        if key not in self.started:
            # An empty secret turns the check off, whatever the test runner's environment holds.
            env = {"BOTGATE_UPSTREAM_SECRET": SECRET if signed else ""}
            # Kept before it is started, so that one that never answers /healthz is stopped at the end too.
            self.started[key] = server = ServerProcess(COMMANDS[language], env, log)
            server.start()
            self.ready.add(key)
        if key not in self.ready:  # tried once already: fail at once rather than wait for it again
            raise RuntimeError(f"the {language} greeter did not start; its output is in {log}")
        return Bot(language, self.started[key].url, SECRET if signed else None, self.http)

    def stop(self) -> None:
        for server in self.started.values():
            server.stop()


@pytest.fixture(scope="session")
def upstream_bots(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bots]:
    """The example bots of this session, sharing one keep-alive client as botgate's pooled client would."""
    with httpx.Client(timeout=10) as http:
        bots = Bots(tmp_path_factory.mktemp("upstream-bots"), http)
        try:
            yield bots
        finally:
            bots.stop()


@pytest.fixture(params=sorted(COMMANDS))
def bot(request: pytest.FixtureRequest, upstream_bots: Bots) -> Bot:
    """Each example bot, started without a secret."""
    return upstream_bots.get(request.param)


@pytest.fixture(params=sorted(COMMANDS))
def signed_bot(request: pytest.FixtureRequest, upstream_bots: Bots) -> Bot:
    """Each example bot, started with BOTGATE_UPSTREAM_SECRET set."""
    return upstream_bots.get(request.param, signed=True)
