"""DynamoDB stream records built from items, shaped as a pipe's target sees them.

A record carries the fields of the DynamoDB Streams ``Record`` type
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_streams_Record.html) plus
what the Pipes poller adds (``awsRegion``, ``eventSourceARN``); the images it holds depend on
the stream's view type (``NEW_IMAGE``/``OLD_IMAGE``/``NEW_AND_OLD_IMAGES``/``KEYS_ONLY``,
https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_StreamSpecification.html).
Binary values travel as base64 text in the JSON a pipe sees.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from publication import publish

from ..engine.records import json_safe
from .definitions import TableDefinition

__all__ = ["RecordContext", "describe_key", "key_of", "stream_record", "sync_letter_keys"]

_NEW_IMAGE_VIEWS = frozenset({"NEW_IMAGE", "NEW_AND_OLD_IMAGES"})
_OLD_IMAGE_VIEWS = frozenset({"OLD_IMAGE", "NEW_AND_OLD_IMAGES"})


@dataclass(frozen=True)
class RecordContext:
    """The parts of a record that do not come from the item.

    ``event_id``, ``sequence_number``, ``created`` and ``size`` default to fresh values; pass
    markers instead to find out which parts of a rendering depend on them.
    """

    region: str
    stream_arn: str
    event_id: str | None = None
    sequence_number: str = "0"
    created: Any = None
    size: Any = None


def key_of(item: Mapping[str, Any], table: TableDefinition) -> dict[str, Any]:
    """The key attributes of ``item`` (attribute-value form)."""
    return {name: item[name] for name in table.key_names if name in item}


def sync_letter_keys(body: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The item keys a sync's dead letter names, each once, in the order it names them.

    A key's letter holds ``keys`` (and, from a batch, that key's ``changes``); a batch's
    announcement letter holds only ``changes``, each change notice with its ``keys``. Anything
    that is not a non-empty mapping of keys is skipped.
    """
    named: list[Any] = [body.get("keys")]
    changes = body.get("changes")
    if isinstance(changes, list):
        named += [change.get("keys") for change in changes if isinstance(change, Mapping)]
    unique: dict[str, Mapping[str, Any]] = {}
    for keys in named:
        if isinstance(keys, Mapping) and keys:
            unique.setdefault(json.dumps(keys, sort_keys=True, default=str), keys)
    return list(unique.values())


def describe_key(keys: Mapping[str, Any]) -> str:
    """``{"Location": {"S": "Oslo"}}`` -> ``Location=Oslo``, for messages."""
    parts = []
    for name, value in keys.items():
        shown = next(iter(value.values())) if isinstance(value, Mapping) and value else value
        if isinstance(shown, (bytes, bytearray)):
            shown = json_safe(shown)
        parts.append(f"{name}={shown}")
    return ", ".join(parts)


def stream_record(
    event_name: str,
    table: TableDefinition,
    context: RecordContext,
    *,
    keys: Mapping[str, Any],
    new_image: Mapping[str, Any] | None = None,
    old_image: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The record DynamoDB Streams writes for ``event_name`` on an item of ``table``."""
    view = table.view_type or "KEYS_ONLY"
    change: dict[str, Any] = {
        "ApproximateCreationDateTime": (
            int(time.time()) if context.created is None else context.created
        ),
        "Keys": json_safe(dict(keys)),
    }
    if new_image is not None and view in _NEW_IMAGE_VIEWS:
        change["NewImage"] = json_safe(dict(new_image))
    if old_image is not None and view in _OLD_IMAGE_VIEWS:
        change["OldImage"] = json_safe(dict(old_image))
    change["SequenceNumber"] = context.sequence_number
    change["SizeBytes"] = (
        len(json.dumps(change, separators=(",", ":"))) if context.size is None else context.size
    )
    change["StreamViewType"] = view
    return {
        "eventID": context.event_id or uuid.uuid4().hex,
        "eventName": event_name,
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": context.region,
        "dynamodb": change,
        "eventSourceARN": context.stream_arn,
    }


publish()
