"""Lua scripts by SHA1 on a real redis-server: loaded when the server lacks them, run once per call."""

from __future__ import annotations

from redis.asyncio import Redis

from bot_versions.redis_scripts import RedisScript

INCR_BY = "return redis.call('INCRBY', KEYS[1], ARGV[1])"


async def test_a_script_the_server_lost_is_loaded_again_and_runs_once(redis: Redis) -> None:
    """After SCRIPT FLUSH (a restart, a failover) the call still runs the script, exactly once."""
    script = RedisScript(redis, INCR_BY)
    assert await script(keys=["{n}"], args=[2]) == 2
    await redis.script_flush()
    assert await script(keys=["{n}"], args=[3]) == 5
    assert await redis.script_exists(script.sha) == [True]


async def test_keys_and_arguments_reach_the_script_in_their_places(redis: Redis) -> None:
    """KEYS are the keys, ARGV the arguments, in order; the SHA1 is the one Redis computes for the source."""
    script = RedisScript(redis, "return {KEYS[1], KEYS[2], ARGV[1], ARGV[2]}")
    assert await script(keys=["{a}1", "{a}2"], args=["x", 7]) == [b"{a}1", b"{a}2", b"x", b"7"]
    assert await redis.script_load(script.source) == script.sha
