"""The source table's key schema: read from the table, or stated by the user for an imported one.

The key rules of both constructs (the Momento key must be made of key attributes, a pipe cannot
cache a table with a sort key, a sync needs every key attribute and its type) depend on the key
schema, and live here: :func:`pipe_key` and :func:`sync_keys`, both on :func:`known_keys`. CDK
knows it for a table defined in the app; a table imported with ``Table.from_table_attributes``
does not expose it, so the user states it with the same props ``dynamodb.Table`` takes
(``partition_key``, ``sort_key``), and the same rules then apply.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from aws_cdk import aws_dynamodb as dynamodb

from ._table import ATTRIBUTE_TYPE_CODES, TableFacts
from ._template_syntax import KeyInfo
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


def known_keys(check: Checker, facts: TableFacts) -> tuple[str, ...]:
    """The table's key attributes, partition key first (known to CDK or stated with
    ``partition_key``/``sort_key``); an unknown schema fails on ``partition_key``."""
    known = facts.key_attributes
    if known is None:
        check.fail("partition_key", None, UNKNOWN_SCHEMA_RULE)
    return known


def pipe_key(
    check: Checker,
    facts: TableFacts,
    key_attribute: str | None,
    key_type: dynamodb.AttributeType | None,
    *,
    cache_call: bool,
    required: bool = True,
) -> KeyInfo:
    """A pipe's key attribute and its type code, checked against the table's key schema."""
    known = known_keys(check, facts)
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


def sync_keys(
    check: Checker, facts: TableFacts, given: Sequence[str] | None
) -> tuple[KeyInfo, ...]:
    """A sync's key attributes, partition key first; every key attribute of the table."""
    known = known_keys(check, facts)
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
