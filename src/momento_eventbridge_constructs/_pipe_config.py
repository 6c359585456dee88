"""Validation of ``DynamoToMomentoPipe`` props into an immutable :class:`PipeConfig`.

Every check runs before the construct builds anything, so a bad prop raises
:class:`~momento_eventbridge_constructs.MomentoConstructError` and leaves the tree untouched.
Only :func:`~._table.read_table` and the given resources' own attributes are read through jsii.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs

from ._dead_letter import check_shared_alarm_action
from ._key_schema import UNKNOWN_SCHEMA_RULE, apply_key_schema
from ._stream_record import check_record_paths
from ._table import ATTRIBUTE_TYPE_CODES, TableFacts, read_table
from ._ttl import TtlProps, TtlRule, check_ttl, seconds, show_duration
from ._validation import Checker, implements
from .api_destination import IMomentoApiDestination, check_destination
from .enums import LogLevel, StartingPosition, StreamEvent
from .errors import MomentoConstructError
from .operation import MomentoOperation
from .payload import KeyInfo, MomentoPayload, check_template_syntax, placeholders

DEFAULT_MAX_RETRY_ATTEMPTS = 5
MAX_RETRY_ATTEMPTS = 10_000
DEFAULT_MAX_RECORD_AGE_SECONDS = 3600
MIN_RECORD_AGE_SECONDS = 60
MAX_RECORD_AGE_SECONDS = 24 * 3600  # DynamoDB Streams keeps records for 24 hours

EVENT_ORDER = tuple(StreamEvent)
DEFAULT_EVENTS: Mapping[MomentoOperation, tuple[StreamEvent, ...]] = {
    MomentoOperation.CACHE_SET: (StreamEvent.INSERT, StreamEvent.MODIFY),
    MomentoOperation.CACHE_DELETE: (StreamEvent.REMOVE,),
    MomentoOperation.TOPIC_PUBLISH: EVENT_ORDER,
}
ALLOWED_EVENTS: Mapping[MomentoOperation, frozenset[StreamEvent]] = {
    operation: frozenset(events) for operation, events in DEFAULT_EVENTS.items()
}


@dataclass(frozen=True)
class Resources:
    """The resources a pipe uses that the user may pass in (None: the construct creates them)."""

    dead_letter_queue: sqs.IQueue | None
    role: iam.IRole | None
    log_group: logs.ILogGroup | None
    alarm_action: cloudwatch.IAlarmAction | None


@dataclass(frozen=True)
class PipeSettings:
    """How a pipe reads its stream, retries, logs and alarms (a pipe's and a sync's alike)."""

    table: dynamodb.ITable
    facts: TableFacts
    stream_arn: str
    max_retry_attempts: int
    max_record_age_seconds: int
    starting_position: StartingPosition
    log_level: LogLevel
    include_execution_data: bool
    log_retention: logs.RetentionDays | None
    pipe_name: str | None
    create_alarms: bool
    resources: Resources


@dataclass(frozen=True)
class PipeConfig:
    """Everything a pipe is built from, validated."""

    settings: PipeSettings
    destination: IMomentoApiDestination
    operation: MomentoOperation
    cache_name: str
    topic_name: str | None
    events: tuple[str, ...]  # in stream order of names: INSERT, MODIFY, REMOVE
    key: KeyInfo | None
    input_template: str | None
    query: Mapping[str, str]
    description: str

    @property
    def path_values(self) -> list[str]:
        """The API destination's ``*`` values: the cache, then the topic."""
        return [self.cache_name] if self.topic_name is None else [self.cache_name, self.topic_name]

    @property
    def headers(self) -> dict[str, str] | None:
        """``text/plain`` on topic publishes, as the Momento HTTP API page asks."""
        if self.operation is MomentoOperation.TOPIC_PUBLISH:
            return {"Content-Type": "text/plain"}
        return None


class DeliveryProps(Protocol):
    """The props a pipe and a sync share: the table, where failures go, logs and alarms."""

    @property
    def table(self) -> dynamodb.ITable: ...
    @property
    def partition_key(self) -> dynamodb.Attribute | None: ...
    @property
    def sort_key(self) -> dynamodb.Attribute | None: ...
    @property
    def starting_position(self) -> StartingPosition | str: ...
    @property
    def log_level(self) -> LogLevel | str: ...
    @property
    def pipe_name(self) -> str | None: ...
    @property
    def description(self) -> str | None: ...

    @property
    def dead_letter_queue(self) -> sqs.IQueue | None: ...
    @property
    def max_retry_attempts(self) -> int: ...
    @property
    def max_record_age(self) -> Duration | None: ...
    @property
    def include_execution_data(self) -> bool: ...
    @property
    def log_group(self) -> logs.ILogGroup | None: ...
    @property
    def log_retention(self) -> logs.RetentionDays | None: ...
    @property
    def role(self) -> iam.IRole | None: ...
    @property
    def create_alarms(self) -> bool: ...
    @property
    def alarm_action(self) -> cloudwatch.IAlarmAction | None: ...


