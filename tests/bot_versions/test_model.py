"""Bot names: exactly the lowercase slugs, whatever text is offered."""

from __future__ import annotations

import string

from hypothesis import given
from hypothesis import strategies as st

from bot_versions.model import is_valid_bot_name
from bot_versions.validation import validate

FIRST = set(string.ascii_lowercase + string.digits)
ALLOWED = FIRST | {"_", "-"}
# Mostly slug characters, with the ones a loose pattern lets through: newlines, spaces, capitals, `/`, non-ASCII.
LOOSE = ["\n", "\r", " ", "A", "/", "é", "\x00"]
slugs = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,62}", fullmatch=True)
near_slugs = st.text(st.sampled_from(sorted(ALLOWED)) | st.sampled_from(LOOSE)) | st.builds(
    lambda slug, end: slug + end, slugs, st.sampled_from(LOOSE)
)


def is_slug(name: str) -> bool:
    return 1 <= len(name) <= 63 and name[0] in FIRST and set(name) <= ALLOWED


@given(name=near_slugs | st.text())
def test_a_bot_name_is_exactly_a_slug_of_at_most_63_characters(name: str) -> None:
    """Lowercase letters, digits, `_` and `-`, starting with a letter or digit; nothing before or after."""
    assert is_valid_bot_name(name) == is_slug(name)


@given(name=slugs, end=st.sampled_from(["\n", "\r\n", " "]))
def test_a_definition_naming_a_slug_and_a_newline_is_refused(name: str, end: str) -> None:
    """`bot: "greeter\\n"` is not `greeter`: it is refused at the `bot` path, not stored under a second name."""
    problems = validate({"bot": name + end, "version": "1.0.0", "reply": "hi"})
    assert [p.path for p in problems] == ["bot"]
