"""Migration as a property: random publishes, rollouts, pins and messages over versions with random `resumes`."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, example, given, note, settings
from hypothesis import strategies as st
from packaging.version import Version
from redis.asyncio import Redis

from bot_versions.resumes import resumes
from middleware.keys import active_counts
from tests.admin.support import Admin
from tests.admin.support import settings as admin_settings
from tests.gateway.greeters import payload, stored_session, transcript_rows
from tests.support import running_gateway

VERSIONS = ("1.0.0", "1.1.0", "2.0.0", "2.1.0", "2.2.0")
QUESTIONS = ("q1", "q2", "q3")
USERS = ("cy", "gus", "eve")  # canary buckets 395, 2546 and 6300: 10%, 40% and 70% each take one more
PERCENTS = (0, 10, 40, 70, 100)


@dataclass(frozen=True)
class Shape:
    """What one version is: the questions it asks (in order), what it resumes, where old steps continue."""

    questions: tuple[str, ...]
    resumes: str | None
    resume_at: dict[str, str] = field(default_factory=dict)

    def definition(self, version: str) -> dict[str, Any]:
        steps: dict[str, Any] = {}
        for n, name in enumerate(self.questions):
            after = self.questions[n + 1] if n + 1 < len(self.questions) else "done"
            steps[name] = {"ask": f"{name} of {version}?", "save": f"a_{name}", "next": after}
        steps["done"] = {"say": f"done on {version}"}
        document: dict[str, Any] = {"bot": "greeter", "version": version, "start": self.questions[0], "steps": steps}
        if self.resumes is not None:
            document["resumes"] = self.resumes
            if self.resume_at:
                document["resume_at"] = self.resume_at
        return document


@st.composite
def shapes(draw: st.DrawFn, version: str) -> Shape:
    """A version's questions, and a `resumes` covering only older versions (or none)."""
    asked = draw(st.sets(st.sampled_from(QUESTIONS), min_size=1))
    questions = tuple(q for q in QUESTIONS if q in asked)
    older = [v for v in VERSIONS if Version(v) < Version(version)]
    choices: list[str | None] = [None]
    if older:
        choices += [f"<{version}"] * 2 + [f">={older[-1]},<{version}", f"=={draw(st.sampled_from(older))}"]
    spec = draw(st.sampled_from(choices))
    missing = [q for q in QUESTIONS if q not in questions]
    resume_at = {}
    if spec is not None and missing and draw(st.booleans()):
        resume_at = {draw(st.sampled_from(missing)): draw(st.sampled_from(questions))}
    return Shape(questions, spec, resume_at)


versions = st.sampled_from(VERSIONS)
users = st.sampled_from(USERS)
message = st.tuples(st.just("message"), users, st.sampled_from(["hi", "yes", "Ada"]))
OPERATOR = {
    "release": st.just(("release",)),  # publish the next version up: how releases usually go
    "publish": st.tuples(st.just("publish"), versions),
    "store": st.tuples(st.just("store"), versions),
    "unpublish": st.tuples(st.just("unpublish"), versions, st.sampled_from(["drain", "reset"])),
    "rollout": st.tuples(st.just("rollout"), st.none() | versions, st.none() | versions, st.sampled_from(PERCENTS)),
    "pin": st.tuples(st.just("pin"), users, versions),
    "unpin": st.tuples(st.just("unpin"), users),
}
# Publishing and rollouts are what move conversations: they come up most.
operator = st.sampled_from(["release"] * 4 + ["rollout"] * 2 + list(OPERATOR)).flatmap(OPERATOR.__getitem__)
# Rounds of one operator action and a few messages: conversations start and go on between the changes that move them.
rounds = st.lists(st.tuples(operator, st.lists(message, min_size=1, max_size=3)), min_size=2, max_size=8)
scripts = rounds.map(lambda rs: [action for change, said in rs for action in (change, *said)])


@dataclass
class Seen:
    """Where a user's conversation stood after their last answered message."""

    conversation: str
    version: str
    values: dict[str, Any]


