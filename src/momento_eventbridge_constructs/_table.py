"""What a pipe needs to know about its DynamoDB table, read once."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from aws_cdk import Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_kms as kms
from constructs import Construct

# aws_dynamodb.AttributeType member name -> type descriptor in stream records.
ATTRIBUTE_TYPE_CODES: Mapping[str, str] = {"STRING": "S", "NUMBER": "N", "BINARY": "B"}


@dataclass(frozen=True)
class TableFacts:
    """The table's stream and key schema, as far as the table object exposes them.

    ``schema_known`` is False for imported tables: then the stream may exist (when imported
    with ``table_stream_arn``) but its view type is unknown, and so is the key schema until
    the user states it (``partition_key``, ``sort_key``: see :mod:`._key_schema`).
    """

    stream_arn: str | None
    schema_known: bool
    view_type: str | None  # None with schema_known: the table has no stream
    key_attributes: tuple[str, ...] | None  # partition key first, then sort key
    key_types: dict[str, str]  # attribute name -> "S" | "N" | "B"
    encryption_key: kms.IKey | None


class _TableFactsCache(Construct):
    """Facts already read, one entry per table object, kept at the root of the app.

    The pipes of a table (usually three) share one read: the facts do not change after the
    table is constructed (stream, key schema and encryption are constructor props), and reading
    them costs about ten jsii round trips.
    """

    ID = "MomentoEventBridgeConstructsTableFacts"

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        self.known: list[tuple[dynamodb.ITable, TableFacts]] = []

    @classmethod
    def of(cls, table: dynamodb.ITable) -> _TableFactsCache:
        root = table.node.root
        found = root.node.try_find_child(cls.ID)
        return found if isinstance(found, cls) else cls(cast(Construct, root), cls.ID)


def read_table(table: dynamodb.ITable) -> TableFacts:
    """:func:`read_table_uncached`, once per table object in an app."""
    cache = _TableFactsCache.of(table)
    for known, facts in cache.known:
        if known is table:
            return facts
    facts = read_table_uncached(table)
    cache.known.append((table, facts))
    return facts


def read_table_uncached(table: dynamodb.ITable) -> TableFacts:
    """Read stream, stream view type and key schema from the table's L1 resource.

    ``Table`` and ``TableV2`` both render them from one resolved property bag (one jsii round
    trip); ``TableV2`` computes its stream specification lazily, so it is read resolved.
    """
    encryption_key = table.encryption_key
    resource = table.node.default_child
    if not isinstance(resource, (dynamodb.CfnTable, dynamodb.CfnGlobalTable)):
        return TableFacts(table.table_stream_arn, False, None, None, {}, encryption_key)

    properties: Any = Stack.of(table).resolve(resource._cfn_properties)
    spec = properties.get("streamSpecification") or {}
    view_type = spec.get("streamViewType") if isinstance(spec, dict) else None
    # TableV2 exposes a stream ARN token even without a stream: trust the specification.
    stream_arn = table.table_stream_arn if view_type else None

    keys = sorted(
        (entry for entry in properties.get("keySchema") or [] if isinstance(entry, dict)),
        key=lambda entry: 0 if entry.get("keyType") == "HASH" else 1,
    )
    key_attributes = tuple(str(entry["attributeName"]) for entry in keys)
    key_types = {
        str(entry["attributeName"]): str(entry["attributeType"])
        for entry in properties.get("attributeDefinitions") or []
        if isinstance(entry, dict) and entry.get("attributeName") in key_attributes
    }
    return TableFacts(
        stream_arn,
        True,
        view_type if isinstance(view_type, str) else None,
        key_attributes or None,
        key_types,
        encryption_key,
    )
