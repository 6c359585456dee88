"""The props ``DynamoToMomentoPipe`` and ``DynamoToMomentoSync`` share: one definition.

Both constructs read one table and write one Momento cache (or topic) through one pipe. Like
the base props interface of a CDK construct family, :class:`ReaderOptions` names the props
they have in common once: the table and its key schema, the cache entry (cache, topic, body,
TTL) and the delivery options of the pipe (:class:`~._delivery.DeliveryOptions`). Each
constructor takes them as ``**options: Unpack[ReaderOptions]``, so type checkers and editors
know every keyword, and :func:`given` sorts them, with the construct's own keywords, into its
props dataclass.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from aws_cdk import Duration
from aws_cdk import aws_dynamodb as dynamodb

from ._delivery import DeliveryOptions
from .payload import MomentoPayload

if TYPE_CHECKING:
    from typing_extensions import Required


class ReaderOptions(DeliveryOptions, total=False):
    """The props both constructs take (documented on ``DynamoToMomentoPipe``): ``table`` and
    ``cache_name`` are required, the others optional."""

    table: Required[dynamodb.ITable]
    partition_key: dynamodb.Attribute | None
    sort_key: dynamodb.Attribute | None
    cache_name: Required[str]
    topic_name: str | None
    value: MomentoPayload | None
    ttl: Duration | None
    ttl_attribute: str | None
    max_ttl: Duration | None


REQUIRED_OPTIONS = ("table", "cache_name")
"""The keys of :class:`ReaderOptions` without a default (``Required`` is only for type
checkers before Python 3.11, so the rule is stated here too)."""

DELIVERY_KEYS = frozenset(DeliveryOptions.__annotations__)
READER_KEYS = frozenset(ReaderOptions.__annotations__)


@dataclass(frozen=True)
class ReaderProps:
    """The shared props as given (:class:`ReaderOptions`, absent ones as None); each
    construct's props dataclass extends it with its own keywords."""

    owner: ClassVar[str]
    """The construct's class name, for the errors Python itself would raise."""

    table: dynamodb.ITable
    partition_key: dynamodb.Attribute | None
    sort_key: dynamodb.Attribute | None
    cache_name: str
    topic_name: str | None
    value: MomentoPayload | None
    ttl: Duration | None
    ttl_attribute: str | None
    max_ttl: Duration | None
    delivery: DeliveryOptions


P = TypeVar("P", bound=ReaderProps)


def given(props: type[P], arguments: Mapping[str, Any]) -> P:
    """The ``props`` dataclass of a constructor's call.

    Args:
        props: the construct's props dataclass: its fields of :class:`ReaderProps` receive
            the options (``delivery`` the delivery options), the others the construct's own
            keywords.
        arguments: the constructor's ``locals()``: its own keywords, and ``options``, the
            :class:`ReaderOptions` it was given.

    Raises:
        TypeError: for an unknown keyword or a missing required one, worded as Python words
            them for an explicit signature.
    """
    options: Mapping[str, Any] = arguments["options"]
    owner = props.owner
    for name in options:
        if name not in READER_KEYS:
            raise TypeError(f"{owner}.__init__() got an unexpected keyword argument {name!r}")
    for name in REQUIRED_OPTIONS:
        if name not in options:
            raise TypeError(
                f"{owner}.__init__() missing 1 required keyword-only argument: {name!r}"
            )
    values: dict[str, Any] = {}
    for field in dataclasses.fields(props):
        if field.name == "delivery":
            values["delivery"] = {k: v for k, v in options.items() if k in DELIVERY_KEYS}
        elif field.name in READER_KEYS:
            values[field.name] = options.get(field.name)
        else:
            values[field.name] = arguments[field.name]
    return props(**values)
