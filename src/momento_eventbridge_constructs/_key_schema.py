"""The source table's key schema: read from the table, or stated by the user for an imported one.

The key rules of both constructs (the Momento key must be made of key attributes, a pipe cannot
cache a table with a sort key, a sync needs every key attribute and its type) depend on the key
schema. CDK knows it for a table defined in the app; a table imported with
``Table.from_table_attributes`` does not expose it, so the user states it with the same props
``dynamodb.Table`` takes (``partition_key``, ``sort_key``), and the same rules then apply.
"""

from __future__ import annotations

import dataclasses

from aws_cdk import aws_dynamodb as dynamodb

from ._table import ATTRIBUTE_TYPE_CODES, TableFacts
from ._validation import Checker

UNKNOWN_SCHEMA_RULE = (
    "is required: the table is imported, so CDK does not know its key schema and the key "
    "rules (the Momento key is made of key attributes; one attribute cannot key a table that "
    "has a sort key) could not be checked. State it as on dynamodb.Table: "
    "partition_key=dynamodb.Attribute(name=..., type=...), and sort_key=... if the table has one"
)


def apply_key_schema(
    check: Checker,
    facts: TableFacts,
    partition_key: dynamodb.Attribute | None,
    sort_key: dynamodb.Attribute | None,
) -> TableFacts:
    """``facts`` with the stated key schema of an imported table.

    A table whose schema CDK knows keeps it; a stated schema must then match it.
    """
    stated = _stated(check, partition_key, sort_key)
    if stated is None:
        return facts
    if facts.key_attributes is not None:
        known = tuple((name, facts.key_types[name]) for name in facts.key_attributes)
        if stated != known:
            check.fail(
                "partition_key" if stated[0] != known[0] else "sort_key",
                check.shown(describe(stated)),
                f"the table's key schema is known to CDK ({describe(known)}); leave "
                "partition_key and sort_key unset, or state exactly that",
            )
        return facts
    return dataclasses.replace(
        facts,
        key_attributes=tuple(name for name, _ in stated),
        key_types=dict(stated),
    )


def _stated(
    check: Checker,
    partition_key: dynamodb.Attribute | None,
    sort_key: dynamodb.Attribute | None,
) -> tuple[tuple[str, str], ...] | None:
    """(name, type code) of the partition key, then the sort key; None when nothing is stated."""
    if partition_key is None:
        if sort_key is not None:
            check.fail(
                "sort_key",
                sort_key,
                "needs partition_key: state the table's whole key schema, partition key first",
            )
        return None
    keys = [_attribute(check, "partition_key", partition_key)]
    if sort_key is not None:
        keys.append(_attribute(check, "sort_key", sort_key))
        if keys[0][0] == keys[1][0]:
            check.fail(
                "sort_key",
                check.shown(describe(tuple(keys))),
                "must name another attribute than partition_key",
            )
    return tuple(keys)


def _attribute(check: Checker, prop: str, attribute: object) -> tuple[str, str]:
    if not isinstance(attribute, dynamodb.Attribute):
        check.fail(
            prop,
            attribute,
            "must be an aws_dynamodb.Attribute(name=..., type=...), as on dynamodb.Table",
        )
    name = attribute.name
    if not isinstance(name, str) or not name:
        check.fail(prop, name, "the attribute name must be a non-empty string")
    if not isinstance(attribute.type, dynamodb.AttributeType):
        check.fail(prop, attribute.type, "the attribute type must be an aws_dynamodb.AttributeType")
    return name, ATTRIBUTE_TYPE_CODES[attribute.type.name]


def describe(keys: tuple[tuple[str, str], ...]) -> str:
    """``pk (S), sk (N)``."""
    return ", ".join(f"{name} ({code})" for name, code in keys)