async def operate(admin: Admin, shapes_: dict[str, Shape], action: tuple[Any, ...]) -> None:
    """Carry out an operator's action; one the admin API refuses (a canary on a draft, ...) changes nothing."""
    kind = action[0]
    if kind == "release":
        published = [
            v["version"] for v in (await admin.ok("GET", "/bots/greeter"))["versions"] if v["status"] == "published"
        ]
        above = [v for v in VERSIONS if Version(v) > max(map(Version, published), default=Version("0"))]
        if not above:
            return
        kind, action = "publish", ("publish", above[0])
    if kind in ("store", "publish"):
        r = await admin.store(shapes_[action[1]].definition(action[1]))
        assert r.status_code in (200, 201), r.text
        if kind == "publish":
            r = await admin.call("POST", f"/bots/greeter/versions/{action[1]}/publish")
    elif kind == "unpublish":
        r = await admin.call("POST", f"/bots/greeter/versions/{action[1]}/unpublish", json={"in_flight": action[2]})
    elif kind == "rollout":
        canary = None if action[2] is None else {"version": action[2], "percent": action[3]}
        r = await admin.call("PUT", "/bots/greeter/rollout", json={"stable": action[1], "canary": canary})
    elif kind == "pin":
        r = await admin.call("PUT", f"/bots/greeter/pins/{action[1]}", json={"version": action[2]})
    else:
        r = await admin.call("DELETE", f"/bots/greeter/pins/{action[1]}")
    assert r.status_code < 500, r.text
    note(f"{action} -> {r.status_code}")


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.fixed_dictionaries({v: shapes(v) for v in VERSIONS}), versions, scripts)
@example(
    {v: Shape(QUESTIONS, None if v == "1.0.0" else f"<{v}") for v in VERSIONS},
    "1.0.0",
    [
        ("message", "cy", "hi"),
        ("publish", "1.1.0"),
        ("message", "cy", "Ada"),
        ("publish", "2.2.0"),
        ("message", "cy", "Bo"),
    ],
)
async def test_conversations_only_move_forward_to_a_version_that_resumes_theirs_and_keep_their_values(
    redis: Redis, tmp_path: Path, shape: dict[str, Shape], first: str, script: list[tuple[Any, ...]]
) -> None:
    """One version per conversation at all times; a move goes forward, to the routed version resuming the pinned one."""
    await redis.flushdb()
    seen: dict[str, Seen] = {}
    moves = 0
    async with running_gateway(redis, settings=admin_settings(tmp_path)) as gw:
        admin = Admin(gw.http)
        await operate(admin, shape, ("publish", first))
        for action in script:
            if action[0] != "message":
                await operate(admin, shape, action)
                continue
            user, text = action[1], action[2]
            before = await stored_session(redis, user)
            routed = (await admin.ok("GET", f"/bots/greeter/sessions/{user}"))["next_conversation"]
            r = await gw.http.post("/v1/bots/greeter/messages", json={"user": user, "text": text})
            if r.status_code == 404:  # nothing routable for a new conversation: nothing may have changed
                assert routed is None and await stored_session(redis, user) == before
                continue
            assert r.status_code == 200, r.text
            answer = r.json()
            after = await stored_session(redis, user)
            assert after is not None
            assert (after.conversation, after.version) == (answer["conversation"], answer["version"])
            assert r.headers["X-Bot-Version"] == after.version
            rows = await transcript_rows(redis, user, after.conversation)
            turn_rows = rows[-(2 + len(answer["replies"])) :] if before else rows
            moved = [row for row in turn_rows if row["role"] == "migration"]
            last = seen.get(user)
            if before is not None and before.is_live and before.conversation == after.conversation:
                assert last is not None and last.conversation == before.conversation
                assert Version(after.version) >= Version(before.version), "moved to an older version"
                if after.version != before.version:
                    moves += 1
                    meta = {v["version"]: v for v in (await admin.ok("GET", "/bots/greeter"))["versions"]}
                    assert meta[after.version]["resumes"] is not None
                    assert resumes(meta[after.version]["resumes"], before.version)
                    assert routed is not None and routed["version"] == after.version
                    assert [(m["from"], m["version"]) for m in moved] == [(before.version, after.version)]
                    if after.is_live:  # a conversation the move's turn finished keeps no state, by design
                        # Every saved value is kept; only the answer just given (to a question resumed at, which may
                        # be one asked before: resume_at q2 -> q1) may replace one.
                        kept = payload(after)
                        for name, value in payload(before).items():
                            assert kept.get(name) in (value, text), f"the saved {name} was lost"
                else:
                    assert moved == []
            else:
                assert moved == []
            seen[user] = Seen(after.conversation, after.version, payload(after))
            await counters_add_up(redis)
    messages = sum(a[0] == "message" for a in script)
    event(f"actions: {len(script) // 5 * 5}-{len(script) // 5 * 5 + 4}")
    event(f"messages: {messages // 5 * 5}-{messages // 5 * 5 + 4}")
    event(f"moves: {moves}")


async def counters_add_up(redis: Redis) -> None:
    """The per-version counters equal the live sessions per version, counted from the stored sessions."""
    live: Counter[str] = Counter()
    for user in USERS:
        session = await stored_session(redis, user)
        if session is not None and session.is_live:
            live[session.version] += 1
    counted = {k.decode(): int(v) for k, v in (await redis.hgetall(active_counts("greeter"))).items()}
    assert {v: n for v, n in counted.items() if n} == dict(live)
