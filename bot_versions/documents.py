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
- nesting deeper than `MAX_DEPTH` is refused, so nothing downstream recurses without bound;
- lone surrogates (JSON `"\\ud800"`, YAML `"\\ud800"` in a double-quoted scalar) and integers of more than
  100 digits are refused, as `safe_json` refuses them: no store, log or float can carry them.

JSON is read by `safe_json`, the parser every body goes through.
"""

from __future__ import annotations

import math
from typing import Any

import yaml
from yaml.composer import ComposerError
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode

from bot_versions import safe_json
from bot_versions.errors import BadRequest
from bot_versions.problems import short

YAML_TYPES = frozenset({"application/yaml", "application/x-yaml", "text/yaml"})
MAX_DEPTH = 64
MERGE_TAG = "tag:yaml.org,2002:merge"
MAX_INT = 10**safe_json.MAX_INT_DIGITS  # integers must be smaller (in size) than this, as in JSON
# Any integer under MAX_INT fits in this many characters in every base YAML allows (binary is the longest).
MAX_INT_TEXT = 4 * safe_json.MAX_INT_DIGITS
NOT_FINITE = "numbers must be finite: NaN, infinities and overflowing numbers are not accepted"
TOO_LONG_INT = f"integers may have at most {safe_json.MAX_INT_DIGITS} digits"


def parse_document(body: bytes, content_type: str | None) -> Any:
    """Parse a body as YAML when its content type is a YAML one, otherwise as JSON; raise BadRequest when unreadable."""
    if not is_yaml(content_type):
        return _load_json(body)
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise BadRequest("empty document; expected JSON or YAML")
    try:
        document = _load_yaml(text)
    except RecursionError:
        raise BadRequest(f"document is nested too deeply (at most {MAX_DEPTH} levels)") from None
    _check_plain_data(document)
    return document


def is_yaml(content_type: str | None) -> bool:
    """Whether a Content-Type header names YAML (parameters such as charset are ignored)."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() in YAML_TYPES


def _load_json(body: bytes) -> Any:
    if not body.strip():
        raise BadRequest("empty document; expected JSON or YAML")
    try:
        # safe_json refuses all that _check_plain_data does for YAML: the value needs no second walk
        return safe_json.loads(body, max_depth=MAX_DEPTH, unique_keys=True)
    except safe_json.JsonRefused as exc:
        raise BadRequest(exc.message) from None


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
    except (ValueError, LookupError, TypeError):
        # PyYAML's constructors fail so on a scalar that does not fit its explicit tag (`!!int x`, `!!bool x`, `!!int`)
        raise BadRequest("not valid YAML: a value does not fit its tag (such as !!int x or !!bool maybe)") from None


class _Loader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases, duplicate or non-string keys, or timestamp objects."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        if self.check_event(yaml.AliasEvent):
            mark = self.peek_event().start_mark
            raise ComposerError(None, None, "aliases (*name) are not accepted; write the value out", mark)
        return super().compose_node(parent, index)

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        if not isinstance(node, MappingNode):  # `!!map x`, `!!set x`: PyYAML's own check says what was expected
            return super().construct_mapping(node, deep=deep)
        seen: set[str] = set()
        for key_node, _ in node.value:
            if key_node.tag == MERGE_TAG:
                raise ConstructorError(None, None, "merge keys (<<) are not accepted", key_node.start_mark)
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                raise ConstructorError(
                    None, None, f"keys must be text, not {short(key)}; quote the key", key_node.start_mark
                )
            if key in seen:
                raise ConstructorError(None, None, f"duplicate key {short(key)}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_yaml_int(self, node: ScalarNode) -> int:
        # refused before converting: past 4300 digits int() raises ValueError, and a long base-60 number is slow
        if len(str(node.value).replace("_", "")) > MAX_INT_TEXT:
            raise ConstructorError(None, None, TOO_LONG_INT, node.start_mark)
        value: int = super().construct_yaml_int(node)
        return value

    def construct_yaml_float(self, node: ScalarNode) -> float:
        try:
            value: float = super().construct_yaml_float(node)
        except OverflowError:  # a long base-60 float (`1:00:...:00.5`) multiplies past what a float holds
            raise ConstructorError(None, None, NOT_FINITE, node.start_mark) from None
        return value


def _timestamp_as_text(loader: _Loader, node: ScalarNode) -> str:
    return str(loader.construct_scalar(node))


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_as_text)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:float", _Loader.construct_yaml_float)


def _check_plain_data(document: Any) -> None:
    """What YAML can give that JSON data cannot hold, or that safe_json would refuse, refused the same way."""
    # iterative, so a deep document cannot exhaust the stack here; only arrays and objects count as levels
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, (dict, list)):
            if depth + 1 > MAX_DEPTH:
                raise BadRequest(f"document is nested too deeply (at most {MAX_DEPTH} levels)")
            items = [*value, *value.values()] if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
        elif isinstance(value, str):
            if safe_json.SURROGATE.search(value):
                raise BadRequest(safe_json.LONE_SURROGATE)
        elif isinstance(value, float) and not math.isfinite(value):
            raise BadRequest(NOT_FINITE)
        elif isinstance(value, int) and not -MAX_INT < value < MAX_INT:
            raise BadRequest(TOO_LONG_INT)
        elif value is not None and not isinstance(value, (int, float)):
            raise BadRequest(f"{type(value).__name__} values are not accepted; a document is plain JSON data")
