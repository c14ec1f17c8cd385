"""Each process's copy of the sessions it saved last, so a turn can run before Redis is asked anything."""

from __future__ import annotations

from dataclasses import dataclass

from middleware.lru import LRU
from middleware.session import Session


@dataclass(frozen=True, slots=True)
class Cached:
    """A session document as this process last saw it stored: its revision and stamp (the saving turn's token)."""

    doc: bytes | str
    revision: int
    stamp: str

    def session(self) -> Session:
        """A fresh Session each time: a turn that is thrown away must not leave its changes in the cache."""
        return Session.from_json(self.doc, self.revision)


class SessionCache:
    """At most `size` sessions, the least recently used dropped first; a stale copy only costs a re-run."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: LRU[str, Cached] = LRU(size)

    def get(self, tag: str) -> Cached | None:
        return self._entries.get(tag)

    def put(self, tag: str, doc: bytes | str, revision: int, stamp: str) -> None:
        self._entries.put(tag, Cached(doc, revision, stamp))

    def drop(self, tag: str) -> None:
        self._entries.pop(tag)

    def __len__(self) -> int:
        return len(self._entries)
