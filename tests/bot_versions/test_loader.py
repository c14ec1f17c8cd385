"""Loading definition files from a directory."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot_versions.loader import DefinitionFileError, load_directory, load_file

ECHO_YAML = 'bot: echo\nversion: 1.0.0\nreply: "ECHO: {text}"\n'
ECHO_JSON = '{"bot": "echo", "version": "2.0.0", "reply": "ECHO: {text}"}'


def write(directory: Path, files: dict[str, str]) -> Path:
    """A directory holding `files`."""
    for name, text in files.items():
        (directory / name).write_text(text)
    return directory


def test_loads_yaml_and_json_in_name_order(tmp_path: Path) -> None:
    """*.yaml, *.yml and *.json files load in name order; other and hidden files are skipped."""
    write(
        tmp_path,
        {
            "b.json": ECHO_JSON,
            "a.yml": ECHO_YAML,
            "c.YAML": ECHO_YAML.replace("echo", "other"),
            "notes.txt": "not a bot",
            ".draft.yaml": "{",
        },
    )
    (tmp_path / "sub.yaml").mkdir()
    assert [(v.bot, v.version) for v in load_directory(tmp_path)] == [
        ("echo", "1.0.0"),
        ("echo", "2.0.0"),
        ("other", "1.0.0"),
    ]


def test_empty_directory(tmp_path: Path) -> None:
    """A directory with no definitions loads nothing."""
    assert load_directory(tmp_path) == []


def test_invalid_file_names_file_path_and_problem(tmp_path: Path) -> None:
    """An invalid file is reported with its name and every path in it and problem."""
    write(
        tmp_path,
        {"good.yaml": ECHO_YAML, "bad.yaml": "bot: Bad\nversion: one\nstart: a\nsteps: {a: {say: hi, next: b}}\n"},
    )
    with pytest.raises(DefinitionFileError) as info:
        load_directory(tmp_path)
    bad = str(tmp_path / "bad.yaml")
    assert info.value.message.splitlines()[:2] == ["invalid bot definition files:", f"  {bad}:"]
    assert "    bot: 'Bad' is not a bot name" in info.value.message
    assert "    version: 'one' is not a version" in info.value.message
    assert "    steps.a.next: names no step: 'b'" in info.value.message
    assert [(d["file"], d["path"]) for d in info.value.details] == [
        (bad, "bot"),
        (bad, "version"),
        (bad, "steps.a.next"),
    ]


def test_every_bad_file_is_reported(tmp_path: Path) -> None:
    """Unparsable files, invalid files and repeated versions are all reported in one error."""
    write(
        tmp_path,
        {
            "a.yaml": "bot: x\n  oops: [",
            "b.json": "{",
            "c.yaml": ECHO_YAML,
            "d.yaml": ECHO_YAML,
            "e.yaml": "- a list\n",
        },
    )
    with pytest.raises(DefinitionFileError) as info:
        load_directory(tmp_path)
    found = [(Path(d["file"]).name, d["path"], d["message"]) for d in info.value.details]
    assert [(name, path) for name, path, _ in found] == [
        ("a.yaml", ""),
        ("b.json", ""),
        ("d.yaml", "version"),
        ("e.yaml", ""),
    ]
    assert re.search(r"not valid YAML: .* \(line 2, column 7\)", found[0][2])
    assert found[1][2].startswith("not valid JSON: Expecting property name")
    assert found[2][2] == "echo 1.0.0 is already defined in c.yaml"
    assert found[3][2] == "a definition must be a mapping, not a list"


def test_unreadable_file(tmp_path: Path) -> None:
    """A file that cannot be read is reported by name."""
    with pytest.raises(DefinitionFileError, match=r"missing\.yaml:\n    cannot read the file"):
        load_file(tmp_path / "missing.yaml")


def test_missing_directory(tmp_path: Path) -> None:
    """A directory that does not exist is reported by name."""
    with pytest.raises(DefinitionFileError, match=r"cannot read the definitions directory .*nowhere"):
        load_directory(tmp_path / "nowhere")
