"""The `botgate` commands against a live `botgate serve`: the release workflow, status, sessions, errors, exit codes."""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from importlib.metadata import version as package_version
from pathlib import Path

import httpx
import pytest

from gateway.cli import main
from tests.admin.support import RO, RW, as_yaml, greeter
from tests.gateway.cli.conftest import Botgate
from tests.processes import BOTGATE, ServerProcess, live_gateway
from tests.redis_servers import RedisServer


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """`botgate serve` on its own redis-server with a read-write and a read-only token."""
    server = RedisServer(tmp_path_factory.mktemp("cli-redis")).start()
    try:
        env = {"BOTGATE_REDIS_URL": server.url, "BOTGATE_ADMIN_TOKENS": f"{RW},ro:{RO}"}
        with live_gateway(tmp_path_factory.mktemp("cli-gateway"), env) as gateway:
            yield gateway
    finally:
        server.stop()


def definition_file(tmp_path: Path, document: dict[str, object]) -> str:
    path = tmp_path / f"{document['bot']}-{document['version']}.yaml"
    path.write_text(as_yaml(document))
    return str(path)


def hello(version: str) -> dict[str, object]:
    """A bot of the workflow test's own, so the other tests' bots are untouched."""
    return {**greeter(version), "bot": "hello"}


def test_status_shows_the_rollout_and_a_table_of_versions(botgate: Botgate) -> None:
    """Rollout lines, then VERSION / STATUS / ACTIVE SESSIONS / RESUMES / CREATED rows, newest first."""
    run = botgate("status", "greeter")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[:3] == ["bot: greeter", "stable: highest published release (now 2.0.0)", "canary: none"]
    assert lines[4].split() == ["VERSION", "STATUS", "ACTIVE", "SESSIONS", "RESUMES", "CREATED"]
    assert lines[5].split()[:4] == ["2.0.0", "published", "0", "-"]
    assert lines[6].split()[:4] == ["1.0.0", "published", "0", "-"]


def test_the_release_workflow(botgate: Botgate, tmp_path: Path) -> None:
    """Draft, pin yourself, chat, publish, canary 10%, promote, unpublish the old version with drain."""
    run = botgate("publish", definition_file(tmp_path, hello("1.0.0")))
    assert run.out == "stored and published hello 1.0.0; new conversations now start on it\n"
    run = botgate("publish", definition_file(tmp_path, hello("1.1.0")), "--draft")
    assert run.out == "stored hello 1.1.0 as a draft; only users pinned to it reach it (botgate pin hello USER 1.1.0)\n"
    assert "me's next conversation: 1.1.0 (pin)" in botgate("pin", "hello", "me", "1.1.0").out

    chat = botgate("chat", "hello", "--user", "me", stdin="hi\nAda\n")
    assert chat.code == 0, chat.err
    assert chat.out.splitlines() == [
        "[1.1.0] What is your name?",
        "[1.1.0] Hello, Ada, from 1.1.0",
        "(conversation ended; the next message starts a new one)",
    ]
    assert botgate("chat", "hello", "--user", "someone-else", stdin="hi\n").out.startswith("[1.0.0]")

    assert botgate("rollout", "hello", "--stable", "1.0.0").code == 0
    run = botgate("publish", definition_file(tmp_path, hello("1.1.0")))
    assert run.out == (
        "published hello 1.1.0; stable stays 1.0.0 (the rollout names it; "
        "`botgate rollout hello --stable 1.1.0` moves new conversations)\n"
    )
    run = botgate("rollout", "hello", "--stable", "1.0.0", "--canary", "1.1.0", "--percent", "10")
    assert run.out.splitlines() == ["stable: 1.0.0", "canary: 1.1.0 for 10% of users"]
    assert botgate("unpin", "hello", "me").code == 0
    run = botgate("rollout", "hello", "--stable", "1.1.0", "--no-canary")
    assert run.out.splitlines() == ["stable: 1.1.0", "canary: none"]
    run = botgate("unpublish", "hello", "1.0.0")
    assert run.out.startswith("unpublished hello 1.0.0")

    status = botgate("status", "hello").out.splitlines()
    assert status[1:3] == ["stable: 1.1.0", "canary: none"]
    assert [line.split()[:2] for line in status[5:7]] == [["1.1.0", "published"], ["1.0.0", "unpublished"]]


def test_sessions_and_transcript_show_a_users_conversations(botgate: Botgate) -> None:
    """The session table and each message of the transcript name their version."""
    assert botgate("chat", "echo", "--user", "carol", stdin="one\ntwo\n").code == 0
    sessions = botgate("sessions", "echo", "carol").out.splitlines()
    assert sessions[0].split()[:4] == ["CHANNEL", "SPACE", "VERSION", "STATUS"]
    assert sessions[1].split()[:4] == ["rest", "-", "1.0.0", "ended"]
    assert sessions[2] == "carol is not pinned; carol's next conversation: 1.0.0 (stable)"
    transcript = botgate("transcript", "echo", "carol").out
    assert "  [1.0.0] user: two\n  [1.0.0] bot: ECHO: two" in transcript
    assert transcript.index("user: two") < transcript.index("user: one")  # newest conversation first
    assert botgate("sessions", "echo", "nobody").out.startswith("nobody has no sessions with echo")


