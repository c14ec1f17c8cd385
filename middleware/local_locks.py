"""Per-key FIFO locks inside one process, dropped when nobody holds or waits for them."""

from __future__ import annotations

import asyncio


class KeyedLocks:
    """Serialises same-session turns within a process before they reach Redis's queue.

    asyncio.Lock wakes waiters first-come first-served, so turns keep the order this
    process accepted them in, and contention on one session costs no Redis polling.
    """

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    async def acquire(self, key: str, timeout: float) -> bool:
        """Take the key's lock, waiting at most `timeout` seconds behind earlier holders; False if that ran out."""
        lock, users = self._locks.get(key, (None, 0))
        if lock is None:  # the common case: nobody holds or awaits this key, so it is taken at once, with no timer
            lock = asyncio.Lock()
            self._locks[key] = (lock, 1)
            await lock.acquire()
            return True
        self._locks[key] = (lock, users + 1)
        try:
            async with asyncio.timeout(timeout):
                await lock.acquire()
        except TimeoutError:
            self._leave(key)
            return False
        except BaseException:
            self._leave(key)
            raise
        return True

    def release(self, key: str) -> None:
        """Free the key's lock for the next waiter."""
        self._locks[key][0].release()
        self._leave(key)

    def _leave(self, key: str) -> None:
        lock, users = self._locks[key]
        if users == 1:
            del self._locks[key]
        else:
            self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)
