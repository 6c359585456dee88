"""Imported tables: the key schema is stated (partition_key, sort_key), then the key rules of a
table CDK knows apply unchanged, and no key of unknown type ever reaches an error or a template.

Every table here is a real ``dynamodb.Table`` or ``Table.from_table_attributes`` object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    DynamoToMomentoSync,
    MomentoConstructError,
    MomentoOperation,
    MomentoPayload,
)

from ._support import ENDPOINT, ENV, destinations

S, N, B = (
    dynamodb.AttributeType.STRING,
    dynamodb.AttributeType.NUMBER,
    dynamodb.AttributeType.BINARY,
)
SET, DELETE, PUBLISH = (
    MomentoOperation.CACHE_SET,
    MomentoOperation.CACHE_DELETE,
    MomentoOperation.TOPIC_PUBLISH,
)
IMPORTED_NAME = "imported-table"
STREAM_ARN = f"arn:aws:dynamodb:us-west-2:123456789012:table/{IMPORTED_NAME}/stream/2026"

# name -> (partition key, sort key or None)
SCHEMAS: dict[str, tuple[dynamodb.Attribute, dynamodb.Attribute | None]] = {
    "single": (dynamodb.Attribute(name="pk", type=S), None),
    "number": (dynamodb.Attribute(name="pk", type=N), None),
    "binary": (dynamodb.Attribute(name="pk", type=B), None),
    "composite": (dynamodb.Attribute(name="pk", type=S), dynamodb.Attribute(name="sk", type=N)),
    "binary_sort": (dynamodb.Attribute(name="pk", type=S), dynamodb.Attribute(name="sk", type=B)),
}


class World:
    """One stack: for each schema a CDK table and an imported table; the three destinations."""

    def __init__(self) -> None:
        self.stack = cdk.Stack(cdk.App(), "KeySchema", env=ENV)
        self.known: dict[str, dynamodb.ITable] = {}
        self.imported: dict[str, dynamodb.ITable] = {}
        for name, (partition, sort) in SCHEMAS.items():
            self.known[name] = dynamodb.Table(
                self.stack,
                f"Known{name}",
                partition_key=partition,
                sort_key=sort,
                stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            )
            self.imported[name] = dynamodb.Table.from_table_attributes(
                self.stack, f"Imported{name}", table_name=IMPORTED_NAME, table_stream_arn=STREAM_ARN
            )
        self.calls = destinations(self.stack)
        connection = self.calls[SET].connection
        assert connection is not None
        self.connection = connection
        self.count = 0

    def _id(self) -> str:
        self.count += 1
        return f"C{self.count}"

    def stated(self, schema: str) -> dict[str, Any]:
        partition, sort = SCHEMAS[schema]
        return {"partition_key": partition, "sort_key": sort}

    def pipe(self, operation: MomentoOperation, table: Any, **props: Any) -> DynamoToMomentoPipe:
        if operation is PUBLISH:
            props.setdefault("topic_name", "t")
        return DynamoToMomentoPipe(
            self.stack,
            self._id(),
            table=table,
            destination=self.calls[operation],
            cache_name="c",
            **props,
        )

    def sync(self, table: Any, **props: Any) -> DynamoToMomentoSync:
        return DynamoToMomentoSync(
            self.stack,
            self._id(),
            table=table,
            connection=self.connection,
            endpoint=ENDPOINT,
            cache_name="c",
            **props,
        )


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    yield World()


def error_of(build: Callable[[], object]) -> MomentoConstructError:
    with pytest.raises(MomentoConstructError) as raised:
        build()
    return raised.value


def outcome(build: Callable[[], Any], describe: Callable[[Any], Any]) -> Any:
    """What a construct call comes to: its error (prop and rule), or what it built."""
    try:
        built = build()
    except MomentoConstructError as error:
        return ("error", error.prop, error.rule)
    return ("built", describe(built))


def masked(text: str) -> str:
    """Tokens and the imported table's name made equal, so two constructs compare."""
    return re.sub(r"\$\{Token\[[^\]]+\]\}", "<token>", text).replace(IMPORTED_NAME, "<token>")


