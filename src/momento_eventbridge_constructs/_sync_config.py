"""Validation of ``DynamoToMomentoSync`` props into an immutable :class:`SyncConfig`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ._delivery import Delivery, check_table_paths, validate_delivery
from ._destination_rules import check_connection, check_endpoint
from ._key_schema import sync_keys
from ._reader_options import ReaderProps
from ._table import TableFacts
from ._template_syntax import KeyInfo
from ._ttl import TtlProps, TtlRule, check_ttl
from ._validation import Checker
from .connection import IMomentoConnection
from .errors import MomentoConstructError
from .payload import MomentoPayload

MAX_SEPARATOR_LENGTH = 16


@dataclass(frozen=True)
class SyncProps(ReaderProps):
    """The props of ``DynamoToMomentoSync`` as given (see its docstring)."""

    owner: ClassVar[str] = "DynamoToMomentoSync"

    connection: IMomentoConnection
    endpoint: str
    key_attributes: Sequence[str] | None
    key_separator: str
    ttl_epoch_attribute: str | None


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
