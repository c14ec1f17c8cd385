"""`resumes`: which specifiers a version may declare, and which pinned versions they cover."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from packaging.version import Version

from bot_versions.resumes import resumes, resumes_problem


@pytest.mark.parametrize(
    ("text", "version"),
    [
        (">=2.0,<2.1", "2.1.0"),
        ("<2.1", "2.1.0"),
        ("==2.0.3", "2.1.0"),
        ("~=2.0.0", "2.1.0"),
        ("==2.0.*", "2.1.0"),
        (">=2.0, <2.1.0", "2.1.0"),
        ("<2.1.0", "2.1.0"),
        (">=2.0,<2.1", "2.1.0rc1"),  # `<2.1` leaves out 2.1's own pre-releases
        ("<2.1.0rc1", "2.1.0rc1"),
        ("<2.1.0.post1,!=2.1.0", "2.1.0.post1"),
        (">=1.0,<2", "2.0"),
        ("<3", "1!1.0"),  # a later epoch is newer than every version without one
    ],
)
def test_a_specifier_of_older_versions_only_is_valid(text: str, version: str) -> None:
    """A specifier that covers only versions older than its own is accepted."""
    assert resumes_problem(text, version) is None


@pytest.mark.parametrize(
    ("text", "version", "message"),
    [
        ("2.0", "2.1.0", "is not a version specifier"),
        ("> = 2.0", "2.1.0", "is not a version specifier"),
        (">=2.0;<2.1", "2.1.0", "is not a version specifier"),
        ("latest", "2.1.0", "is not a version specifier"),
        ("", "2.1.0", "must be a version specifier as a string"),
        ("   ", "2.1.0", "must be a version specifier as a string"),
        (None, "2.1.0", "must be a version specifier as a string"),
        (2.0, "2.1.0", "must be a version specifier as a string"),
        (["<2.1"], "2.1.0", "must be a version specifier as a string"),
        (">=2.0", "2.1.0", "includes 2.1.0, which is not older than 2.1.0"),
        ("<=2.1.0", "2.1.0", "includes 2.1.0,"),
        ("==2.1.*", "2.1.0", "includes 2.1.0,"),
        ("~=2.0", "2.1.0", "includes 2.1.0,"),
        ("!=1.0", "2.1.0", "includes 2.1.0,"),
        (">2.1.0", "2.1.0", "which is not older than 2.1.0"),
        ("==2.1.5", "2.1.0", "includes 2.1.5,"),
        (">=2.1.3,<2.1.4", "2.1.0", "includes 2.1.3,"),
        ("==3.0.0", "2.1.0", "which is not older than 2.1.0"),
        (">=2.0,<2.1,!=2.0.5", "2.0.7", "includes 2.0.7,"),
        ("==2.1.0.post1", "2.1.0", "includes 2.1.0.post1,"),
        ("<=2.1.0", "2.1.0rc1", "includes 2.1.0rc1,"),
        ("==2.1.0", "2.1.0rc1", "includes 2.1.0,"),
        ("==2.1.0rc2", "2.1.0rc1", "includes 2.1.0rc2,"),
        (">2.1.0,<2.1.1", "2.1.0", "which is not older than 2.1.0"),
    ],
)
def test_a_bad_specifier_or_one_reaching_its_own_version_or_a_newer_one_is_a_problem(
    text: Any, version: str, message: str
) -> None:
    """Unparseable specifiers, and any that covers the version itself or a newer one, are refused with a reason."""
    problem = resumes_problem(text, version)
    assert problem is not None and message in problem, problem


def test_a_problem_says_how_to_bound_the_specifier_from_above() -> None:
    """The message names the fix: an upper bound below the version."""
    assert "bound it from above, e.g. '<2.1.0'" in str(resumes_problem(">=2.0", "2.1.0"))


def test_a_bad_version_is_left_to_the_version_check() -> None:
    """With the version itself invalid, `resumes` is not blamed for it."""
    assert resumes_problem(">=2.0,<2.1", "not-a-version") is None


@pytest.mark.parametrize(
    ("text", "pinned", "expected"),
    [
        (">=2.0,<2.1", "2.0.0", True),
        (">=2.0,<2.1", "2.0.9", True),
        (">=2.0,<2.1", "2.0", True),
        (">=2.0,<2.1", "2.0.1rc1", True),  # a pre-release counts as the version it is
        (">=2.0,<2.1", "2.0.0.dev3", False),  # below 2.0's final release
        (">=2.0,<2.1", "2.1.0", False),
        (">=2.0,<2.1", "2.1.0rc1", False),  # `<2.1` excludes 2.1's own pre-releases
        (">=2.0,<2.1", "1.9.9", False),
        ("==2.0.0rc1", "2.0.0rc1", True),
        ("<2.1", "0.0.1", True),
        ("==2.0.*", "2.0.3.post2", True),
        ("!=2.0.3,<2.1", "2.0.3", False),
        ("not a specifier", "2.0.0", False),
        (">=2.0,<2.1", "not a version", False),
    ],
)
def test_resumes_covers_exactly_the_pinned_versions_its_specifier_contains(
    text: str, pinned: str, expected: bool
) -> None:
    """Containment with pre-releases counted; anything unparseable covers nothing."""
    assert resumes(text, pinned) is expected


release = st.tuples(*[st.integers(0, 3)] * 3).map(lambda t: ".".join(map(str, t)))
suffix = st.sampled_from(["", "rc1", "rc2", ".post1", ".dev0", "a1", ".1"])
versions = st.builds(lambda r, s: r + s, release, suffix)
one_specifier = st.builds(
    lambda op, v, star: f"{op}{v}.*" if star and op in ("==", "!=") else f"{op}{v}",
    st.sampled_from(["==", "!=", "<", "<=", ">", ">=", "~="]),
    release | versions,
    st.booleans(),
)
specifier_sets = st.lists(one_specifier, min_size=1, max_size=3).map(",".join)


@settings(max_examples=500, deadline=None)
@given(specifier_sets, versions, st.lists(versions, min_size=1, max_size=30))
def test_an_accepted_specifier_contains_no_version_at_or_above_its_own(
    text: str, version: str, others: list[str]
) -> None:
    """Whatever versions exist, one a valid `resumes` of `version` covers is older than `version`."""
    assume(resumes_problem(text, version) is None)
    assert not [v for v in [version, *others] if Version(v) >= Version(version) and resumes(text, v)]
