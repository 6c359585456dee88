"""Validation of ``DynamoToMomentoPipe`` props into an immutable :class:`PipeConfig`.

Every check runs before the construct builds anything, so a bad prop raises
:class:`~momento_eventbridge_constructs.MomentoConstructError` and leaves the tree untouched.
Only :func:`~._table.read_table` and the given resources' own attributes are read through jsii.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from aws_cdk import aws_dynamodb as dynamodb

from ._delivery import Delivery, check_table_paths, validate_delivery
from ._destination_rules import check_destination
from ._key_schema import pipe_key
from ._reader_options import ReaderProps
from ._table import TableFacts
from ._template_syntax import KeyInfo, check_template_syntax, placeholders
from ._ttl import TtlProps, TtlRule, check_ttl, show_duration
from ._validation import Checker
from .api_destination import IMomentoApiDestination
from .enums import StreamEvent
from .errors import MomentoConstructError
from .operation import MomentoOperation
from .payload import MomentoPayload

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
class PipeConfig:
    """Everything a pipe is built from, validated."""

    delivery: Delivery
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


@dataclass(frozen=True)
class PipeProps(ReaderProps):
    """The props of ``DynamoToMomentoPipe`` as given (see its docstring)."""

    owner: ClassVar[str] = "DynamoToMomentoPipe"

    destination: IMomentoApiDestination
    key_attribute: str | None
    key_type: dynamodb.AttributeType | None
    event_names: Sequence[StreamEvent | str] | None


def validate(props: PipeProps, check: Checker) -> PipeConfig:
    """Check every prop; return the config the build steps use."""
    check_destination(check, props.destination)
    operation = props.destination.operation
    _check_names(props, operation, check)
    events = check_event_names(check, props.event_names, operation)
    ttl = _check_ttl(check, operation, props)
    _check_value(props.value, operation, check)
    delivery = validate_delivery(
        check, props.table, props.partition_key, props.sort_key, props.delivery
    )
    facts = delivery.facts
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
        delivery=delivery,
        destination=props.destination,
        operation=operation,
        cache_name=props.cache_name,
        topic_name=props.topic_name,
        events=tuple(e.value for e in EVENT_ORDER if e in events),
        key=key,
        input_template=input_template,
        query=query,
        description=delivery.description
        or f"DynamoDB stream to Momento: {operation.name} on cache {props.cache_name}",
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
    key = pipe_key(
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
    names = [e.value for e in events]
    if input_template is not None:
        check_table_paths(check, facts, placeholders(input_template), events=names, prop="value")
    if ttl_attribute is not None:
        check_table_paths(check, facts, [query["ttl_seconds"]], events=names, prop="ttl_attribute")


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
