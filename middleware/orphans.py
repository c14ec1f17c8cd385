"""Turn tokens whose lock or place in line may be held by a call whose answer was lost, released in the background.

When Redis stalls longer than the client's timeout, the gateway gives up on a call, but Redis runs it when the stall
ends: a lock taken that way belongs to a turn that already answered 503, and nothing would free it before its lease
runs out. The token is known before the call, so the gateway keeps trying to release it (`release.lua` frees the
lock only if that token holds it, and drops the token's queue entries), from the moment Redis answers again.
"""

from __future__ import annotations

import asyncio
import time

import structlog
from redis.exceptions import RedisError

from bot_versions.redis_scripts import RedisScript
from middleware.keys import SessionKeys

log = structlog.get_logger("botgate.store")

MAX_ORPHANS = 10_000  # releases in flight at once; beyond that the lease frees the lock, as before
FIRST_PAUSE_S = 0.1
MAX_PAUSE_S = 1.0


class Orphans:
    """Releases abandoned tokens, each retried until Redis answers or its lease has run out anyway."""

    def __init__(self, release: RedisScript, lease_s: float) -> None:
        self._release = release
        self._lease_s = lease_s
        self._tasks: set[asyncio.Task[None]] = set()

    def release(self, session_keys: SessionKeys, token: str) -> None:
        """Start releasing `token`'s hold on the session, in the background."""
        if len(self._tasks) >= MAX_ORPHANS:
            log.warning("orphaned_lock_left_to_lease", session=session_keys.tag)
            return
        task = asyncio.get_running_loop().create_task(self._free(session_keys, token))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def __len__(self) -> int:
        return len(self._tasks)

    async def _free(self, session_keys: SessionKeys, token: str) -> None:
        deadline = time.monotonic() + self._lease_s
        pause = FIRST_PAUSE_S
        while True:
            try:
                await self._release(keys=[session_keys.lock, session_keys.queue], args=[token])
                return
            except RedisError:
                if time.monotonic() + pause > deadline:
                    return  # the lease has freed the lock by now; the queue entry expired with it
                await asyncio.sleep(pause)
                pause = min(pause * 2, MAX_PAUSE_S)
