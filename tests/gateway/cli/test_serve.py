"""`botgate serve` refuses to start on bad configuration, naming what is wrong."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.redis_servers import free_port


def serve(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", "serve", "--port", "1", *args],
        env={"PATH": "/usr/bin:/bin", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_an_invalid_definition_file_stops_start_up_naming_file_path_and_problem(tmp_path: Path) -> None:
    """Exit status 2 and a message with the file, the path inside it and the problem."""
    (tmp_path / "broken.yaml").write_text("bot: greeter\nversion: 1.0.0\nstart: a\nsteps:\n  a: {say: hi, next: b}\n")
    result = serve({"BOTGATE_BOTS_DIR": str(tmp_path)})
    assert result.returncode == 2
    assert "broken.yaml" in result.stderr
    assert "steps.a.next" in result.stderr
    assert "b" in result.stderr


def test_a_bad_setting_stops_start_up_naming_the_variable() -> None:
    """A malformed BOTGATE_* value is refused before anything starts."""
    result = serve({"BOTGATE_LOCK_LEASE_MS": "soon"})
    assert result.returncode == 2
    assert "BOTGATE_LOCK_LEASE_MS" in result.stderr


def test_several_workers_need_a_shared_redis() -> None:
    """The embedded store lives in one process, so --workers 2 without Redis is refused."""
    result = serve({}, "--workers", "2")
    assert result.returncode == 2
    assert "BOTGATE_REDIS_URL" in result.stderr


def test_serve_prints_the_chat_url_the_admin_token_and_the_embedded_warning_then_serves(tmp_path: Path) -> None:
    """What `make run` shows a newcomer, and the gateway it starts answering on that address."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
            env={"PATH": "/usr/bin:/bin"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while "nothing is kept across restarts" not in log.read_text():
            assert process.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        r = httpx.post(f"{base}/v1/bots/greeter/messages", json={"user": "me", "text": "hi"})
        assert r.json()["replies"] == [{"text": "What is your name?"}]
        printed = log.read_text()
        assert f"{base}/chat/greeter" in printed
        token = re.search(r"export BOTGATE_TOKEN=(\w+)", printed)
        assert token is not None
        admin = httpx.get(f"{base}/admin/v1/bots", headers={"Authorization": f"Bearer {token.group(1)}"})
        assert admin.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_taken_port_stops_start_up_before_anything_is_printed_and_says_how_to_pick_another() -> None:
    """Exit status 2, no banner or token first, and the three ways to choose a port."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port)],
            env={"PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"botgate: port {port} on 127.0.0.1 is taken")
    for way in (f"botgate serve --port {port + 1}", f"BOTGATE_PORT={port + 1}", f"make run PORT={port + 1}"):
        assert way in result.stderr
    assert result.stderr.count("\n") == 1  # one line: no banner, no generated token


def test_a_shared_redis_without_admin_tokens_stops_start_up_asking_for_them() -> None:
    """With BOTGATE_REDIS_URL set, a generated token would work on this process only: exit 2 naming the setting."""
    result = serve({"BOTGATE_REDIS_URL": "redis://127.0.0.1:9/0"})
    assert result.returncode == 2
    assert "set BOTGATE_ADMIN_TOKENS" in result.stderr
    assert "Admin token" not in result.stderr
