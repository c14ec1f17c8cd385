"""Outbound Bot Framework: which serviceUrls replies may go to, and the reply URLs built from their parts."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

import httpx
import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from gateway.channels.botframework import service_url_problem
from gateway.channels.botframework_connector import ServiceUrl, parse_service_url, reply_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://127.0.0.1:56789", ServiceUrl("http", "127.0.0.1", 56789, "")),
        ("http://localhost:3978/", ServiceUrl("http", "localhost", 3978, "")),
        ("HTTPS://SMBA.trafficmanager.net/amer/", ServiceUrl("https", "smba.trafficmanager.net", None, "/amer")),
        (
            "https://smba.example/teams/0a1b-2c_3~d.e/",
            ServiceUrl("https", "smba.example", None, "/teams/0a1b-2c_3~d.e"),
        ),
        ("http://[::1]:8080/x", ServiceUrl("http", "[::1]", 8080, "/x")),
    ],
)
def test_service_urls_are_read_into_parts(url: str, expected: ServiceUrl) -> None:
    """A serviceUrl is scheme, host, optional port and a plain path prefix; scheme and host compare lowercase."""
    assert parse_service_url(url) == expected


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/admin?",
        "http://127.0.0.1:9/admin?x=",
        "http://127.0.0.1:9/admin#",
        "http://127.0.0.1:9/a%3Fb",
        "http://127.0.0.1:9/%2e%2e/admin",
        "http://127.0.0.1:9/a/../admin",
        "http://127.0.0.1:9/./x",
        "http://127.0.0.1:9//x",
        "http://user@127.0.0.1:9/",
        "http://127.0.0.1:9@evil.example/",
        "http://127.0.0.1:9\\@evil.example/",
        "http://127.0.0.1:9/a\\b",
        "http://127.0.0.1:9/a b",
        "http://127.0.0.1:9/é",
        "http://127.0.0.1 :9/",
        "http://127.0.0.1:0/",
        "http://127.0.0.1:65536/",
        "http://127.0.0.1:/",
        "http://127.1/",
        "http://0x7f000001/",
        "http://2130706433/",
        "http://[::1%25lo]/",
        "http://[zz::1]/",
        "http://localhost./",
        "http://-bad-.example/",
        "http:///x",
        "//127.0.0.1/",
        "ftp://127.0.0.1/",
        " http://127.0.0.1/",
        "http://127.0.0.1/\n",
    ],
)
def test_service_urls_with_anything_else_are_refused(url: str) -> None:
    """Queries, fragments, userinfo, backslashes, percent-encoding, dot segments and odd hosts are refused."""
    with pytest.raises(ValueError, match="must"):
        parse_service_url(url)
    assert service_url_problem(url, open_endpoint=False) is not None


def test_the_open_endpoint_replies_to_loopback_hosts_only() -> None:
    """Without auth only localhost, 127.0.0.0/8 and ::1 are accepted; with auth any valid host."""
    for url in ("http://localhost:1/", "http://127.8.9.10:2", "http://[::1]:3/"):
        assert service_url_problem(url, open_endpoint=True) is None
    for url in ("https://smba.example/amer/", "http://10.0.0.1/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/"):
        assert "on this machine" in (service_url_problem(url, open_endpoint=True) or "")
        assert service_url_problem(url, open_endpoint=False) is None


# serviceUrls: plausible ones, the same with a trick put anywhere, ones built from odd parts, and any text
plausible_urls = st.builds(
    "{}://{}{}{}".format,
    st.sampled_from(["http", "https", "HTTP"]),
    st.sampled_from(["127.0.0.1", "localhost", "LocalHost", "[::1]", "127.9.9.9", "example.com"]),
    st.sampled_from(["", ":9", ":80", ":0009", ":65535"]),
    st.sampled_from(["", "/", "/amer/", "/a/b", "/~u-w.x/"]),
)
tricks = st.sampled_from([
    "?", "?x=1", "#", "#f", "?a#b", "\\", "@", "@evil.example", "evil.example@", "user:pw@", "%3F", "%23", "%2e%2e",
    "%00", " ", "\t", "\n", "/..", "/.", "//", "/../admin/v1/bots", ";x", ":", ":99999", "é", "\\@evil.example/",
])  # fmt: skip
odd_parts = st.tuples(
    st.sampled_from(["http", "https", "ftp", "javascript", ""]),
    st.sampled_from(["://", ":/", ":", "//", ":\\\\"]),
    st.sampled_from(["", "user@", "127.0.0.1@"]),
    st.sampled_from(
        ["127.0.0.1", "127.1", "0x7f000001", "2130706433", "[::ffff:127.0.0.1]", "localhost.", "", "ex%61mple.com"]
    ),
    st.sampled_from(["", ":9", ":0", ":65536", ":x", ":"]),
    st.sampled_from(["", "/", "/..", "/%2e%2e/", "/a b", "/é", "//x", "/x\\y", "/a/./b"]),
)


def with_trick(url: str, trick: str, at: int) -> str:
    at %= len(url) + 1
    return url[:at] + trick + url[at:]


service_urls = (
    plausible_urls
    | st.builds(with_trick, plausible_urls, tricks, st.integers(0, 40))
    | odd_parts.map("".join)
    | st.text(max_size=40)
)
ids = st.text(st.characters(codec="utf-8", exclude_categories=("Cc", "Cs")), min_size=1, max_size=12)


def assert_goes_where_it_says(service_url: str, sent: httpx.URL, conversation: str, activity: str) -> None:
    """The request URL is the serviceUrl as urllib reads it, plus the fixed suffix; no query, fragment or user."""
    expected = urlsplit(service_url)
    assert (expected.query, expected.fragment, expected.username) == ("", "", None)
    default = {"http": 80, "https": 443}[expected.scheme]
    assert (sent.scheme, sent.host, sent.port or default) == (
        expected.scheme,
        expected.hostname,
        expected.port or default,
    )
    assert (sent.query, sent.fragment, sent.userinfo) == (b"", "", b"")
    base, *suffix = sent.raw_path.decode().rsplit("/", 5)
    assert base == expected.path.rstrip("/")
    assert [unquote(segment) for segment in suffix] == ["v3", "conversations", conversation, "activities", activity]
    assert not {".", ".."} & set(suffix)  # a dot segment would be resolved away by the client on the way out


@settings(max_examples=400, deadline=None)
@given(url=service_urls, conversation=ids, activity=ids)
@example(url="http://127.0.0.1:9/admin/v1/bots?", conversation="c", activity="a")
@example(url="http://127.0.0.1", conversation="..", activity=".")
def test_a_reply_url_is_the_service_url_and_the_suffix_and_nothing_else(
    url: str, conversation: str, activity: str
) -> None:
    """Any serviceUrl is refused, or its reply URL has its scheme, host and port and ends in the encoded suffix."""
    try:
        service = parse_service_url(url)
    except ValueError:
        event("refused")
        return
    event("accepted")
    assert_goes_where_it_says(url, httpx.URL(reply_url(service, conversation, activity)), conversation, activity)
