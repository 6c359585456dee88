"""The delivery options ``DynamoToMomentoPipe`` and ``DynamoToMomentoSync`` share: one definition.

Both constructs read a table's stream through one pipe, and configure it alike: where failed
records go, how often they are retried, how the pipe logs, its role, name and alarms. Like the
base props interface of a CDK construct family, :class:`DeliveryOptions` names these props once;
they are part of the props both constructors take (:class:`~._reader_options.ReaderOptions`),
and :func:`validate_delivery` checks them once, into the one validated value
:class:`Delivery` the shared build steps (:mod:`._pipe_base`) read.

A new delivery prop is one key of :class:`DeliveryOptions`, one check in
:func:`validate_delivery`, one field of :class:`Delivery`, plus its docs and test.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TypedDict

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs

from ._dead_letter import check_shared_alarm_action
from ._key_schema import apply_key_schema
from ._stream_record import check_record_paths
from ._table import TableFacts, read_table
from ._ttl import seconds
from ._validation import Checker, implements
from .enums import LogLevel, StartingPosition

DEFAULT_MAX_RETRY_ATTEMPTS = 5
MAX_RETRY_ATTEMPTS = 10_000
DEFAULT_MAX_RECORD_AGE_SECONDS = 3600
MIN_RECORD_AGE_SECONDS = 60
MAX_RECORD_AGE_SECONDS = 24 * 3600  # DynamoDB Streams keeps records for 24 hours


class DeliveryOptions(TypedDict, total=False):
    """The props of the pipe a construct reads its table through (documented on
    ``DynamoToMomentoPipe``); every one is optional."""

    dead_letter_queue: sqs.IQueue | None
    max_retry_attempts: int
    max_record_age: Duration | None
    starting_position: StartingPosition | str
    log_level: LogLevel | str
    include_execution_data: bool
    log_group: logs.ILogGroup | None
    log_retention: logs.RetentionDays | None
    role: iam.IRole | None
    pipe_name: str | None
    description: str | None
    create_alarms: bool
    alarm_action: cloudwatch.IAlarmAction | None


@dataclass(frozen=True)
class Delivery:
    """The table's stream and the delivery options, validated (a pipe's and a sync's alike).

    A resource left as None (queue, role, log group) is created by the construct.
    """

    table: dynamodb.ITable
    facts: TableFacts
    stream_arn: str
    dead_letter_queue: sqs.IQueue | None
    max_retry_attempts: int
    max_record_age_seconds: int
    starting_position: StartingPosition
    log_level: LogLevel
    include_execution_data: bool
    log_group: logs.ILogGroup | None
    log_retention: logs.RetentionDays | None
    role: iam.IRole | None
    pipe_name: str | None
    description: str | None
    create_alarms: bool
    alarm_action: cloudwatch.IAlarmAction | None


def validate_delivery(
    check: Checker,
    table: dynamodb.ITable,
    partition_key: dynamodb.Attribute | None,
    sort_key: dynamodb.Attribute | None,
    options: DeliveryOptions,
) -> Delivery:
    """The one check of the delivery options, then the table's stream (read through jsii)."""
    if not implements(table, "table_stream_arn"):
        check.fail("table", table, "must be an aws_dynamodb.ITable with a stream")
    retries = options.get("max_retry_attempts", DEFAULT_MAX_RETRY_ATTEMPTS)
    check.whole_number("max_retry_attempts", retries, 0, MAX_RETRY_ATTEMPTS)
    record_age = _record_age(check, options.get("max_record_age"))
    position = options.get("starting_position", StartingPosition.LATEST)
    starting_position = check.member("starting_position", position, StartingPosition)
    log_level = check.member("log_level", options.get("log_level", LogLevel.ERROR), LogLevel)
    _check_logging(check, options, log_level)
    check.eventbridge_name("pipe_name", options.get("pipe_name"))
    check.description("description", options.get("description"))
    _check_alarms(check, options)
    _check_resources(check, options)
    facts = read_table(table)
    stream_arn = facts.stream_arn
    if stream_arn is None:
        check.fail(
            "table",
            table.node.path,
            "has no stream; create it with stream=StreamViewType.NEW_AND_OLD_IMAGES "
            "(dynamo_stream for TableV2) or import it with table_stream_arn",
        )
    return Delivery(
        table=table,
        facts=apply_key_schema(check, facts, partition_key, sort_key),
        stream_arn=stream_arn,
        dead_letter_queue=options.get("dead_letter_queue"),
        max_retry_attempts=retries,
        max_record_age_seconds=record_age,
        starting_position=starting_position,
        log_level=log_level,
        include_execution_data=options.get("include_execution_data", False),
        log_group=options.get("log_group"),
        log_retention=options.get("log_retention"),
        role=options.get("role"),
        pipe_name=options.get("pipe_name"),
        description=options.get("description"),
        create_alarms=options.get("create_alarms", True),
        alarm_action=options.get("alarm_action"),
    )


