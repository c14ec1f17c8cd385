"""The demo lookup the shipped zipcode bot calls: what it answers for each path."""

from __future__ import annotations

from typing import Any

import pytest

from bot_versions.examples.lookup import answer


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/zip/90210", (200, {"found": True, "zip": "90210", "town": "Beverly Hills", "state": "California"})),
        ("/zip/12345", (200, {"found": False})),
        ("/town/New%20York/buffalo", (200, {"found": True, "zip": "14202", "town": "Buffalo", "state": "New York"})),
        ("/town/Texas/Springfield", (200, {"found": False})),
        ("http://127.0.0.1:8799/zip/78701", (200, {"found": True, "zip": "78701", "town": "Austin", "state": "Texas"})),
        ("/zip", (404, {"error": "try /zip/<zip code> or /town/<state>/<town>"})),
        ("/town/Texas", (404, {"error": "try /zip/<zip code> or /town/<state>/<town>"})),
    ],
    ids=["zip", "unknown zip", "town in any case", "unknown town", "absolute URL", "no zip", "no town"],
)
def test_the_lookup_answers_known_places_and_says_found_false_for_others(path: str, expected: Any) -> None:
    """A known zip or town is found; an unknown one is 200 with found false, so the bot can say so; others 404."""
    assert answer(path) == expected
