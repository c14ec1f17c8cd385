"""The separate virtualenv that Microsoft's botbuilder-python 4.17 runs in, built once and reused.

The SDK pins old dependencies, so it never enters the project's venv. `botbuilder_python()` builds
`<repo>/.venv/upstream-botbuilder-<hash>` (hash of the pinned requirements and of the Python version) with
`python -m venv` and pip on first use, and afterwards only returns its interpreter. Concurrent builders (two
pytest processes, CI steps) take an exclusive lock beside it; the one that gets it first builds, the others wait
and find it ready. A build is complete only when its marker file exists, so an interrupted build is redone.

Prebuild from a shell: `.venv/bin/python -m tests.upstream.botbuilder_env`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = Path(__file__).with_name("botbuilder-requirements.txt")
MARKER = ".botgate-complete"  # written last: its presence means the build finished


def requirements_hash(requirements: Path = REQUIREMENTS) -> str:
    """A short hash of the pinned requirements and the interpreter's version (a venv is tied to both)."""
    digest = hashlib.sha256(requirements.read_bytes())
    digest.update(f"{sys.implementation.name}-{sys.version_info.major}.{sys.version_info.minor}".encode())
    return digest.hexdigest()[:12]


def venv_dir(root: Path = ROOT, requirements: Path = REQUIREMENTS) -> Path:
    """Where the venv for these requirements lives: under the repository's (git-ignored) `.venv`."""
    return root / ".venv" / f"upstream-botbuilder-{requirements_hash(requirements)}"


def interpreter(target: Path) -> Path:
    return target / "bin" / "python"


def is_ready(target: Path) -> bool:
    """Built completely, and its interpreter still resolves (a removed base Python breaks the venv's symlink)."""
    return (target / MARKER).is_file() and interpreter(target).exists()


@contextmanager
def exclusive(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive flock on `lock_path`; released on exit, or by the kernel if the process dies."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def ensure(target: Path, build: Callable[[Path], None]) -> Path:
    """`target` built by `build` exactly once across processes; returns its interpreter."""
    if is_ready(target):
        return interpreter(target)
    with exclusive(target.with_name(target.name + ".lock")):
        if is_ready(target):  # another process built it while this one waited for the lock
            return interpreter(target)
        if target.exists():  # a build that was interrupted: start over
            shutil.rmtree(target)
        started = time.monotonic()
        try:
            build(target)
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        seconds = round(time.monotonic() - started, 1)
        (target / MARKER).write_text(json.dumps({"build_seconds": seconds}) + "\n")
        print(f"built {target} in {seconds}s", file=sys.stderr)
    return interpreter(target)


def pip_build(requirements: Path) -> Callable[[Path], None]:
    """A builder: `python -m venv target`, then pip installs the pinned requirements into it."""

    def build(target: Path) -> None:
        steps = [
            [sys.executable, "-m", "venv", str(target)],
            [
                str(interpreter(target)),
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                "--no-input",
                "-r",
                str(requirements),
            ],
        ]
        for step in steps:
            done = subprocess.run(step, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(step)} failed ({done.returncode}):\n{done.stderr[-3000:]}")

    return build


def botbuilder_python(root: Path = ROOT, requirements: Path = REQUIREMENTS) -> Path:
    """The interpreter of the botbuilder venv, built first if needed (about 40 s on a fresh machine)."""
    return ensure(venv_dir(root, requirements), pip_build(requirements))


if __name__ == "__main__":
    print(botbuilder_python())
