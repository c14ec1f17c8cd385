"""The shipped example bots."""

from __future__ import annotations

from bot_versions.examples import examples_dir
from bot_versions.loader import load_directory


def test_examples_dir_holds_the_examples() -> None:
    """The examples directory holds the greeter, echo and zipcode definitions."""
    names = sorted(path.name for path in examples_dir().glob("*.yaml"))
    assert names == ["echo-1.0.0.yaml", "greeter-1.0.0.yaml", "greeter-2.0.0.yaml", "zipcode-1.1.0.yaml"]


def test_examples_load() -> None:
    """Every example loads, named as its file is."""
    versions = load_directory(examples_dir())
    assert [f"{v.bot}-{v.version}" for v in versions] == [
        "echo-1.0.0",
        "greeter-1.0.0",
        "greeter-2.0.0",
        "zipcode-1.1.0",
    ]
    assert {v.bot: v.idle.after_ms for v in versions} == {"echo": 0, "greeter": 600_000, "zipcode": 300_000}
