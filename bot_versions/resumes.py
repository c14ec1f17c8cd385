"""`resumes`: the older versions whose conversations under way a version can take over (a packaging SpecifierSet).

`resumes: ">=2.0,<2.1"` on 2.1.0 says: a conversation pinned to any 2.0.x may move to 2.1.0 at its next message.
Pre-releases count as the versions they are (2.0.1rc1 is inside `>=2.0,<2.1`). A version never resumes itself or
anything newer: that would move conversations backwards or sideways, so such a specifier is refused when stored.
"""

from __future__ import annotations

from functools import lru_cache

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version


@lru_cache(maxsize=1024)
def specifier(text: str) -> SpecifierSet:
    """The parsed set (cached: a bot's few specifiers are read on every migration check); ValueError if invalid."""
    try:
        return SpecifierSet(text)
    except InvalidSpecifier as exc:
        raise ValueError(str(exc)) from None


def resumes(text: str, pinned: str) -> bool:
    """Whether a version declaring `resumes: text` may take over a conversation pinned to `pinned`."""
    try:
        return specifier(text).contains(Version(pinned), prereleases=True)
    except (ValueError, InvalidVersion):
        return False


def resumes_problem(text: object, version: str) -> str | None:
    """Why `text` cannot be the `resumes` of `version`, or None."""
    if not isinstance(text, str) or not text.strip():
        return 'must be a version specifier as a string, e.g. ">=2.0,<2.1"'
    try:
        spec = specifier(text)
    except ValueError as exc:
        return f"is not a version specifier ({exc}); write e.g. '>=2.0,<2.1'"
    try:
        own = Version(version)
    except InvalidVersion:
        return None  # the version itself is reported wrong elsewhere
    caught = sorted(v for v in _candidates(own, spec) if v >= own and spec.contains(v, prereleases=True))
    if caught:
        return (
            f"includes {caught[0]}, which is not older than {version}: a version only resumes older ones; "
            f"bound it from above, e.g. '<{version}'"
        )
    return None


def _candidates(own: Version, spec: SpecifierSet) -> set[Version]:
    """Versions a specifier reaching `own` or anything newer is bound to contain one of.

    A specifier set is an interval with holes (`!=`, `==x.*`). Its part at or above `own` is empty or holds a version
    at one of its ends: `own` itself or just above it, or a version the specifier names or just above that, or one
    past every bound. Several kinds of "just above" are tried, so a hole cannot hide all of them.
    """
    bases = [own, *(v for v in (_named(s.version) for s in spec) if v is not None)]
    found = set(bases)  # first, so that a version is reported as the specifier spells it (2.2.0, not 2.2)
    for base in bases:
        found.update(_just_above(base))
    return found


def _named(text: str) -> Version | None:
    """The version a specifier names (`2.1.*` names 2.1); None for arbitrary equality's free text."""
    try:
        return Version(text.removesuffix(".*"))
    except InvalidVersion:
        return None


def _just_above(base: Version) -> list[Version]:
    major, minor, micro = (*base.release, 0, 0)[:3]
    epoch = f"{base.epoch}!" if base.epoch else ""
    texts = [
        base.base_version,  # the final release of a pre-release
        f"{base.base_version}.post{(base.post or 0) + 1}",
        f"{base.base_version}.1",
        f"{epoch}{major}.{minor}.{micro + 1}",
        f"{epoch}{major}.{minor + 1}",
        f"{epoch}{major + 1}",
        f"{epoch}{major + 1000}",
    ]
    if base.pre is not None:
        texts.append(f"{base.base_version}{base.pre[0]}{base.pre[1] + 1}")
    return [Version(t) for t in texts]