@dataclass(frozen=True)
class PipeProps:
    """The props of ``DynamoToMomentoPipe`` as given (see its docstring)."""

    table: dynamodb.ITable
    partition_key: dynamodb.Attribute | None
    sort_key: dynamodb.Attribute | None
    destination: IMomentoApiDestination
    cache_name: str
    topic_name: str | None
    key_attribute: str | None
    key_type: dynamodb.AttributeType | None
    value: MomentoPayload | None
    ttl: Duration | None
    ttl_attribute: str | None
    max_ttl: Duration | None
    event_names: Sequence[StreamEvent | str] | None
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


def validate(props: PipeProps, check: Checker) -> PipeConfig:
    """Check every prop; return the config the build steps use."""
    check_destination(check, props.destination)
    operation = props.destination.operation
    _check_names(props, operation, check)
    events = check_event_names(check, props.event_names, operation)
    ttl = _check_ttl(check, operation, props)
    _check_value(props.value, operation, check)
    settings = check_settings(props, check)
    facts = settings.facts
    payload = props.value or default_payload(operation)
    key = _check_key_props(props, facts, operation, payload, check)
    input_template = _render(payload, key, operation, check)
    query: dict[str, str] = {}
    if key is not None and operation is not MomentoOperation.TOPIC_PUBLISH:
        query["key"] = f"$.dynamodb.Keys.{key.attribute}.{key.type_code}"
    if ttl is not None:
        query["ttl_seconds"] = _ttl_query(ttl)
    _check_paths(input_template, props.ttl_attribute, query, events, facts, check)
    return PipeConfig(
        settings=settings,
        destination=props.destination,
        operation=operation,
        cache_name=props.cache_name,
        topic_name=props.topic_name,
        events=tuple(e.value for e in EVENT_ORDER if e in events),
        key=key,
        input_template=input_template,
        query=query,
        description=props.description
        or f"DynamoDB stream to Momento: {operation.name} on cache {props.cache_name}",
    )


def check_settings(props: DeliveryProps, check: Checker) -> PipeSettings:
    """The checks a pipe and a sync share, then the table's stream (read through jsii)."""
    if not implements(props.table, "table_stream_arn"):
        check.fail("table", props.table, "must be an aws_dynamodb.ITable with a stream")
    record_age = check_delivery(props, check)
    starting_position = check.member("starting_position", props.starting_position, StartingPosition)
    log_level = check.member("log_level", props.log_level, LogLevel)
    check_logging(props, log_level, check)
    check.eventbridge_name("pipe_name", props.pipe_name)
    check.description("description", props.description)
    check_alarms(props, check)
    resources = check_resources(props, check)
    facts = read_table(props.table)
    stream_arn = facts.stream_arn
    if stream_arn is None:
        check.fail(
            "table",
            props.table.node.path,
            "has no stream; create it with stream=StreamViewType.NEW_AND_OLD_IMAGES "
            "(dynamo_stream for TableV2) or import it with table_stream_arn",
        )
    facts = apply_key_schema(check, facts, props.partition_key, props.sort_key)
    return PipeSettings(
        table=props.table,
        facts=facts,
        stream_arn=stream_arn,
        max_retry_attempts=props.max_retry_attempts,
        max_record_age_seconds=record_age,
        starting_position=starting_position,
        log_level=log_level,
        include_execution_data=props.include_execution_data,
        log_retention=props.log_retention,
        pipe_name=props.pipe_name,
        create_alarms=props.create_alarms,
        resources=resources,
    )


def default_payload(operation: MomentoOperation) -> MomentoPayload:
    """``new_image()`` for cache sets, ``change_notice()`` for topic publishes."""
    if operation is MomentoOperation.CACHE_SET:
        return MomentoPayload.new_image()
    return MomentoPayload.change_notice()


def _check_names(props: PipeProps, operation: MomentoOperation, check: Checker) -> None:
    check.url_safe_name("cache_name", props.cache_name, "cache")
    if operation is MomentoOperation.TOPIC_PUBLISH:
        if props.topic_name is None:
            check.fail(
                "topic_name",
                props.topic_name,
                "is required when the destination's operation is TOPIC_PUBLISH",
            )
        check.url_safe_name("topic_name", props.topic_name, "topic")
    elif props.topic_name is not None:
        check.fail(
            "topic_name",
            props.topic_name,
            f"applies only to TOPIC_PUBLISH; the destination makes {operation.name}",
        )


def _check_value(value: object, operation: MomentoOperation, check: Checker) -> None:
    if value is None:
        return
    check.instance("value", value, MomentoPayload, "a MomentoPayload")
    if operation is MomentoOperation.CACHE_DELETE:
        check.fail("value", value, "CACHE_DELETE sends no body; leave value unset")