def describe_pipe(pipe: DynamoToMomentoPipe) -> Any:
    target = pipe.pipe.target_parameters
    http = target.http_parameters  # type: ignore[union-attr]
    return (
        pipe.key_attribute,
        pipe.input_template,
        pipe.event_names,
        json.dumps(http.query_string_parameters, sort_keys=True),  # type: ignore[union-attr]
    )


def describe_sync(sync: DynamoToMomentoSync) -> Any:
    return (sync.key_attributes, masked(json.dumps(sync.definition, sort_keys=True)))


# --- the finding: an imported composite-key table bypassed the sort-key rule ------------------


def test_imported_composite_table_with_one_key_attribute_is_rejected(world: World) -> None:
    table = world.imported["composite"]
    # Before: a key attribute and type were enough, and the pipe deployed with items sharing
    # "pk" overwriting each other. Unstated, the schema is now required ...
    error = error_of(lambda: world.pipe(SET, table, key_attribute="pk", key_type=S))
    assert error.prop == "partition_key" and "sort_key=" in error.rule
    # ... and stated, the sort-key rule of a known table applies.
    for operation in (SET, DELETE):
        error = error_of(
            lambda op=operation: world.pipe(  # type: ignore[misc]
                op, table, key_attribute="pk", **world.stated("composite")
            )
        )
        assert (error.prop, error.value) == ("table", "key (pk, sk)")
        assert "has a sort key" in error.rule


def test_an_imported_table_without_a_stated_schema_names_the_prop_to_pass(world: World) -> None:
    table = world.imported["single"]
    for build in (
        lambda: world.pipe(SET, table),
        lambda: world.pipe(SET, table, key_attribute="pk", key_type=S),
        lambda: world.pipe(PUBLISH, table, value=MomentoPayload.from_attributes({"pk": "S"})),
        lambda: world.sync(table),
        lambda: world.sync(table, key_attributes=["pk"]),
    ):
        error = error_of(build)
        assert error.prop == "partition_key", str(error)
        assert "partition_key=dynamodb.Attribute(name=..., type=...)" in error.rule
        assert "sort_key=... if the table has one" in error.rule


def test_a_publish_that_reads_no_key_needs_no_schema(world: World) -> None:
    pipe = world.pipe(PUBLISH, world.imported["composite"])
    assert pipe.key_attribute is None


# --- a stated schema behaves exactly like a known one ----------------------------------------

PIPE_CASES: list[tuple[str, MomentoOperation, dict[str, Any]]] = [
    ("single", SET, {}),
    ("single", SET, {"key_attribute": "pk", "ttl_attribute": "ttl"}),
    ("single", DELETE, {}),
    ("single", SET, {"key_attribute": "other"}),
    ("single", SET, {"key_type": N}),
    ("number", SET, {"value": MomentoPayload.from_attributes({"pk": "N", "v": "S"})}),
    ("number", SET, {"value": MomentoPayload.from_attributes({"pk": "S"})}),
    ("binary", DELETE, {}),
    ("composite", SET, {}),
    ("composite", DELETE, {"key_attribute": "sk"}),
    ("composite", PUBLISH, {}),
    ("composite", PUBLISH, {"value": MomentoPayload.from_attributes({"pk": "S", "sk": "N"})}),
    ("composite", PUBLISH, {"key_attribute": "nope"}),
]


@pytest.mark.parametrize(("schema", "operation", "props"), PIPE_CASES)
def test_a_pipe_on_an_imported_table_with_its_schema_is_a_pipe_on_a_known_table(
    world: World, schema: str, operation: MomentoOperation, props: dict[str, Any]
) -> None:
    known = outcome(lambda: world.pipe(operation, world.known[schema], **props), describe_pipe)
    imported = outcome(
        lambda: world.pipe(operation, world.imported[schema], **world.stated(schema), **props),
        describe_pipe,
    )
    assert imported == known


