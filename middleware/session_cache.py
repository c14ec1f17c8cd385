"""Each process's copy of the sessions it saved last, so a turn can run before Redis is asked anything."""

from __future__ import annotations

from dataclasses import dataclass

from middleware.session import Session


@dataclass(frozen=True, slots=True)
class Cached:
    """A session document as this process last saw it stored: its revision and stamp (the saving turn's token)."""

    doc: str
    revision: int
    stamp: str

    def session(self) -> Session:
        """A fresh Session each time: a turn that is thrown away must not leave its changes in the cache."""
        return Session.from_json(self.doc, self.revision)


class SessionCache:
    """At most `size` sessions, the least recently used dropped first; a stale copy only costs a re-run."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._entries: dict[str, Cached] = {}

    def get(self, tag: str) -> Cached | None:
        found = self._entries.pop(tag, None)
        if found is not None:
            self._entries[tag] = found  # re-inserted: dicts keep insertion order, so the oldest comes first
        return found

    def put(self, tag: str, doc: str, revision: int, stamp: str) -> None:
        if self.size == 0:
            return
        self._entries.pop(tag, None)
        self._entries[tag] = Cached(doc, revision, stamp)
        if len(self._entries) > self.size:
            del self._entries[next(iter(self._entries))]

    def drop(self, tag: str) -> None:
        self._entries.pop(tag, None)

    def __len__(self) -> int:
        return len(self._entries)
