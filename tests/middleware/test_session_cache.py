"""Each process's session copies: at most BOTGATE_SESSION_CACHE of them, the least recently used dropped first."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from middleware.session_cache import SessionCache

uses = st.lists(st.tuples(st.sampled_from(["get", "put", "drop"]), st.text(max_size=3)), max_size=100)


@given(size=st.integers(0, 6), plan=uses)
def test_the_cache_never_holds_more_than_its_size(size: int, plan: list[tuple[str, str]]) -> None:
    """Any mix of saves, reads and drops over any session tags leaves at most `size` copies; 0 keeps none."""
    cache = SessionCache(size)
    for revision, (use, tag) in enumerate(plan):
        if use == "put":
            cache.put(tag, "{}", revision, f"stamp-{revision}")
            assert size == 0 or cache.get(tag) is not None
        elif use == "get":
            cache.get(tag)
        else:
            cache.drop(tag)
            assert cache.get(tag) is None
        assert len(cache) <= size


def test_a_read_copy_outlives_older_ones() -> None:
    """Reading `a` keeps it when `c` pushes the oldest copy out."""
    cache = SessionCache(2)
    cache.put("a", "{}", 1, "s1")
    cache.put("b", "{}", 1, "s2")
    assert cache.get("a") is not None
    cache.put("c", "{}", 1, "s3")
    assert (cache.get("a") is not None, cache.get("b"), cache.get("c") is not None) == (True, None, True)
