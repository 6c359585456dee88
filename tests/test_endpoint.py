"""MomentoEndpoint: region table and URL validation (pure Python, no synth)."""

from __future__ import annotations

import pytest

from momento_eventbridge_constructs import MomentoConstructError, MomentoEndpoint

CELLS = {
    "us-west-2": "cell-4-us-west-2-1",
    "us-east-1": "cell-us-east-1-1",
    "us-east-2": "cell-1-us-east-2-1",
    "eu-west-1": "cell-1-eu-west-1-1",
    "eu-west-2": "cell-1-eu-west-2-1",
    "eu-central-1": "cell-1-eu-central-1-1",
    "eu-north-1": "cell-1-eu-north-1-1",
    "ap-south-1": "cell-1-ap-south-1-1",
    "ap-northeast-1": "cell-ap-northeast-1-1",
    "ap-southeast-1": "cell-1-ap-southeast-1-1",
    "ap-southeast-2": "cell-1-ap-southeast-2-1",
}


@pytest.mark.parametrize(("region", "cell"), sorted(CELLS.items()))
def test_for_region_maps_every_documented_region(region: str, cell: str) -> None:
    assert MomentoEndpoint.for_region(region) == f"https://api.cache.{cell}.prod.a.momentohq.com"


def test_regions_lists_exactly_the_table() -> None:
    assert MomentoEndpoint.regions() == tuple(sorted(CELLS))


def test_for_region_unknown_region_names_it_and_the_known_ones() -> None:
    with pytest.raises(MomentoConstructError) as raised:
        MomentoEndpoint.for_region("mars-north-1")
    message = str(raised.value)
    assert "region='mars-north-1'" in message
    assert "no known Momento cell" in message and "us-west-2" in message
    assert "from_url" in message


def test_for_region_rejects_an_unresolved_region_token() -> None:
    with pytest.raises(MomentoConstructError, match="concrete AWS region"):
        MomentoEndpoint.for_region("${Token[AWS.Region.12]}")


def test_from_url_returns_a_valid_url_unchanged() -> None:
    url = "https://api.cache.cell-4-us-west-2-1.prod.a.momentohq.com"
    assert MomentoEndpoint.from_url(url) == url
    assert MomentoEndpoint.from_url("https://localhost:8443") == "https://localhost:8443"


def test_from_url_passes_tokens_through() -> None:
    token = "${Token[TOKEN.42]}"
    assert MomentoEndpoint.from_url(token) == token


@pytest.mark.parametrize(
    ("url", "rule"),
    [
        ("", "non-empty"),
        ("http://api.cache.example.com", "must use https"),
        ("api.cache.example.com", "must use https"),
        ("https://api.cache.example.com/", "must not end with '/'"),
        ("https://api.cache.example.com/cache", "must not have a path"),
        ("https://api.cache.example.com?x=1", "must not have a query"),
        ("https://api.cache.example.com#top", "must not have a query or fragment"),
        ("https://user:pw@api.cache.example.com", "must not carry credentials"),
        ("https://", "valid host name"),
        ("https://bad_host!.com", "valid host name"),
        ("https://api.cache.example.com:99999", "not a valid URL"),
        (" https://api.cache.example.com", "white space"),
    ],
)
def test_from_url_rejects(url: str, rule: str) -> None:
    with pytest.raises(MomentoConstructError) as raised:
        MomentoEndpoint.from_url(url)
    assert rule in str(raised.value)
    assert raised.value.prop == "endpoint"
    assert repr(url) in str(raised.value)
