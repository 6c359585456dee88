"""Validation of ``DynamoToMomentoSync`` props into an immutable :class:`SyncConfig`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs

from ._key_schema import UNKNOWN_SCHEMA_RULE
from ._pipe_config import PipeSettings, check_settings
from ._stream_record import check_record_paths
from ._table import TableFacts
from ._ttl import TtlProps, TtlRule, check_ttl
from ._validation import Checker
from .api_destination import check_endpoint
from .connection import IMomentoConnection, check_connection
from .enums import LogLevel, StartingPosition
from .errors import MomentoConstructError
from .payload import KeyInfo, MomentoPayload

MAX_SEPARATOR_LENGTH = 16


@dataclass(frozen=True)
class SyncProps:
    """The props of ``DynamoToMomentoSync`` as given (see its docstring)."""

    table: dynamodb.ITable
    partition_key: dynamodb.Attribute | None
    sort_key: dynamodb.Attribute | None
    connection: IMomentoConnection
    endpoint: str
    cache_name: str
    topic_name: str | None
    key_attributes: Sequence[str] | None
    key_separator: str
    value: MomentoPayload | None
    ttl: Duration | None
    ttl_attribute: str | None
    ttl_epoch_attribute: str | None
    max_ttl: Duration | None
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
class SyncConfig:
    """Everything a sync is built from, validated."""

    settings: PipeSettings
    connection: IMomentoConnection
    endpoint: str
    cache_name: str
    topic_name: str | None
    keys: tuple[KeyInfo, ...]
    key_separator: str
    body: tuple[tuple[str, str], ...]
    announcement: tuple[tuple[str, str], ...]
    ttl: TtlRule
    description: str


def validate_sync(props: SyncProps, check: Checker) -> SyncConfig:
    """Check every prop; return the config the build steps use."""
    check_connection(check, props.connection)
    check_endpoint(check, props.endpoint)
    check.url_safe_name("cache_name", props.cache_name, "cache")
    if props.topic_name is not None:
        check.url_safe_name("topic_name", props.topic_name, "topic")
    _check_separator(check, props.key_separator)
    ttl = check_ttl(
        check,
        TtlProps(props.ttl, props.ttl_attribute, props.max_ttl, props.ttl_epoch_attribute),
        computed=True,
    )
    if props.value is not None:
        check.instance("value", props.value, MomentoPayload, "a MomentoPayload")
    settings = check_settings(props, check)
    keys = _check_keys(check, settings.facts, props.key_attributes)
    body = _body(check, props.value or MomentoPayload.new_image(), keys)
    _check_new_image_reads(check, settings.facts, body, ttl)
    return SyncConfig(
        settings=settings,
        connection=props.connection,
        endpoint=props.endpoint,
        cache_name=props.cache_name,
        topic_name=props.topic_name,
        keys=keys,
        key_separator=props.key_separator,
        body=body,
        announcement=tuple(MomentoPayload.change_notice().fields(keys)),
        ttl=ttl,
        description=props.description
        or f"DynamoDB stream to Momento, in order: cache {props.cache_name}",
    )


def _check_separator(check: Checker, separator: object) -> None:
    if (
        not isinstance(separator, str)
        or not separator
        or len(separator) > MAX_SEPARATOR_LENGTH
        or any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in separator)
    ):
        check.fail(
            "key_separator",
            separator,
            f"must be 1 to {MAX_SEPARATOR_LENGTH} printable characters",
        )


def _check_keys(
    check: Checker, facts: TableFacts, given: Sequence[str] | None
) -> tuple[KeyInfo, ...]:
    """The key attributes, partition key first; every key attribute of the table is needed."""
    known = facts.key_attributes
    if known is None:
        check.fail("partition_key", None, UNKNOWN_SCHEMA_RULE)
    if given is None:
        given = known
    if isinstance(given, str) or not isinstance(given, Sequence) or not given:
        check.fail("key_attributes", given, "must be a list of one or two attribute names")
    if len(given) > 2 or len(set(given)) != len(given):
        check.fail("key_attributes", given, "must name the partition key, then the sort key")
    for name in given:
        check.attribute_name("key_attributes", name)
    if tuple(given) != known:
        check.fail(
            "key_attributes",
            list(given),
            f"must be the table's key attributes in order ({', '.join(known)}): together they "
            "identify an item, so fewer would let items overwrite each other in the cache",
        )
    keys = tuple(KeyInfo(name, facts.key_types[name]) for name in given)
    if len(keys) > 1 and any(key.type_code == "B" for key in keys):
        check.fail(
            "key_attributes",
            list(given),
            "a binary attribute can be the whole key (sent as key_base64) but not part of a "
            "composite key: its bytes cannot be joined to text in the state machine",
        )
    return keys


def _body(
    check: Checker, payload: MomentoPayload, keys: tuple[KeyInfo, ...]
) -> tuple[tuple[str, str], ...]:
    try:
        return tuple(payload.fields(keys))
    except MomentoConstructError as error:
        check.fail(error.prop, check.shown(error.value), error.rule)


def _check_new_image_reads(
    check: Checker, facts: TableFacts, body: tuple[tuple[str, str], ...], ttl: TtlRule
) -> None:
    """A body or TTL that reads the new image needs a stream that records it.

    Only INSERT and MODIFY records reach the set, so the image is present on every record the
    path is read from; the view type is the one thing that can be wrong.
    """
    view = facts.view_type if facts.schema_known else None

    def check_paths(paths: list[str], prop: str) -> None:
        check_record_paths(
            paths,
            events=frozenset({"INSERT", "MODIFY"}),
            view_type=view,
            key_attributes=facts.key_attributes,
            check=check,
            prop=prop,
        )

    check_paths(["$." + path for _, path in body], "value")
    if ttl.attribute is not None:
        check_paths([f"$.dynamodb.NewImage.{ttl.attribute}.N"], ttl.prop)
