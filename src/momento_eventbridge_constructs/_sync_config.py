"""Validation of ``DynamoToMomentoSync`` props into an immutable :class:`SyncConfig`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import Duration

from ._delivery import Delivery, check_table_paths, validate_delivery
from ._destination_rules import check_connection, check_endpoint
from ._key_schema import sync_keys
from ._reader_options import ReaderProps
from ._sync_definition import BATCH_ROUNDS, DEFAULT_MAX_CONCURRENCY, SyncBatching
from ._table import TableFacts
from ._template_syntax import KeyInfo
from ._ttl import TtlProps, TtlRule, check_ttl, seconds
from ._validation import Checker
from .connection import IMomentoConnection
from .errors import MomentoConstructError
from .payload import MomentoPayload

MAX_SEPARATOR_LENGTH = 16

# Batching (see SyncBatching). Pipes accepts BatchSize 1 to 10,000 for a DynamoDB stream and a
# batching window of 0 to 300 seconds (https://docs.aws.amazon.com/AWSCloudFormation/latest/
# TemplateReference/aws-properties-pipes-pipe-pipesourcedynamodbstreamparameters.html), and it
# sends a Step Functions target at most 262,144 characters per batch
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html).
# A stream record of a small item is about 0.6 to 0.8 KB as the pipe sends it, so 100 records
# leave 2.6 KB each on average; beyond that the payload cap, not the batch size, decides.
DEFAULT_BATCH_SIZE = 10
MAX_BATCH_SIZE = 100
MAX_BATCHING_WINDOW_SECONDS = 300
# An inline Map runs at most 40 iterations at once whatever MaxConcurrency says
# (https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html; unverified:
# not re-checked against the page).
MAX_CONCURRENCY = 40
# A batch of keys takes at most ceil(batch_size / max_concurrency) rounds of worst-case writes,
# and _sync_definition.BATCH_ROUNDS of them fit the execution's timeout beside its announcement.
ROUNDS = BATCH_ROUNDS


@dataclass(frozen=True)
class SyncProps(ReaderProps):
    """The props of ``DynamoToMomentoSync`` as given (see its docstring)."""

    owner: ClassVar[str] = "DynamoToMomentoSync"

    connection: IMomentoConnection
    endpoint: str
    key_attributes: Sequence[str] | None
    key_separator: str
    ttl_epoch_attribute: str | None
    batch_size: int
    max_batching_window: Duration | None
    max_concurrency: int | None


@dataclass(frozen=True)
class SyncConfig:
    """Everything a sync is built from, validated."""

    delivery: Delivery
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
    batching: SyncBatching


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
    delivery = validate_delivery(
        check, props.table, props.partition_key, props.sort_key, props.delivery
    )
    keys = sync_keys(check, delivery.facts, props.key_attributes)
    body = _body(check, props.value or MomentoPayload.new_image(), keys)
    _check_new_image_reads(check, delivery.facts, body, ttl)
    batching = _batching(check, props)
    return SyncConfig(
        delivery=delivery,
        connection=props.connection,
        endpoint=props.endpoint,
        cache_name=props.cache_name,
        topic_name=props.topic_name,
        keys=keys,
        key_separator=props.key_separator,
        body=body,
        announcement=tuple(MomentoPayload.change_notice().fields(keys)),
        ttl=ttl,
        description=delivery.description
        or f"DynamoDB stream to Momento, in order: cache {props.cache_name}",
        batching=batching,
    )


def _batching(check: Checker, props: SyncProps) -> SyncBatching:
    size = check.whole_number("batch_size", props.batch_size, 1, MAX_BATCH_SIZE)
    window = None
    if props.max_batching_window is not None:
        window = seconds(check, "max_batching_window", props.max_batching_window, 0)
        if not 0 <= window <= MAX_BATCHING_WINDOW_SECONDS:
            check.fail(
                "max_batching_window",
                check.shown(f"{window} seconds"),
                f"must be from 0 to {MAX_BATCHING_WINDOW_SECONDS} seconds (what Pipes accepts)",
            )
    if props.max_concurrency is None:
        concurrency = min(DEFAULT_MAX_CONCURRENCY, size)
    else:
        if size == 1:
            check.fail(
                "max_concurrency",
                props.max_concurrency,
                "applies only with batch_size above 1 (one record is one key)",
            )
        concurrency = check.whole_number(
            "max_concurrency", props.max_concurrency, 1, MAX_CONCURRENCY
        )
    rounds = -(-size // concurrency)
    if rounds > ROUNDS:
        check.fail(
            "batch_size",
            size,
            f"with max_concurrency {concurrency}, a batch of {size} keys takes {rounds} rounds "
            f"of retries in the worst case, more than the {ROUNDS} that fit the execution "
            f"timeout: use at most {ROUNDS * concurrency}, or raise max_concurrency to at least "
            f"{-(-size // ROUNDS)}",
        )
    return SyncBatching(size=size, window_seconds=window, concurrency=concurrency)


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
    events = ("INSERT", "MODIFY")
    check_table_paths(check, facts, ["$." + path for _, path in body], events=events, prop="value")
    if ttl.attribute is not None:
        paths = [f"$.dynamodb.NewImage.{ttl.attribute}.N"]
        check_table_paths(check, facts, paths, events=events, prop=ttl.prop)
