"""One TTL rule for DynamoToMomentoPipe and DynamoToMomentoSync.

The same props are checked by the same function and mean the same thing on both; where a pipe
cannot do what the sync does (its templates have no arithmetic), the prop it would ignore is
rejected with a message that says what to use instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import aws_cdk as cdk
import pytest

from momento_eventbridge_constructs import DynamoToMomentoSync, MomentoConstructError
from momento_eventbridge_constructs._asl import every_state

from ._support import ENDPOINT, World


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    yield World("Ttl")


def set_state(sync: DynamoToMomentoSync) -> dict[str, Any]:
    """The sync's Set task (inside the batch's Map, or at the top with batch_size 1)."""
    (state,) = (state for name, state in every_state(sync.definition) if name == "Set")
    return state


def sync(world: World, **props: Any) -> DynamoToMomentoSync:
    assert world.connection is not None
    return DynamoToMomentoSync(
        world.stack,
        next(world.ids),
        table=world.table,
        connection=world.connection,
        endpoint=ENDPOINT,
        cache_name="cache",
        **props,
    )


def error_of(build: Callable[[], object]) -> MomentoConstructError:
    with pytest.raises(MomentoConstructError) as raised:
        build()
    return raised.value


def test_max_ttl_with_ttl_attribute_is_rejected_on_the_pipe_and_applied_by_the_sync(
    world: World,
) -> None:
    props = {"ttl_attribute": "TTL", "max_ttl": cdk.Duration.hours(2)}
    error = error_of(lambda: world.pipe(**props))
    assert (error.prop, error.value) == ("max_ttl", "2 hours")
    assert "has no effect with ttl_attribute on DynamoToMomentoPipe" in error.rule
    assert "use DynamoToMomentoSync" in error.rule and "fixed ttl" in error.rule
    # The sync takes the same props: it cuts the attribute to max_ttl and caches an item
    # without it for max_ttl (run on records in test_sync and tests/local/test_local_ttl.py).
    query = set_state(sync(world, **props))["Arguments"]["QueryParameters"]
    assert "7200" in query["ttl_seconds"]


def test_the_pipe_sends_its_ttl_attribute_as_it_is(world: World) -> None:
    pipe = world.pipe(ttl_attribute="TTL")
    query = pipe.pipe.target_parameters.http_parameters.query_string_parameters  # type: ignore[union-attr]
    assert query["ttl_seconds"] == "$.dynamodb.NewImage.TTL.N"


INVALID = [
    ({"ttl": cdk.Duration.minutes(5), "ttl_attribute": "TTL"}, "ttl_attribute"),
    ({"max_ttl": cdk.Duration.seconds(0)}, "max_ttl"),
    ({"ttl": cdk.Duration.hours(25)}, "ttl"),
    ({"ttl": cdk.Duration.hours(3), "max_ttl": cdk.Duration.hours(2)}, "ttl"),
    ({"ttl": cdk.Duration.millis(1500)}, "ttl"),
    ({"ttl": 60}, "ttl"),
    ({"ttl_attribute": "time to live"}, "ttl_attribute"),
]


@pytest.mark.parametrize(("props", "prop"), INVALID, ids=[p for _, p in INVALID])
def test_the_same_props_get_the_same_error_on_both(
    world: World, props: dict[str, Any], prop: str
) -> None:
    on_pipe = error_of(lambda: world.pipe(**props))
    on_sync = error_of(lambda: sync(world, **props))
    assert (on_pipe.prop, on_pipe.value, on_pipe.rule) == (
        on_sync.prop,
        on_sync.value,
        on_sync.rule,
    )
    assert on_pipe.prop == prop


def test_a_fixed_ttl_and_its_cap_mean_the_same_on_both(world: World) -> None:
    props = {"ttl": cdk.Duration.hours(48), "max_ttl": cdk.Duration.days(7)}
    pipe = world.pipe(**props)
    query = pipe.pipe.target_parameters.http_parameters.query_string_parameters  # type: ignore[union-attr]
    assert query["ttl_seconds"] == "172800"
    assert set_state(sync(world, **props))["Arguments"]["QueryParameters"]["ttl_seconds"] == (
        "{% $string(172800) %}"
    )
    # Neither cuts a given ttl silently: above max_ttl is an error on both.
    too_long = {"ttl": cdk.Duration.days(8), "max_ttl": cdk.Duration.days(7)}
    for error in (
        error_of(lambda: world.pipe(**too_long)),
        error_of(lambda: sync(world, **too_long)),
    ):
        assert re.search(r"to 604800 seconds \(max_ttl\)", error.rule), str(error)
