"""Session-scoped fixtures that start the upstream test bots, each once per test session, stopped at the end.

Import the ones a test package needs into its conftest.py (`from tests.upstream.fixtures import fake_rasa`).
Each yields a `RunningBot`: `endpoint` is the URL a bot definition names, `url` the process's base URL (for the
bot's test routes such as `/received`), `label` what tells two versions apart in its answers, `secret` what it
checks `X-Botgate-Signature` with. The processes are shared by the whole session: tests use their own
conversation ids (or senders) instead of resetting them. For other labels, start one with `running()` and a
`*_command()` below.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.processes import ServerProcess
from tests.upstream.botbuilder_env import botbuilder_python as build_botbuilder_python

HERE = Path(__file__).resolve().parent
EXAMPLES = HERE.parent.parent / "bot_versions" / "examples" / "upstream"
UPSTREAM_SECRET = "upstream-test-secret"  # what `http_test_bot_signed` checks signatures with
GREETER_SECRET = "greeter-test-secret"  # what the example greeters check signatures with


@dataclass(frozen=True)
class RunningBot:
    """A bot process of this test session: where to reach it, what it says, and where its output goes."""

    url: str
    endpoint: str
    log_path: Path
    label: str | None = None
    secret: str | None = None


def dialog_bot_command(python: Path, label: str, adapter: str = "cloud") -> list[str]:
    """The botbuilder-python dialog bot under the botbuilder venv's `python` (`adapter`: cloud or legacy)."""
    return [str(python), str(HERE / "dialog_bot.py"), "--label", label, "--adapter", adapter]


def expect_replies_command(label: str) -> list[str]:
    return [sys.executable, "-m", "tests.upstream.expect_replies_bot", "--label", label]


def fake_rasa_command(label: str) -> list[str]:
    return [sys.executable, "-m", "tests.upstream.fake_rasa", "--model-label", label]


def http_test_bot_command(secret: str | None = None) -> list[str]:
    return [sys.executable, "-m", "tests.upstream.http_test_bot", *(["--secret", secret] if secret else [])]


def greeter_command(language: str) -> list[str]:
    """The shipped example http greeter in `language` (python or node); it reads BOTGATE_UPSTREAM_SECRET."""
    if language == "python":
        return [sys.executable, str(EXAMPLES / "python" / "greeter.py")]
    return ["node", str(EXAMPLES / "node" / "greeter.js")]


@contextmanager
def running(
    command: Sequence[str],
    log_path: Path,
    endpoint_path: str,
    label: str | None = None,
    secret: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Iterator[RunningBot]:
    """Start `command` (which serves `/healthz`), yield it as a RunningBot, and stop it whatever happens."""
    server = ServerProcess(command, env or {}, log_path).start()
    try:
        yield RunningBot(server.url, server.url + endpoint_path, log_path, label, secret)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def upstream_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the bot processes of this session write their output."""
    return tmp_path_factory.mktemp("upstream")


@pytest.fixture(scope="session")
def botbuilder_python() -> Path:
    """The interpreter of the botbuilder-python 4.17 venv (built on first use, then cached under .venv)."""
    return build_botbuilder_python()


@pytest.fixture(scope="session")
def dialog_bot(botbuilder_python: Path, upstream_logs: Path) -> Iterator[RunningBot]:
    """The botbuilder dialog bot, label v1, on the SDK's CloudAdapter: replies go to the activity's serviceUrl."""
    command = dialog_bot_command(botbuilder_python, "v1")
    with running(command, upstream_logs / "dialog-bot-v1.log", "/api/messages", "v1") as bot:
        yield bot


@pytest.fixture(scope="session")
def dialog_bot_v2(botbuilder_python: Path, upstream_logs: Path) -> Iterator[RunningBot]:
    """The same botbuilder dialog bot as `dialog_bot`, label v2."""
    command = dialog_bot_command(botbuilder_python, "v2")
    with running(command, upstream_logs / "dialog-bot-v2.log", "/api/messages", "v2") as bot:
        yield bot


@pytest.fixture(scope="session")
def dialog_bot_legacy(botbuilder_python: Path, upstream_logs: Path) -> Iterator[RunningBot]:
    """The botbuilder dialog bot, label legacy, on the older BotFrameworkHttpAdapter, which answers expectReplies."""
    command = dialog_bot_command(botbuilder_python, "legacy", adapter="legacy")
    with running(command, upstream_logs / "dialog-bot-legacy.log", "/api/messages", "legacy") as bot:
        yield bot


@pytest.fixture(scope="session")
def expect_replies_bot(upstream_logs: Path) -> Iterator[RunningBot]:
    """Our own Bot Framework bot answering `deliveryMode: expectReplies` inline, label v1."""
    with running(expect_replies_command("v1"), upstream_logs / "expect-replies-v1.log", "/api/messages", "v1") as bot:
        yield bot


@pytest.fixture(scope="session")
def expect_replies_bot_v2(upstream_logs: Path) -> Iterator[RunningBot]:
    """The same expectReplies bot, label v2."""
    with running(expect_replies_command("v2"), upstream_logs / "expect-replies-v2.log", "/api/messages", "v2") as bot:
        yield bot


@pytest.fixture(scope="session")
def fake_rasa(upstream_logs: Path) -> Iterator[RunningBot]:
    """The fake Rasa server, model label v1; `endpoint` is its REST channel webhook."""
    with running(fake_rasa_command("v1"), upstream_logs / "rasa-v1.log", "/webhooks/rest/webhook", "v1") as bot:
        yield bot


@pytest.fixture(scope="session")
def fake_rasa_v2(upstream_logs: Path) -> Iterator[RunningBot]:
    """The fake Rasa server, model label v2."""
    with running(fake_rasa_command("v2"), upstream_logs / "rasa-v2.log", "/webhooks/rest/webhook", "v2") as bot:
        yield bot


@pytest.fixture(scope="session")
def http_test_bot(upstream_logs: Path) -> Iterator[RunningBot]:
    """The `http` test bot without a secret; `endpoint` is its `/echo`, other paths are `url + path`."""
    with running(http_test_bot_command(), upstream_logs / "http-test-bot.log", "/echo") as bot:
        yield bot


@pytest.fixture(scope="session")
def http_test_bot_signed(upstream_logs: Path) -> Iterator[RunningBot]:
    """The `http` test bot requiring `X-Botgate-Signature` made with UPSTREAM_SECRET (its `secret`), else 401."""
    command = http_test_bot_command(UPSTREAM_SECRET)
    with running(command, upstream_logs / "http-test-bot-signed.log", "/echo", secret=UPSTREAM_SECRET) as bot:
        yield bot


def _greeter(language: str, label: str, logs: Path) -> Iterator[RunningBot]:
    # The example greeters answer GET /healthz like the test bots; an explicit secret, whatever the runner's env says.
    env = {"BOTGATE_UPSTREAM_SECRET": GREETER_SECRET}
    with running(
        greeter_command(language), logs / f"greeter-{language}.log", "/turn", label, GREETER_SECRET, env
    ) as bot:
        yield bot


@pytest.fixture(scope="session")
def python_greeter(upstream_logs: Path) -> Iterator[RunningBot]:
    """The shipped Python example greeter (label `Python`, as its greeting says), checking GREETER_SECRET."""
    yield from _greeter("python", "Python", upstream_logs)


@pytest.fixture(scope="session")
def node_greeter(upstream_logs: Path) -> Iterator[RunningBot]:
    """The shipped Node.js example greeter (label `Node`), checking GREETER_SECRET."""
    yield from _greeter("node", "Node", upstream_logs)
