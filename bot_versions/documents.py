"""Reading a definition body: JSON by default, YAML when the content type says so, plain JSON data either way.

YAML is read with PyYAML's safe loader, narrowed so that both formats give the same kind of
data (which is what makes "the same document as JSON or YAML is the same content" true):

- aliases (`*name`, and therefore `<<` merge keys) are refused: they are what expansion bombs
  ("billion laughs") are built from, and a definition never needs them; without them a
  document's size is bounded by its body's size;
- keys must be strings and may not repeat (in JSON too): a repeated step name would silently
  drop a step;
- timestamps stay strings, and values with no JSON equivalent (`!!binary`, `!!set`, NaN,
  infinities) are refused;
- nesting deeper than `MAX_DEPTH` is refused, so nothing downstream recurses without bound.
"""

from __future__ import annotations

import json
import math
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode

from bot_versions.errors import BadRequest

YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml"})
MAX_DEPTH = 64
MERGE_TAG = "tag:yaml.org,2002:merge"


def parse_document(body: bytes, content_type: str | None) -> Any:
    """Parse a body as YAML when its content type is a YAML one, otherwise as JSON; raise BadRequest when unreadable."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise BadRequest("empty document; expected JSON or YAML")
    try:
        document = _load_yaml(text) if is_yaml(content_type) else _load_json(text)
    except RecursionError:
        raise BadRequest(f"document is nested too deeply (at most {MAX_DEPTH} levels)") from None
    _check_plain_data(document)
    return document


def is_yaml(content_type: str | None) -> bool:
    """Whether a Content-Type header names YAML (parameters such as charset are ignored)."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() in YAML_TYPES


def _load_json(text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_unique_keys, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise BadRequest(f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise BadRequest(f"not valid JSON: duplicate key {key!r}")
        out[key] = value
    return out


def _refuse_constant(name: str) -> Any:
    raise BadRequest(f"not valid JSON: {name} is not a JSON number")


def _load_yaml(text: str) -> Any:
    try:
        # yaml.load is safe here: _Loader is a narrowed SafeLoader
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise BadRequest(f"not valid YAML: {exc.problem or exc.context}{where}") from None
    except yaml.YAMLError as exc:
        raise BadRequest(f"not valid YAML: {exc}") from None


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases, duplicate or non-string keys, or timestamp objects."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise ComposerError(None, None, "aliases (*name) are not accepted; write the value out", mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                raise ConstructorError(None, None, "merge keys (<<) are not accepted", key_node.start_mark)
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise ConstructorError(
                    None, None, f"keys must be text, not {key!r}; quote the key", key_node.start_mark
                )
            if key in seen:
                raise ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _timestamp_as_text(loader: _Loader, node: ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)


def _check_plain_data(document: Any) -> None:
    # iterative, so a deep document cannot exhaust the stack here
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest(f"document is nested too deeply (at most {MAX_DEPTH} levels)")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, float) and not math.isfinite(value):
            raise BadRequest("numbers must be finite: NaN, infinities and overflowing numbers are not accepted")
        elif value is not None and not isinstance(value, (str, int, float)):
            raise BadRequest(f"{type(value).__name__} values are not accepted; a document is plain JSON data")