def check_delivery(props: DeliveryProps, check: Checker) -> int:
    """Retry and record-age bounds; returns the record age in seconds."""
    check.whole_number("max_retry_attempts", props.max_retry_attempts, 0, MAX_RETRY_ATTEMPTS)
    record_age = seconds(
        check, "max_record_age", props.max_record_age, DEFAULT_MAX_RECORD_AGE_SECONDS
    )
    if not MIN_RECORD_AGE_SECONDS <= record_age <= MAX_RECORD_AGE_SECONDS:
        check.fail(
            "max_record_age",
            check.shown(f"{record_age} seconds"),
            "must be from 1 minute to 24 hours (DynamoDB Streams keeps records for "
            "24 hours, and an unbounded age lets a failing record block its shard)",
        )
    return record_age


def check_logging(props: DeliveryProps, log_level: LogLevel, check: Checker) -> None:
    if not isinstance(props.include_execution_data, bool):
        check.fail("include_execution_data", props.include_execution_data, "must be True or False")
    if log_level is LogLevel.OFF:
        for prop, given in (("log_group", props.log_group), ("log_retention", props.log_retention)):
            if given is not None:
                check.fail(prop, given, "is unused when log_level is 'OFF'")
        if props.include_execution_data:
            check.fail("include_execution_data", True, "is unused when log_level is 'OFF'")
    if props.log_group is not None and props.log_retention is not None:
        check.fail(
            "log_retention",
            props.log_retention,
            "applies only to the log group the construct creates; set the retention "
            "of the given log_group on that log group",
        )
    if props.log_retention is not None and not isinstance(props.log_retention, logs.RetentionDays):
        check.fail("log_retention", props.log_retention, "must be an aws_logs.RetentionDays")


def check_alarms(props: DeliveryProps, check: Checker) -> None:
    if not isinstance(props.create_alarms, bool):
        check.fail("create_alarms", props.create_alarms, "must be True or False")
    action = props.alarm_action
    if action is None:
        return
    if not props.create_alarms:
        check.fail("alarm_action", action, "is unused when create_alarms is False")
    if not implements(action, "bind"):
        check.fail("alarm_action", action, "must be an aws_cloudwatch.IAlarmAction")
    if props.dead_letter_queue is not None and implements(props.dead_letter_queue, "queue_arn"):
        check_shared_alarm_action(check, props.dead_letter_queue, action)


def check_resources(props: DeliveryProps, check: Checker) -> Resources:
    """Given resources: any object implementing the interface, imported ones included."""
    queue = props.dead_letter_queue
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
    if props.role is not None and not implements(props.role, "role_arn"):
        check.fail("role", props.role, "must be an aws_iam.IRole")
    if props.log_group is not None and not implements(props.log_group, "log_group_arn"):
        check.fail("log_group", props.log_group, "must be an aws_logs.ILogGroup")
    return Resources(queue, props.role, props.log_group, props.alarm_action)


def _check_key_props(
    props: PipeProps,
    facts: TableFacts,
    operation: MomentoOperation,
    payload: MomentoPayload,
    check: Checker,
) -> KeyInfo | None:
    """The key the pipe reads; None for a publish whose body does not read it.

    A key given to such a publish is still checked against the table, then unused.
    """
    needed = operation is not MomentoOperation.TOPIC_PUBLISH or payload.needs_key
    if not needed and props.key_attribute is None and props.key_type is None:
        return None
    key = check_key(
        check,
        facts,
        props.key_attribute,
        props.key_type,
        cache_call=operation is not MomentoOperation.TOPIC_PUBLISH,
        required=needed,
    )
    return key if needed else None


def _render(
    payload: MomentoPayload, key: KeyInfo | None, operation: MomentoOperation, check: Checker
) -> str | None:
    if operation is MomentoOperation.CACHE_DELETE:
        return None
    try:
        template = payload.render(key)
    except MomentoConstructError as error:
        check.fail(error.prop, check.shown(error.value), error.rule)
    # Whatever built it, the body obeys the placement rules of from_template.
    check_template_syntax(template, check, "value")
    return template


def _check_paths(
    input_template: str | None,
    ttl_attribute: str | None,
    query: Mapping[str, str],
    events: frozenset[StreamEvent],
    facts: TableFacts,
    check: Checker,
) -> None:
    def check_paths(paths: list[str], prop: str) -> None:
        check_record_paths(
            paths,
            events=frozenset(e.value for e in events),
            view_type=facts.view_type if facts.schema_known else None,
            key_attributes=facts.key_attributes,
            check=check,
            prop=prop,
        )

    if input_template is not None:
        check_paths(placeholders(input_template), "value")
    if ttl_attribute is not None:
        check_paths([query["ttl_seconds"]], "ttl_attribute")


