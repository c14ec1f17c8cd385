"""The core conversation scenarios and the concurrency tests, run unchanged on a 3-master Redis Cluster.

The tests are imported, not copied: pytest collects them here again, where conftest.py gives them a cluster.
"""

from redis.asyncio import Redis
from redis.asyncio.cluster import RedisCluster

from tests.gateway.test_concurrency import (  # noqa: F401
    test_a_repeated_message_id_runs_once,
    test_bursts_through_two_instances_lose_no_turn_and_never_interleave,
)
from tests.gateway.test_idle import (  # noqa: F401
    test_a_silence_shorter_than_the_limit_continues_the_conversation,
    test_idle_ask_then_no_starts_a_new_conversation_on_the_newest_version,
    test_idle_ask_then_yes_asks_the_last_question_again_on_the_pinned_version,
    test_idle_reset_tells_the_user_and_takes_the_message_as_the_first_of_a_new_conversation,
    test_three_unclear_answers_to_continue_reset_the_conversation,
)
from tests.gateway.test_pinning import (  # noqa: F401
    test_a_user_mid_conversation_finishes_on_the_version_they_started_on,
    test_active_counters_follow_conversations_across_versions,
    test_the_answering_version_is_in_the_header,
)
from tests.middleware.test_counters import test_many_first_sessions_at_once_are_all_counted_and_indexed  # noqa: F401
from tests.middleware.test_speculation import (  # noqa: F401
    test_a_copy_another_process_moved_on_is_run_again_on_the_stored_session,
    test_a_repeated_message_id_is_answered_from_the_store_on_another_process,
    test_a_session_recreated_up_to_the_same_revision_is_not_overwritten_from_the_old_copy,
)
from tests.middleware.test_store import (  # noqa: F401
    test_a_first_turn_creates_the_session_at_revision_one,
    test_a_repeated_message_id_returns_the_stored_answer_and_runs_nothing,
    test_a_session_that_stays_busy_answers_unavailable_and_changes_nothing,
    test_a_stalled_turn_whose_lease_lapsed_cannot_overwrite_the_newer_session,
    test_a_turn_stalled_past_its_lease_does_not_hold_up_the_next_turn_in_the_same_process,
    test_a_waiter_that_stops_polling_holds_the_line_up_for_one_lease_not_its_whole_wait,
    test_a_waiter_whose_process_died_is_dropped_from_the_queue,
    test_an_expired_lease_lets_the_next_turn_proceed,
    test_the_transcript_keeps_each_message_with_its_version,
    test_turns_of_one_session_run_one_at_a_time_in_the_order_accepted,
    test_two_processes_never_interleave_turns_of_one_session,
)


async def test_the_shared_redis_fixture_connects_to_the_cluster_here(redis: Redis) -> None:
    """Collected in tests/cluster, the `redis` fixture of tests/conftest.py is a cluster client, as the gateway's."""
    assert isinstance(redis, RedisCluster)
    assert await redis.ping()
