"""`botgate serve` given a `redis+cluster://` URL: a conversation, and /readyz, through a real process."""

from __future__ import annotations

from pathlib import Path

import httpx
from redis.asyncio import Redis

from tests.processes import ServerProcess, botgate_serve
from tests.redis_servers import RedisClusterNodes


async def test_a_gateway_process_converses_on_the_cluster_named_by_its_url(
    redis_server: RedisClusterNodes, redis: Redis, tmp_path: Path
) -> None:
    """BOTGATE_REDIS_URL=redis+cluster://node,node,node is all a deployment needs to run on a cluster."""
    env = {"BOTGATE_REDIS_URL": redis_server.url, "BOTGATE_ADMIN_TOKENS": "cluster-test-token"}
    gateway = ServerProcess(botgate_serve(), env, tmp_path / "gateway.log").start()
    try:
        async with httpx.AsyncClient(base_url=gateway.url, timeout=10) as http:
            assert (await http.get("/readyz")).status_code == 200
            url = "/v1/bots/greeter/messages"
            first = await http.post(url, json={"user": "alice", "text": "hi"})
            assert first.json()["replies"] == [{"text": "What is your name?"}]
            second = await http.post(url, json={"user": "alice", "text": "Alice"})
            assert second.json()["replies"] == [{"text": "Hello, Alice, from the updated bot"}]
            assert second.json()["conversation"] == first.json()["conversation"]
    finally:
        gateway.stop()
