"""Session keys: built from any ids a channel accepts, and read back from their hash tag exactly."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from middleware.keys import SessionKeys, SessionPlace

# What a channel accepts as an id: 1-256 characters of Unicode text, any but lone surrogates.
ids = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=256)
bots = st.from_regex(r"[a-z0-9][a-z0-9_-]{0,62}", fullmatch=True)
channels = st.sampled_from(["rest", "web", "twilio", "botframework"])


@given(bot=bots, channel=channels, user=ids, space=st.none() | ids)
def test_any_session_tag_reads_back_as_its_place(bot: str, channel: str, user: str, space: str | None) -> None:
    """Whatever the user and space hold (`:`, braces, `%`, newlines), the tag decodes to the same four parts."""
    assert SessionPlace.of_tag(SessionKeys.of(bot, channel, user, space).tag) == SessionPlace(bot, channel, user, space)


@given(user=ids, space=ids)
def test_a_user_and_a_space_never_share_a_tag_with_a_longer_user(user: str, space: str) -> None:
    """`a:b` alone and `a` in space `b` are different sessions with different keys."""
    assert SessionKeys.of("echo", "rest", f"{user}:{space}").tag != SessionKeys.of("echo", "rest", user, space).tag


@pytest.mark.parametrize("tag", ["{greeter:rest}", "{a:b:c:d:e}", "{}"])
def test_a_tag_with_the_wrong_number_of_parts_is_refused(tag: str) -> None:
    """Only tags of three or four parts are session tags."""
    with pytest.raises(ValueError, match="is not a session tag"):
        SessionPlace.of_tag(tag)