@pytest.mark.parametrize(
    ("args", "token", "code", "message"),
    [
        (("status", "nope"), RW, 1, "404 not_found: there is no bot named 'nope'"),
        (("status", "greeter"), "wrong", 1, "401 unauthorized"),
        (("status", "greeter"), None, 2, "no admin token"),
        (("pin", "greeter", "alice", "1.0.0"), RO, 1, "403 forbidden"),
        (("rollout", "greeter", "--canary", "9.9.9", "--percent", "5"), RW, 1, "canary.version: greeter has no"),
        (("rollout", "greeter", "--canary", "2.0.0", "--percent", "150"), RW, 1, "canary.percent: must be from 0"),
        (("rollout", "greeter", "--percent", "5"), RW, 2, "there is none: give --canary V"),
        (("rollout", "greeter", "--no-canary", "--percent", "5"), RW, 2, "cannot be combined"),
        (("unpublish", "greeter", "9.9.9"), RW, 1, "greeter has no version 9.9.9"),
        (("publish", "/no/such/file.yaml"), RW, 2, "cannot read /no/such/file.yaml"),
    ],
    ids=[
        "unknown bot",
        "wrong token",
        "no token",
        "read-only token",
        "canary unknown",
        "percent out of range",
        "percent without canary",
        "contradicting flags",
        "unknown version",
        "missing file",
    ],
)
def test_refusals_print_one_clear_message_and_exit_non_zero(
    botgate: Botgate, args: tuple[str, ...], token: str | None, code: int, message: str
) -> None:
    """1 when the gateway refuses, 2 when the command could not be sent; the reason on stderr."""
    run = botgate(*args, token=token)
    assert (run.code, run.out) == (code, "")
    assert run.err.startswith("botgate: ")
    assert message in run.err


def test_an_invalid_definition_file_lists_each_problem(botgate: Botgate, tmp_path: Path) -> None:
    """The 422's problems are printed one per line with their paths."""
    broken = {**hello("2.0.0"), "start": "nowhere"}
    run = botgate("publish", definition_file(tmp_path, broken))
    assert run.code == 1
    assert "422 invalid" in run.err
    assert "  start: " in run.err


def test_an_unreachable_gateway_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing listening: a message naming the URL and exit code 2."""
    code = main(["status", "greeter", "--url", "http://127.0.0.1:9", "--token", RW])
    assert code == 2
    assert "cannot reach the gateway at http://127.0.0.1:9" in capsys.readouterr().err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    """argparse refuses a command missing its arguments with exit code 2."""
    with pytest.raises(SystemExit) as info:
        main(["chat", "greeter"])
    assert info.value.code == 2
    assert "--user" in capsys.readouterr().err


def test_the_installed_command_reads_url_and_token_from_the_environment(live: ServerProcess) -> None:
    """`botgate status` as a process: BOTGATE_URL and BOTGATE_TOKEN, exit 0; a refusal exits 1."""
    env = {**os.environ, "BOTGATE_URL": live.url, "BOTGATE_TOKEN": RO}
    ok = subprocess.run([str(BOTGATE), "status", "zipcode"], env=env, capture_output=True, text=True, timeout=30)
    assert (ok.returncode, ok.stdout.splitlines()[0]) == (0, "bot: zipcode")
    refused = subprocess.run([str(BOTGATE), "status", "nope"], env=env, capture_output=True, text=True, timeout=30)
    assert refused.returncode == 1
    assert "404" in refused.stderr


def test_serve_without_tokens_prints_one_generated_token_and_never_logs_it(tmp_path: Path) -> None:
    """On the embedded store the token is shown once on stderr, works for the admin API, and is in no log line."""
    with live_gateway(tmp_path / "gateway", {}) as gateway:
        announced = gateway.announced()
        token = announced.split("BOTGATE_TOKEN=")[1].split()[0]
        assert announced.count(token) == 2  # the notice's two lines, and nothing else
        code = main(["status", "greeter", "--url", gateway.url, "--token", token])
        assert code == 0
        assert token not in (tmp_path / "gateway" / "stdout.log").read_text()


def test_version_prints_the_installed_version(capsys: pytest.CaptureFixture[str]) -> None:
    """`botgate --version` prints botgate and the installed distribution's version, exit 0."""
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out == f"botgate {package_version('botgate')}\n"