def check_table_paths(
    check: Checker, facts: TableFacts, paths: Iterable[str], *, events: Iterable[str], prop: str
) -> None:
    """Every JSON path exists on every record of ``events`` this table's stream carries."""
    check_record_paths(
        paths,
        events=frozenset(events),
        view_type=facts.view_type if facts.schema_known else None,
        key_attributes=facts.key_attributes,
        check=check,
        prop=prop,
    )


def _record_age(check: Checker, given: Duration | None) -> int:
    """The record-age bound in seconds."""
    record_age = seconds(check, "max_record_age", given, DEFAULT_MAX_RECORD_AGE_SECONDS)
    if not MIN_RECORD_AGE_SECONDS <= record_age <= MAX_RECORD_AGE_SECONDS:
        check.fail(
            "max_record_age",
            check.shown(f"{record_age} seconds"),
            "must be from 1 minute to 24 hours (DynamoDB Streams keeps records for "
            "24 hours, and an unbounded age lets a failing record block its shard)",
        )
    return record_age


def _check_logging(check: Checker, options: DeliveryOptions, log_level: LogLevel) -> None:
    include = options.get("include_execution_data", False)
    group = options.get("log_group")
    retention = options.get("log_retention")
    if not isinstance(include, bool):
        check.fail("include_execution_data", include, "must be True or False")
    if log_level is LogLevel.OFF:
        for prop, value in (("log_group", group), ("log_retention", retention)):
            if value is not None:
                check.fail(prop, value, "is unused when log_level is 'OFF'")
        if include:
            check.fail("include_execution_data", True, "is unused when log_level is 'OFF'")
    if group is not None and retention is not None:
        check.fail(
            "log_retention",
            retention,
            "applies only to the log group the construct creates; set the retention "
            "of the given log_group on that log group",
        )
    if retention is not None and not isinstance(retention, logs.RetentionDays):
        check.fail("log_retention", retention, "must be an aws_logs.RetentionDays")


def _check_alarms(check: Checker, options: DeliveryOptions) -> None:
    create = options.get("create_alarms", True)
    if not isinstance(create, bool):
        check.fail("create_alarms", create, "must be True or False")
    action = options.get("alarm_action")
    if action is None:
        return
    if not create:
        check.fail("alarm_action", action, "is unused when create_alarms is False")
    if not implements(action, "bind"):
        check.fail("alarm_action", action, "must be an aws_cloudwatch.IAlarmAction")
    queue = options.get("dead_letter_queue")
    if queue is not None and implements(queue, "queue_arn"):
        check_shared_alarm_action(check, queue, action)


def _check_resources(check: Checker, options: DeliveryOptions) -> None:
    """Given resources: any object implementing the interface, imported ones included."""
    queue = options.get("dead_letter_queue")
    if queue is not None:
        if not implements(queue, "queue_arn"):
            check.fail("dead_letter_queue", queue, "must be an aws_sqs.IQueue")
        if queue.fifo:
            check.fail(
                "dead_letter_queue",
                queue.node.path,
                "must be a standard queue: pipes send dead letters without the message "
                "group ID a FIFO queue requires",
            )
    role = options.get("role")
    if role is not None and not implements(role, "role_arn"):
        check.fail("role", role, "must be an aws_iam.IRole")
    group = options.get("log_group")
    if group is not None and not implements(group, "log_group_arn"):
        check.fail("log_group", group, "must be an aws_logs.ILogGroup")
