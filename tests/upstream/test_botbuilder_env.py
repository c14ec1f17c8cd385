"""The botbuilder venv: built once under a lock, an interrupted build redone, a failed one left out."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.upstream.botbuilder_env import MARKER, ensure, exclusive, is_ready, requirements_hash, venv_dir


def fake_build(calls: list[Path]) -> Callable[[Path], None]:
    """A builder that makes a directory with a `bin/python` file, recording each call."""

    def build(target: Path) -> None:
        calls.append(target)
        (target / "bin").mkdir(parents=True)
        (target / "bin" / "python").write_text("")

    return build


def test_a_built_env_is_reused_without_building_again(tmp_path: Path) -> None:
    """The second ensure finds the marker and does not call the builder."""
    calls: list[Path] = []
    target = tmp_path / "env"
    first = ensure(target, fake_build(calls))
    second = ensure(target, fake_build(calls))
    assert first == second == target / "bin" / "python"
    assert calls == [target]
    assert is_ready(target)


def test_a_builder_waits_for_the_lock_held_by_another(tmp_path: Path) -> None:
    """While another holder has the lock, ensure neither builds nor returns; once released it builds once."""
    calls: list[Path] = []
    target = tmp_path / "env"
    results: list[Path] = []
    with exclusive(tmp_path / "env.lock"):
        worker = threading.Thread(target=lambda: results.append(ensure(target, fake_build(calls))))
        worker.start()
        worker.join(timeout=0.5)
        assert worker.is_alive() and calls == []  # blocked on the lock
    worker.join(timeout=10)
    assert results == [target / "bin" / "python"] and calls == [target]


def test_an_interrupted_build_is_removed_and_redone(tmp_path: Path) -> None:
    """A directory without the marker (a build that died) is started over."""
    calls: list[Path] = []
    target = tmp_path / "env"
    (target / "lib").mkdir(parents=True)
    (target / "lib" / "half-installed").write_text("")
    ensure(target, fake_build(calls))
    assert calls == [target]
    assert not (target / "lib").exists()
    assert (target / MARKER).is_file()


def test_a_failed_build_leaves_nothing_behind(tmp_path: Path) -> None:
    """The builder's error propagates and no half-built env remains to be taken for a good one."""
    target = tmp_path / "env"

    def broken(path: Path) -> None:
        (path / "bin").mkdir(parents=True)
        raise RuntimeError("pip failed")

    with pytest.raises(RuntimeError, match="pip failed"):
        ensure(target, broken)
    assert not target.exists()


def test_the_env_path_changes_with_the_requirements(tmp_path: Path) -> None:
    """Another pin is another venv, so a changed requirements file never reuses a stale env."""
    one, two = tmp_path / "one.txt", tmp_path / "two.txt"
    one.write_text("botbuilder-core==4.17.1\n")
    two.write_text("botbuilder-core==4.17.0\n")
    assert requirements_hash(one) != requirements_hash(two)
    assert venv_dir(tmp_path, one).parent == tmp_path / ".venv"
    assert venv_dir(tmp_path, one).name == f"upstream-botbuilder-{requirements_hash(one)}"


def test_the_real_env_has_botbuilder_4_17(botbuilder_python: Path) -> None:
    """The session's venv imports the SDK at 4.17.1 (the project's venv does not have it)."""
    code = "import importlib.metadata as m, botbuilder.dialogs; print(m.version('botbuilder-core'))"
    found = subprocess.run([str(botbuilder_python), "-c", code], capture_output=True, text=True, check=True)
    assert found.stdout.strip() == "4.17.1"
