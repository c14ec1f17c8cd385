"""A least-recently-used mapping of bounded size, for every per-process cache whose keys come from outside."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LRU(Generic[K, V]):
    """At most `size` entries (0: none are kept); reading or writing an entry makes it the newest, the oldest goes.

    A plain dict keeps insertion order, so re-inserting an entry on each use keeps the least recently used one
    first: no linked list, and each operation is O(1).
    """

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ValueError(f"an LRU holds 0 or more entries, not {size}")
        self.size = size
        self._entries: dict[K, V] = {}

    def get(self, key: K) -> V | None:
        """The entry, now the most recently used; None when it is not kept."""
        found = self._entries.pop(key, None)
        if found is not None:
            self._entries[key] = found
        return found

    def put(self, key: K, value: V) -> None:
        """Keep `value` as the most recently used entry, dropping the least recently used one past `size`."""
        if self.size == 0:
            return
        self._entries.pop(key, None)
        self._entries[key] = value
        if len(self._entries) > self.size:
            del self._entries[next(iter(self._entries))]

    def pop(self, key: K) -> V | None:
        """Forget the entry; the value it had, or None."""
        return self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)
