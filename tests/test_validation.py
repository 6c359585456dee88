"""Every invalid prop raises MomentoConstructError naming the prop, the value and the rule.

All checks run before any resource is created, so one stack serves every case and nothing is
synthesized.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_logs as logs
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_sqs as sqs

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    DynamoToMomentoSync,
    MomentoApiDestination,
    MomentoConnection,
    MomentoConstructError,
    MomentoOperation,
    MomentoPayload,
)

from ._support import ENDPOINT, World

SET, DELETE, PUBLISH = (
    MomentoOperation.CACHE_SET,
    MomentoOperation.CACHE_DELETE,
    MomentoOperation.TOPIC_PUBLISH,
)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    yield World("Validation")


def rejects(build: Callable[[], object], prop: str, value: str, rule: str) -> MomentoConstructError:
    with pytest.raises(MomentoConstructError) as raised:
        build()
    error = raised.value
    assert error.prop == prop, str(error)
    assert value in error.value, str(error)
    assert re.search(rule, error.rule), str(error)
    # The message reads on its own: construct, prop, value and rule.
    assert f"{prop}=" in str(error) and rule.replace("\\", "")[:10] in str(error).replace("\\", "")
    return error


# --- DynamoToMomentoPipe --------------------------------------------------------------------


def test_error_names_the_construct(world: World) -> None:
    error = rejects(lambda: world.pipe(cache_name=""), "cache_name", "''", "must not be empty")
    assert str(error).startswith("DynamoToMomentoPipe 'C")


def test_table_must_be_a_table(world: World) -> None:
    rejects(lambda: world.pipe(table="weather"), "table", "'weather'", "ITable with a stream")


def test_destination_must_be_a_momento_destination(world: World) -> None:
    rejects(
        lambda: world.pipe(destination=world.connection),
        "destination",
        "MomentoConnection",
        "must be a MomentoApiDestination",
    )


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("", "must not be empty"),
        ("my cache", "URL path segment"),
        ("cache/with/slash", "URL path segment"),
        ("c" * 256, "at most 255"),
    ],
)
def test_cache_name_rules(world: World, name: str, rule: str) -> None:
    rejects(lambda: world.pipe(cache_name=name), "cache_name", repr(name)[:20], rule)


def test_cache_name_token_passes(world: World) -> None:
    name = cdk.CfnParameter(world.stack, next(world.ids)).value_as_string
    assert world.pipe(cache_name=name).cache_name == name


def test_topic_name_required_for_publish(world: World) -> None:
    rejects(
        lambda: world.pipe(PUBLISH, topic_name=None),
        "topic_name",
        "None",
        "required when the destination's operation is TOPIC_PUBLISH",
    )


def test_topic_name_rejected_for_cache_calls(world: World) -> None:
    rejects(
        lambda: world.pipe(DELETE, topic_name="t"),
        "topic_name",
        "'t'",
        "applies only to TOPIC_PUBLISH; the destination makes CACHE_DELETE",
    )


def test_topic_name_must_be_url_safe(world: World) -> None:
    rejects(
        lambda: world.pipe(PUBLISH, topic_name="a b"),
        "topic_name",
        "'a b'",
        "Momento topic name is sent as a URL path segment",
    )


@pytest.mark.parametrize(
    ("operation", "names", "rule"),
    [
        (SET, "INSERT", "must be a list of event names"),
        (SET, [], "at least one event"),
        (SET, ["INSERT", "UPDATE"], "'UPDATE' is not a stream event"),
        (SET, ["INSERT", "INSERT"], "must not repeat"),
        (SET, ["INSERT", "REMOVE"], "REMOVE records have no new image"),
        (DELETE, ["MODIFY", "REMOVE"], "CACHE_DELETE accepts only REMOVE"),
    ],
)
def test_event_name_rules(world: World, operation: MomentoOperation, names: Any, rule: str) -> None:
    rejects(
        lambda: world.pipe(operation, event_names=names),
        "event_names",
        repr(names)[:8],
        re.escape(rule),
    )


@pytest.mark.parametrize("prop", ["ttl", "max_ttl"])
def test_ttl_only_for_cache_set(world: World, prop: str) -> None:
    rejects(
        lambda: world.pipe(DELETE, **{prop: cdk.Duration.minutes(5)}),
        prop,
        "5 minutes",
        "applies only to CACHE_SET",
    )


def test_ttl_attribute_only_for_cache_set(world: World) -> None:
    rejects(
        lambda: world.pipe(PUBLISH, ttl_attribute="TTL"),
        "ttl_attribute",
        "TTL",
        "applies only to CACHE_SET",
    )


def test_ttl_and_ttl_attribute_are_exclusive(world: World) -> None:
    rejects(
        lambda: world.pipe(ttl=cdk.Duration.minutes(5), ttl_attribute="TTL"),
        "ttl_attribute",
        "'TTL'",
        "ttl and ttl_attribute are exclusive",
    )


@pytest.mark.parametrize(
    ("ttl", "shown"),
    [(cdk.Duration.seconds(0), "0 seconds"), (cdk.Duration.hours(25), "90000 seconds")],
)
def test_ttl_range(world: World, ttl: cdk.Duration, shown: str) -> None:
    rejects(
        lambda: world.pipe(ttl=ttl),
        "ttl",
        shown,
        "from 1 second to 86400 seconds \\(Momento's 24-hour limit",
    )


def test_max_ttl_raises_the_cap(world: World) -> None:
    pipe = world.pipe(ttl=cdk.Duration.hours(48), max_ttl=cdk.Duration.days(7))
    assert pipe.pipe is not None
    rejects(
        lambda: world.pipe(ttl=cdk.Duration.days(8), max_ttl=cdk.Duration.days(7)),
        "ttl",
        "691200 seconds",
        "to 604800 seconds \\(max_ttl\\)",
    )


def test_max_ttl_must_be_positive(world: World) -> None:
    rejects(
        lambda: world.pipe(max_ttl=cdk.Duration.seconds(0)),
        "max_ttl",
        "0 seconds",
        "at least 1 second",
    )


def test_ttl_must_be_whole_seconds(world: World) -> None:
    rejects(
        lambda: world.pipe(ttl=cdk.Duration.millis(1500)),
        "ttl",
        "1 second 500 millis",
        "whole number of seconds",
    )


def test_ttl_must_not_be_a_token(world: World) -> None:
    seconds = cdk.CfnParameter(world.stack, next(world.ids), type="Number").value_as_number
    rejects(
        lambda: world.pipe(ttl=cdk.Duration.seconds(seconds)), "ttl", "<token>", "concrete duration"
    )


def test_ttl_must_be_a_duration(world: World) -> None:
    rejects(lambda: world.pipe(ttl=60), "ttl", "60", "must be an aws_cdk.Duration")


def test_ttl_attribute_name(world: World) -> None:
    rejects(
        lambda: world.pipe(ttl_attribute="time to live"),
        "ttl_attribute",
        "'time to live'",
        "letters, digits",
    )


def test_ttl_attribute_needs_new_images(world: World) -> None:
    table = world.table_with(stream=dynamodb.StreamViewType.OLD_IMAGE)
    rejects(
        lambda: world.pipe(
            table=table, value=MomentoPayload.from_template("<$.eventName>"), ttl_attribute="TTL"
        ),
        "ttl_attribute",
        "$.dynamodb.NewImage.TTL.N",
        "stream view type is OLD_IMAGE",
    )


def test_value_rejected_for_cache_delete(world: World) -> None:
    rejects(
        lambda: world.pipe(DELETE, value=MomentoPayload.new_image()),
        "value",
        "new_image",
        "CACHE_DELETE sends no body",
    )


def test_value_must_be_a_payload(world: World) -> None:
    rejects(lambda: world.pipe(value='{"a": 1}'), "value", '{"a": 1}', "must be a MomentoPayload")


def test_value_reading_new_image_on_a_pipe_with_remove(world: World) -> None:
    rejects(
        lambda: world.pipe(PUBLISH, value=MomentoPayload.from_attributes({"MaxTemp": "N"})),
        "value",
        "$.dynamodb.NewImage.MaxTemp.N",
        "REMOVE records have no NewImage",
    )


def test_value_from_attributes_key_type_mismatch(world: World) -> None:
    rejects(
        lambda: world.pipe(value=MomentoPayload.from_attributes({"Location": "N"})),
        "value attributes['Location']",
        "'N'",
        "has type 'S'",
    )


@pytest.mark.parametrize(
    ("attempts", "rule"), [(-1, "from 0 to 10000"), (10001, "from 0"), (True, "whole number")]
)
def test_max_retry_attempts(world: World, attempts: object, rule: str) -> None:
    rejects(
        lambda: world.pipe(max_retry_attempts=attempts), "max_retry_attempts", repr(attempts), rule
    )


@pytest.mark.parametrize(
    ("age", "shown"),
    [(cdk.Duration.seconds(30), "30 seconds"), (cdk.Duration.days(2), "172800 seconds")],
)
def test_max_record_age(world: World, age: cdk.Duration, shown: str) -> None:
    rejects(
        lambda: world.pipe(max_record_age=age), "max_record_age", shown, "from 1 minute to 24 hours"
    )


def test_starting_position(world: World) -> None:
    rejects(
        lambda: world.pipe(starting_position="AT_TIMESTAMP"),
        "starting_position",
        "'AT_TIMESTAMP'",
        "one of StartingPosition.LATEST, StartingPosition.TRIM_HORIZON \\(or its string\\)",
    )


def test_log_level(world: World) -> None:
    rejects(
        lambda: world.pipe(log_level="DEBUG"),
        "log_level",
        "'DEBUG'",
        "one of LogLevel.OFF, LogLevel.ERROR, LogLevel.INFO, LogLevel.TRACE",
    )


def test_include_execution_data_is_a_bool(world: World) -> None:
    rejects(
        lambda: world.pipe(include_execution_data="ALL"),
        "include_execution_data",
        "'ALL'",
        "True or False",
    )


def test_include_execution_data_needs_logging(world: World) -> None:
    rejects(
        lambda: world.pipe(log_level="OFF", include_execution_data=True),
        "include_execution_data",
        "True",
        "unused when log_level is 'OFF'",
    )


def test_log_group_with_logging_off(world: World) -> None:
    group = logs.LogGroup.from_log_group_name(world.stack, next(world.ids), "g")
    rejects(
        lambda: world.pipe(log_level="OFF", log_group=group),
        "log_group",
        "",
        "unused when log_level is 'OFF'",
    )


def test_log_retention_with_a_given_log_group(world: World) -> None:
    group = logs.LogGroup.from_log_group_name(world.stack, next(world.ids), "g")
    rejects(
        lambda: world.pipe(log_group=group, log_retention=logs.RetentionDays.ONE_DAY),
        "log_retention",
        "ONE_DAY",
        "applies only to the log group the construct creates",
    )


def test_log_retention_type(world: World) -> None:
    rejects(
        lambda: world.pipe(log_retention=30),
        "log_retention",
        "30",
        "must be an aws_logs.RetentionDays",
    )


@pytest.mark.parametrize("name", ["", "has space", "x" * 65])
def test_pipe_name(world: World, name: str) -> None:
    rejects(lambda: world.pipe(pipe_name=name), "pipe_name", repr(name)[:10], "1 to 64")


def test_description_is_one_line(world: World) -> None:
    rejects(
        lambda: world.pipe(description="two\nlines"), "description", "two\\nlines", "single line"
    )


def test_pipe_description_length(world: World) -> None:
    rejects(lambda: world.pipe(description="d" * 513), "description", "ddd", "at most 512")


def test_create_alarms_is_a_bool(world: World) -> None:
    rejects(lambda: world.pipe(create_alarms="yes"), "create_alarms", "'yes'", "True or False")


def test_alarm_action_without_alarms(world: World) -> None:
    rejects(
        lambda: world.pipe(create_alarms=False, alarm_action=object()),
        "alarm_action",
        "object",
        "unused when create_alarms is False",
    )


def test_table_without_stream(world: World) -> None:
    table = world.table_with(stream=None)
    rejects(lambda: world.pipe(table=table), "table", "Validation/C", "has no stream")


def test_table_v2_without_stream(world: World) -> None:
    table = dynamodb.TableV2(
        world.stack,
        next(world.ids),
        partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
    )
    rejects(lambda: world.pipe(table=table), "table", "Validation/C", "has no stream")


def test_keys_only_stream_for_cache_set(world: World) -> None:
    table = world.table_with(stream=dynamodb.StreamViewType.KEYS_ONLY)
    rejects(
        lambda: world.pipe(table=table),
        "value",
        "$.dynamodb.NewImage",
        "stream view type is KEYS_ONLY, which does not record NewImage",
    )


def test_table_v2_keys_only_stream_is_seen(world: World) -> None:
    table = dynamodb.TableV2(
        world.stack,
        next(world.ids),
        partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
        dynamo_stream=dynamodb.StreamViewType.KEYS_ONLY,
    )
    rejects(
        lambda: world.pipe(table=table),
        "value",
        "$.dynamodb.NewImage",
        "stream view type is KEYS_ONLY",
    )


def test_imported_table_without_key_schema(world: World) -> None:
    table = dynamodb.Table.from_table_attributes(
        world.stack,
        next(world.ids),
        table_name="t",
        table_stream_arn="arn:aws:dynamodb:us-west-2:123456789012:table/t/stream/2026",
    )
    # A key attribute and type alone cannot show the table has no sort key.
    for key in ({}, {"key_attribute": "id", "key_type": dynamodb.AttributeType.STRING}):
        rejects(
            lambda key=key: world.pipe(table=table, **key),  # type: ignore[misc]
            "partition_key",
            "None",
            "is required: the table is imported, so CDK does not know its key schema",
        )


def test_imported_table_without_stream(world: World) -> None:
    table = dynamodb.Table.from_table_name(world.stack, next(world.ids), "t")
    rejects(
        lambda: world.pipe(table=table, key_attribute="id", key_type=dynamodb.AttributeType.STRING),
        "table",
        "Validation/C",
        "has no stream",
    )


def test_key_attribute_must_be_a_key(world: World) -> None:
    rejects(
        lambda: world.pipe(key_attribute="MaxTemp"),
        "key_attribute",
        "'MaxTemp'",
        "must be a key attribute of the table \\(Location\\)",
    )


def test_key_type_must_match_the_schema(world: World) -> None:
    rejects(
        lambda: world.pipe(key_type=dynamodb.AttributeType.NUMBER),
        "key_type",
        "NUMBER",
        "the table defines 'Location' as 'S'",
    )


def test_key_type_must_be_an_attribute_type(world: World) -> None:
    rejects(
        lambda: world.pipe(key_type="S"), "key_type", "'S'", "must be an aws_dynamodb.AttributeType"
    )


def test_binary_key_is_rejected(world: World) -> None:
    table = world.table_with(
        partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.BINARY)
    )
    rejects(lambda: world.pipe(DELETE, table=table), "key_type", "BINARY", "not URL-safe")


def test_sort_key_table_for_cache_calls(world: World) -> None:
    table = world.table_with(
        sort_key=dynamodb.Attribute(name="Day", type=dynamodb.AttributeType.STRING)
    )
    rejects(
        lambda: world.pipe(DELETE, table=table), "table", "key (Location, Day)", "has a sort key"
    )


def test_sort_key_table_is_fine_for_change_notices(world: World) -> None:
    table = world.table_with(
        sort_key=dynamodb.Attribute(name="Day", type=dynamodb.AttributeType.STRING)
    )
    assert world.pipe(PUBLISH, table=table).key_attribute is None


def test_a_consistent_key_a_publish_does_not_read_is_accepted(world: World) -> None:
    pipe = world.pipe(PUBLISH, key_attribute="Location", key_type=dynamodb.AttributeType.STRING)
    assert pipe.key_attribute is None  # change_notice() does not read the key
    assert "key" not in (pipe.pipe.target_parameters.http_parameters.query_string_parameters or {})


def test_a_key_a_publish_does_not_read_is_still_checked(world: World) -> None:
    rejects(
        lambda: world.pipe(PUBLISH, key_attribute="Nope"),
        "key_attribute",
        "'Nope'",
        "must be a key attribute of the table",
    )


def test_fifo_dead_letter_queue(world: World) -> None:
    queue = sqs.Queue(world.stack, next(world.ids), fifo=True)
    rejects(
        lambda: world.pipe(dead_letter_queue=queue),
        "dead_letter_queue",
        "Validation/C",
        "must be a standard queue",
    )


def test_dead_letter_queue_type(world: World) -> None:
    rejects(
        lambda: world.pipe(dead_letter_queue="arn:aws:sqs:x"),
        "dead_letter_queue",
        "arn:aws:sqs:x",
        "must be an aws_sqs.IQueue",
    )


def test_role_type(world: World) -> None:
    rejects(
        lambda: world.pipe(role="arn:aws:iam::1:role/x"),
        "role",
        "role/x",
        "must be an aws_iam.IRole",
    )


def test_log_group_type(world: World) -> None:
    rejects(
        lambda: world.pipe(log_group="group"),
        "log_group",
        "'group'",
        "must be an aws_logs.ILogGroup",
    )


# --- MomentoConnection ----------------------------------------------------------------------


def secret(world: World) -> secretsmanager.ISecret:
    return secretsmanager.Secret.from_secret_name_v2(world.stack, next(world.ids), "k")


def test_connection_needs_a_secret_and_never_echoes_a_key(world: World) -> None:
    error = rejects(
        lambda: MomentoConnection(world.stack, next(world.ids), api_key_secret="my-key"),
        "api_key_secret",
        "<str, value not shown>",
        "must be an aws_secretsmanager.ISecret",
    )
    assert "my-key" not in str(error)


@pytest.mark.parametrize("field", ["", "a:b", "a}b", "a{b", "a\nb"])
def test_connection_secret_field(world: World, field: str) -> None:
    rejects(
        lambda: MomentoConnection(
            world.stack, next(world.ids), api_key_secret=secret(world), api_key_secret_field=field
        ),
        "api_key_secret_field",
        repr(field),
        "without ':'",
    )


def test_connection_name(world: World) -> None:
    rejects(
        lambda: MomentoConnection(
            world.stack, next(world.ids), api_key_secret=secret(world), connection_name="bad name"
        ),
        "connection_name",
        "'bad name'",
        "1 to 64",
    )


def test_connection_description(world: World) -> None:
    rejects(
        lambda: MomentoConnection(
            world.stack, next(world.ids), api_key_secret=secret(world), description="d" * 600
        ),
        "description",
        "ddd",
        "at most 512",
    )


# --- MomentoApiDestination ------------------------------------------------------------------


def destination(world: World, **props: Any) -> MomentoApiDestination:
    return world.destination(**props)


def test_destination_connection_type(world: World) -> None:
    rejects(
        lambda: destination(world, connection=world.connection.connection),
        "connection",
        "Connection",
        "must be a MomentoConnection",
    )


def test_destination_operation_type(world: World) -> None:
    rejects(
        lambda: destination(world, operation="PUT"),
        "operation",
        "'PUT'",
        "must be a MomentoOperation",
    )


@pytest.mark.parametrize(
    ("endpoint", "rule"),
    [
        ("http://api.example.com", "must use https"),
        (ENDPOINT + "/", "must not end with '/'"),
        (42, "must be a string URL"),
    ],
)
def test_destination_endpoint(world: World, endpoint: object, rule: str) -> None:
    rejects(lambda: destination(world, endpoint=endpoint), "endpoint", str(endpoint)[:8], rule)


@pytest.mark.parametrize("limit", [0, 10_001, 1.5, True])
def test_destination_rate_limit(world: World, limit: object) -> None:
    rejects(
        lambda: destination(world, rate_limit_per_second=limit),
        "rate_limit_per_second",
        repr(limit),
        "from 1 to 10000",
    )


def test_destination_name(world: World) -> None:
    rejects(
        lambda: destination(world, api_destination_name="x/y"),
        "api_destination_name",
        "'x/y'",
        "1 to 64",
    )


def test_a_construct_given_where_another_belongs_is_shown_by_its_path(world: World) -> None:
    queue = sqs.Queue(world.stack, next(world.ids))
    error = rejects(
        lambda: world.pipe(role=queue),
        "role",
        f"<Queue {queue.node.path}>",
        "must be an aws_iam.IRole",
    )
    assert "object at 0x" not in str(error)


def test_an_imported_resource_given_where_another_belongs_is_shown_by_its_path(
    world: World,
) -> None:
    imported = logs.LogGroup.from_log_group_name(world.stack, next(world.ids), "lg")
    error = rejects(
        lambda: world.pipe(role=imported),
        "role",
        f"<{imported.node.path}>",
        "must be an aws_iam.IRole",
    )
    assert "InterfaceDynamicProxy" not in str(error)


def test_a_misspelt_delivery_option_fails_as_python_fails_a_keyword(world: World) -> None:
    # The shared props arrive through ``**options``: a name that is no option must still
    # fail at once, as for an explicit signature, and never be ignored.
    with pytest.raises(TypeError, match="unexpected keyword argument 'max_retries'"):
        world.pipe(max_retries=3)


@pytest.mark.parametrize("construct", [DynamoToMomentoPipe, DynamoToMomentoSync])
@pytest.mark.parametrize("prop", ["table", "cache_name"])
def test_a_missing_shared_prop_fails_as_python_fails_a_required_keyword(
    world: World, construct: type[DynamoToMomentoPipe | DynamoToMomentoSync], prop: str
) -> None:
    own: dict[str, Any] = (
        {"destination": world.destinations[MomentoOperation.CACHE_SET]}
        if construct is DynamoToMomentoPipe
        else {"connection": world.connection, "endpoint": ENDPOINT}
    )
    shared: dict[str, Any] = {"table": world.table, "cache_name": "cache"}
    del shared[prop]
    message = f"{construct.__name__}.__init__() missing 1 required keyword-only argument: '{prop}'"
    with pytest.raises(TypeError, match=re.escape(message)):
        construct(world.stack, next(world.ids), **own, **shared)