def check_event_names(
    check: Checker, event_names: Sequence[StreamEvent | str] | None, operation: MomentoOperation
) -> frozenset[StreamEvent]:
    """The stream events a pipe lets through: members or their strings, no repeats."""
    if event_names is None:
        return frozenset(DEFAULT_EVENTS[operation])
    if isinstance(event_names, str) or not isinstance(event_names, Sequence):
        check.fail(
            "event_names", event_names, "must be a list of event names, e.g. ['INSERT', 'MODIFY']"
        )
    if not event_names:
        check.fail("event_names", event_names, "must name at least one event")
    events: list[StreamEvent] = []
    for name in event_names:
        if name not in EVENT_ORDER:  # str-enum members equal their strings
            check.fail(
                "event_names",
                event_names,
                f"{name!r} is not a stream event; use INSERT, MODIFY or REMOVE",
            )
        events.append(StreamEvent(name))
    if len(set(events)) != len(events):
        check.fail("event_names", event_names, "must not repeat an event name")
    allowed = ALLOWED_EVENTS[operation]
    extra = sorted(e.value for e in set(events) - allowed)
    if extra:
        reason = (
            "REMOVE records have no new image to cache; pair a CACHE_DELETE pipe with REMOVE"
            if operation is MomentoOperation.CACHE_SET
            else "CACHE_DELETE evicts removed items only; INSERT and MODIFY belong to CACHE_SET"
        )
        check.fail(
            "event_names",
            event_names,
            f"{operation.name} accepts only {', '.join(sorted(e.value for e in allowed))}: "
            f"{reason}",
        )
    return frozenset(events)


def _check_ttl(check: Checker, operation: MomentoOperation, props: PipeProps) -> TtlRule | None:
    """The TTL rule of a cache set (see :mod:`._ttl`); None for other calls, which take none."""
    if operation is not MomentoOperation.CACHE_SET:
        for prop, given in (
            ("ttl", props.ttl),
            ("ttl_attribute", props.ttl_attribute),
            ("max_ttl", props.max_ttl),
        ):
            if given is not None:
                check.fail(
                    prop,
                    check.shown(show_duration(given)),
                    f"applies only to CACHE_SET; the destination makes {operation.name}",
                )
        return None
    return check_ttl(check, TtlProps(props.ttl, props.ttl_attribute, props.max_ttl), computed=False)


def _ttl_query(rule: TtlRule) -> str:
    """The ``ttl_seconds`` query value: the fixed seconds, or the attribute's JSON path."""
    if rule.attribute is None:
        return str(rule.fixed_seconds)
    return f"$.dynamodb.NewImage.{rule.attribute}.N"


def check_key(
    check: Checker,
    facts: TableFacts,
    key_attribute: str | None,
    key_type: dynamodb.AttributeType | None,
    *,
    cache_call: bool,
    required: bool = True,
) -> KeyInfo:
    """The key attribute and its type code, checked against the table's key schema (known to
    CDK or stated with ``partition_key``/``sort_key``)."""
    known = facts.key_attributes
    if known is None:
        check.fail("partition_key", None, UNKNOWN_SCHEMA_RULE)
    if key_attribute is None:
        key_attribute = known[0]
    check.attribute_name("key_attribute", key_attribute)
    if key_attribute not in known:
        check.fail(
            "key_attribute",
            key_attribute,
            f"must be a key attribute of the table ({', '.join(known)}); only key "
            "attributes are present on every stream record",
        )
    if cache_call and len(known) > 1:
        check.fail(
            "table",
            check.shown(f"key ({', '.join(known)})"),
            "has a sort key, so one attribute alone does not identify an item: items sharing "
            f"{key_attribute!r} would overwrite and evict each other in the cache. Cache a "
            "table whose partition key identifies the item",
        )
    return KeyInfo(key_attribute, _key_type_code(check, facts, key_attribute, key_type, required))


def _key_type_code(
    check: Checker,
    facts: TableFacts,
    key_attribute: str,
    key_type: dynamodb.AttributeType | None,
    required: bool,
) -> str:
    if key_type is not None and not isinstance(key_type, dynamodb.AttributeType):
        check.fail("key_type", key_type, "must be an aws_dynamodb.AttributeType")
    schema = facts.key_types[key_attribute]
    if key_type is not None and ATTRIBUTE_TYPE_CODES[key_type.name] != schema:
        check.fail(
            "key_type",
            key_type.name,
            f"the table defines {key_attribute!r} as {schema!r}",
        )
    if schema == "B" and required:
        check.fail(
            "key_type",
            "BINARY",
            "binary keys reach the pipe as standard base64, which is not URL-safe and "
            "cannot be a Momento key; key the cache by a STRING or NUMBER attribute",
        )
    return schema
