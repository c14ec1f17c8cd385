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
        own = Version(version)
    except ValueError as exc:
        return f"is not a version specifier ({exc}); write e.g. '>=2.0,<2.1'"
    except InvalidVersion:
        return None  # the version itself is reported wrong elsewhere
    newer = _newer_than(own)
    caught = [str(v) for v in (own, *newer) if spec.contains(v, prereleases=True)]
    if caught:
        return (
            f"includes {caught[0]}, which is not older than {version}: a version only resumes older ones; "
            f"bound it from above, e.g. '<{version}'"
        )
    return None


def _newer_than(own: Version) -> list[Version]:
    """Versions above `own` a specifier that fails to bound itself from above would include."""
    major, minor, micro = (*own.release, 0, 0)[:3]
    candidates = [
        f"{major}.{minor}.{micro}.1",
        f"{major}.{minor}.{micro + 1}",
        f"{major}.{minor + 1}",
        f"{major + 1}",
        f"{major + 1000}",
    ]
    return [v for v in map(Version, candidates) if v > own]