@pytest.mark.parametrize(
    "command",
    ["serve", "publish", "unpublish", "rollout", "pin", "unpin", "sessions", "transcript", "chat", "bots",
     "status", "health", "audit"],
)  # fmt: skip
def test_every_command_explains_itself_and_its_defaults_but_never_shows_a_token(
    command: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--help has a description, a help line per argument, each default written out, and no token from the env."""
    monkeypatch.setenv("BOTGATE_TOKEN", "secret-token-from-the-environment")
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    text = capsys.readouterr().out
    usage, description, *_ = text.split("\n\n")
    assert usage.startswith(f"usage: botgate {command}") and len(description) > 20
    assert "secret-token-from-the-environment" not in text
    arguments = [line for line in text.splitlines() if line.startswith("  ") and not line.startswith("   ")]
    assert all(len(line.split(None, 1)) == 2 or line.strip().startswith("-") for line in arguments), text
    assert "(default: BOTGATE_TOKEN)" in text or command == "serve"
    if command in ("serve", "health", "audit"):
        assert "(default: " in text.split("--help", 1)[1].replace("BOTGATE_TOKEN", "")


def test_bots_lists_each_bot_with_stable_canary_and_active_sessions(botgate: Botgate) -> None:
    """One row per bot: what routing serves now, the canary, conversations under way, versions stored."""
    assert botgate("chat", "greeter", "--user", "bots-lister", stdin="hi\n").code == 0
    run = botgate("bots")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert lines[0].split() == ["BOT", "STABLE", "CANARY", "ACTIVE", "SESSIONS", "VERSIONS"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert rows["echo"] == ["1.0.0", "-", "0", "1"]
    assert rows["zipcode"] == ["1.1.0", "-", "0", "1"]
    assert rows["greeter"][:2] == ["2.0.0", "-"] and int(rows["greeter"][2]) >= 1


def test_audit_shows_who_changed_what_newest_first(botgate: Botgate) -> None:
    """WHEN, WHO (the token's identity), WHAT, SUBJECT and before -> after, newest first, at most --limit rows."""
    assert botgate("pin", "echo", "auditor", "1.0.0").code == 0
    assert botgate("unpin", "echo", "auditor").code == 0
    run = botgate("audit", "echo", "--limit", "2")
    assert run.code == 0, run.err
    header, newest, older = run.out.splitlines()
    assert header.split() == ["WHEN", "WHO", "WHAT", "SUBJECT", "BEFORE", "->", "AFTER"]
    identity = "token#" + hashlib.sha256(RW.encode()).hexdigest()[:8]
    assert newest.split()[2:] == [identity, "unpin", "auditor", "1.0.0", "->", "none"]
    assert older.split()[2:] == [identity, "pin", "auditor", "none", "->", "1.0.0"]


def test_publish_bot_version_republishes_a_stored_version_without_its_file(botgate: Botgate, tmp_path: Path) -> None:
    """Rolling back to an unpublished version: `publish BOT VERSION` publishes it again and says where routing goes."""
    assert botgate("publish", definition_file(tmp_path, {**hello("1.0.0"), "bot": "rollback"})).code == 0
    assert botgate("unpublish", "rollback", "1.0.0").code == 0
    run = botgate("publish", "rollback", "1.0.0")
    assert (run.code, run.out) == (0, "published rollback 1.0.0 again; new conversations now start on it\n")
    run = botgate("publish", "rollback", "1.0.0")
    assert run.out == "rollback 1.0.0 was already published; new conversations now start on it\n"
    assert botgate("publish", "rollback", "9.9.9").code == 1
    assert botgate("publish", "rollback", "1.0.0", "--draft").code == 2


def test_unpin_says_whether_a_pin_was_removed(botgate: Botgate) -> None:
    """Removing a pin names the version it pointed to; a user with no pin is told nothing changed."""
    assert botgate("pin", "greeter", "pinned-one", "1.0.0").code == 0
    run = botgate("unpin", "greeter", "pinned-one")
    assert run.out == "removed pinned-one's pin to greeter 1.0.0; pinned-one's next conversation: 2.0.0 (stable)\n"
    run = botgate("unpin", "greeter", "never-pinned")
    assert (
        run.out
        == "never-pinned had no pin on greeter; nothing changed; never-pinned's next conversation: 2.0.0 (stable)\n"
    )


FLOAT_VERSION = "bot: hello\nversion: 1.10\nstart: nowhere\nsteps:\n  ask: {ask: Your name, colour: blue}\n"


def test_a_yaml_float_version_is_reported_with_every_other_problem_by_the_cli(botgate: Botgate, tmp_path: Path) -> None:
    """`version: 1.10` is a number: the CLI validates the file itself and lists that with the others, exit 2."""
    path = tmp_path / "hello-1.10.yaml"
    path.write_text(FLOAT_VERSION)
    run = botgate("publish", str(path))
    assert (run.code, run.out) == (2, "")
    assert f"{path} cannot be sent: it has" in run.err
    assert '  version: must be a string such as 1.0.0, not a number (in YAML, quote it: "1.0")' in run.err
    assert "  start: " in run.err and "  steps.ask" in run.err
    assert "names its bot and version" not in run.err


def test_a_yaml_float_version_is_reported_with_every_other_problem_by_the_api(live: ServerProcess) -> None:
    """The admin API's 422 lists the version that is a number beside the file's other problems."""
    r = httpx.put(
        f"{live.url}/admin/v1/bots/hello/versions/1.10",
        content=FLOAT_VERSION,
        headers={"Content-Type": "application/yaml", "Authorization": f"Bearer {RW}"},
    )
    assert r.status_code == 422
    details = {d["path"]: d["message"] for d in r.json()["error"]["details"]}
    assert details["version"].startswith("must be a string such as 1.0.0, not a number")
    assert "start" in details and any(path.startswith("steps.ask") for path in details)


def mover(version: str, **extra: object) -> dict[str, object]:
    """A bot of the migration CLI test's own: two questions, so conversations stay under way between them."""
    return {
        "bot": "mover",
        "version": version,
        "start": "ask_name",
        "steps": {
            "ask_name": {"ask": "What is your name?", "save": "name", "next": "ask_town"},
            "ask_town": {"ask": "Which town, {name}?", "save": "town", "next": "bye"},
            "bye": {"say": f"Bye, {{name}} from {{town}}, says {version}"},
        },
        **extra,
    }


def test_ship_a_fix_to_users_mid_conversation(botgate: Botgate, tmp_path: Path) -> None:
    """Draft 1.0.1 resuming 1.0.0, --dry-run says how many conversations it would move, publish, they move."""
    assert botgate("publish", definition_file(tmp_path, mover("1.0.0"))).code == 0
    for user in ("ann", "ben"):
        assert botgate("chat", "mover", "--user", user, stdin="hi\n").code == 0
    fix = definition_file(tmp_path, mover("1.0.1", resumes="==1.0.0"))
    assert botgate("publish", fix, "--draft").out.startswith("stored mover 1.0.1 as a draft;")

    status = botgate("status", "mover").out.splitlines()
    assert [line.split()[:4] for line in status[5:7]] == [
        ["1.0.1", "draft", "0", "==1.0.0"],
        ["1.0.0", "published", "2", "-"],
    ]

    run = botgate("publish", fix, "--dry-run")
    assert run.code == 0, run.err
    assert run.out.splitlines() == [
        "publishing mover 1.0.1 makes it the stable version: new conversations start on it",
        "once routed to their users, it would move at most 2 conversation(s) under way (1.0.0: 2; resumes ==1.0.0) "
        "at their next message",
    ]
    assert [line.split()[:3] for line in botgate("status", "mover").out.splitlines()[5:7]] == [
        ["1.0.1", "draft", "0"],
        ["1.0.0", "published", "2"],
    ]

    assert botgate("publish", fix).out.splitlines()[-1] == "published mover 1.0.1; new conversations now start on it"
    chat = botgate("chat", "mover", "--user", "ann", stdin="Ann\nParis\n")
    assert chat.out.splitlines()[:2] == ["[1.0.1] Which town, Ann?", "[1.0.1] Bye, Ann from Paris, says 1.0.1"]
    status = botgate("status", "mover").out.splitlines()
    assert [line.split()[:3] for line in status[5:7]] == [["1.0.1", "published", "0"], ["1.0.0", "published", "1"]]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (mover("3.0.0"), "mover 3.0.0 is not stored yet: store it with --draft first"),
        ({**mover("1.0.0"), "description": "changed"}, "differs from the stored mover 1.0.0"),
    ],
    ids=["not stored", "other content"],
)
def test_a_dry_run_needs_the_file_stored_as_it_is(
    botgate: Botgate, tmp_path: Path, document: dict[str, object], message: str
) -> None:
    """A version not stored yet, or stored with other content than the file, is refused: exit 1, nothing changed."""
    botgate("publish", definition_file(tmp_path, mover("1.0.0")))
    run = botgate("publish", definition_file(tmp_path, document), "--dry-run")
    assert (run.code, run.out) == (1, "")
    assert message in run.err


def test_a_dry_run_of_a_version_that_resumes_nothing_says_so(botgate: Botgate, tmp_path: Path) -> None:
    """Without resumes, the dry run says conversations under way stay where they are."""
    document = hello("1.5.0")
    assert botgate("publish", definition_file(tmp_path, document), "--draft").code == 0
    run = botgate("publish", definition_file(tmp_path, document), "--dry-run")
    assert run.out.splitlines()[-1] == "1.5.0 resumes no older versions: conversations under way stay where they are"
