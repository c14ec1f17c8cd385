"""The bounded LRU every per-process cache uses: never past its size, least recently used out first."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from middleware.lru import LRU

operations = st.lists(st.tuples(st.sampled_from(["get", "put", "pop"]), st.integers(0, 20)), max_size=200)


@given(size=st.integers(0, 8), ops=operations)
def test_any_sequence_of_uses_keeps_at_most_size_entries_the_most_recent_ones(
    size: int, ops: list[tuple[str, int]]
) -> None:
    """Against a model (a list, most recent last): same answers, and the kept keys are the `size` most recent."""
    lru: LRU[int, str] = LRU(size)
    model: list[tuple[int, str]] = []
    for op, key in ops:
        kept = dict(model)
        if op == "get":
            assert lru.get(key) == kept.get(key)
            if key in kept:
                model = [*(e for e in model if e[0] != key), (key, kept[key])]
        elif op == "put":
            lru.put(key, f"v{key}")
            model = [*(e for e in model if e[0] != key), (key, f"v{key}")][-size:] if size else []
        else:
            assert lru.pop(key) == kept.get(key)
            model = [e for e in model if e[0] != key]
        assert len(lru) == len(model) <= size


def test_the_least_recently_used_entry_goes_first() -> None:
    """Reading `a` makes `b` the oldest, so putting `c` drops `b`."""
    lru: LRU[str, int] = LRU(2)
    lru.put("a", 1)
    lru.put("b", 2)
    assert lru.get("a") == 1
    lru.put("c", 3)
    assert (lru.get("a"), lru.get("b"), lru.get("c")) == (1, None, 3)


def test_size_zero_keeps_nothing_and_a_negative_size_is_refused() -> None:
    """0 turns a cache off; below 0 is a mistake, said at once."""
    off: LRU[str, int] = LRU(0)
    off.put("a", 1)
    assert (len(off), off.get("a")) == (0, None)
    with pytest.raises(ValueError, match="0 or more"):
        LRU(-1)