SYNC_CASES: list[tuple[str, dict[str, Any]]] = [
    ("single", {}),
    ("number", {"ttl_epoch_attribute": "exp", "topic_name": "t"}),
    ("binary", {}),
    ("composite", {}),
    ("composite", {"key_attributes": ["pk"]}),
    ("composite", {"key_attributes": ["sk", "pk"]}),
    ("composite", {"value": MomentoPayload.from_attributes({"pk": "S", "sk": "N", "v": "S"})}),
    ("composite", {"value": MomentoPayload.from_attributes({"sk": "S"})}),
    ("binary_sort", {}),
]


@pytest.mark.parametrize(("schema", "props"), SYNC_CASES)
def test_a_sync_on_an_imported_table_with_its_schema_is_a_sync_on_a_known_table(
    world: World, schema: str, props: dict[str, Any]
) -> None:
    known = outcome(lambda: world.sync(world.known[schema], **props), describe_sync)
    imported = outcome(
        lambda: world.sync(world.imported[schema], **world.stated(schema), **props),
        describe_sync,
    )
    assert imported == known


# --- no key of unknown type -------------------------------------------------------------------


def test_no_wildcard_key_type_reaches_an_error_or_a_template(world: World) -> None:
    table = world.imported["composite"]
    # Before: the key types became "*", and this error said "has type '*'".
    error = error_of(
        lambda: world.sync(
            table, key_attributes=["pk", "sk"], value=MomentoPayload.from_attributes({"pk": "N"})
        )
    )
    assert error.prop == "partition_key" and "'*'" not in str(error)
    stated = world.stated("composite")
    error = error_of(
        lambda: world.sync(table, **stated, value=MomentoPayload.from_attributes({"pk": "N"}))
    )
    assert "the key attribute 'pk' has type 'S'" in error.rule
    definition = json.dumps(world.sync(table, **stated).definition)
    assert "`Keys`.`pk`.`S`" in definition and "`Keys`.`sk`.`N`" in definition
    assert ".*" not in definition


# --- the props themselves --------------------------------------------------------------------

INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "single",
        {"sort_key": dynamodb.Attribute(name="sk", type=N)},
        "sort_key",
        "needs partition_key",
    ),
    ("single", {"partition_key": "pk"}, "partition_key", "must be an aws_dynamodb.Attribute"),
    (
        "single",
        {"partition_key": dynamodb.Attribute(name="pk", type=S), "sort_key": "sk"},
        "sort_key",
        "must be an aws_dynamodb.Attribute",
    ),
    (
        "single",
        {
            "partition_key": dynamodb.Attribute(name="pk", type=S),
            "sort_key": dynamodb.Attribute(name="pk", type=N),
        },
        "sort_key",
        "must name another attribute than partition_key",
    ),
    (
        "single",
        {"partition_key": dynamodb.Attribute(name="", type=S)},
        "partition_key",
        "non-empty string",
    ),
]


@pytest.mark.parametrize(("schema", "props", "prop", "rule"), INVALID)
def test_invalid_stated_schemas_are_rejected_on_both(
    world: World, schema: str, props: dict[str, Any], prop: str, rule: str
) -> None:
    table = world.imported[schema]
    for build in (lambda: world.pipe(SET, table, **props), lambda: world.sync(table, **props)):
        error = error_of(build)
        assert error.prop == prop and rule in error.rule, str(error)


def test_a_stated_schema_must_match_a_known_one(world: World) -> None:
    table = world.known["composite"]
    # Stated exactly: accepted, nothing changes.
    assert world.sync(table, **world.stated("composite")).key_attributes == ("pk", "sk")
    for props, prop in (
        ({"partition_key": dynamodb.Attribute(name="pk", type=S)}, "sort_key"),
        ({"partition_key": dynamodb.Attribute(name="id", type=S)}, "partition_key"),
        (
            {
                "partition_key": dynamodb.Attribute(name="pk", type=S),
                "sort_key": dynamodb.Attribute(name="sk", type=S),
            },
            "sort_key",
        ),
    ):
        for build in (
            lambda p=props: world.pipe(PUBLISH, table, **p),  # type: ignore[misc]
            lambda p=props: world.sync(table, **p),  # type: ignore[misc]
        ):
            error = error_of(build)
            assert error.prop == prop, str(error)
            assert "the table's key schema is known to CDK (pk (S), sk (N))" in error.rule
