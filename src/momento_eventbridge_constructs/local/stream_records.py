"""What the local runtime reads of a stream record for itself: its log lines, its events and the
writes DynamoDB would not have streamed.

Only the standard library is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from publication import publish

__all__ = ["is_unchanged_write", "plain_keys", "sequence_number"]


def is_unchanged_write(record: Mapping[str, Any]) -> bool:
    """Whether a record is a MODIFY whose old and new images are equal.

    DynamoDB writes no stream record for a write that changes nothing
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Streams.html); the moto
    glue drops them at the source (:meth:`.aws.LocalAws.record_changes_only`). This is the
    fallback for when it cannot. It does not see: tables whose view lacks one of the images
    (``KEYS_ONLY``, ``NEW_IMAGE``, ``OLD_IMAGE``), nor equal values written differently (a
    number as ``1`` then ``1.0``, a set in another order).
    """
    dynamodb = record.get("dynamodb") or {}
    return (
        record.get("eventName") == "MODIFY"
        and "OldImage" in dynamodb
        and "NewImage" in dynamodb
        and dynamodb["OldImage"] == dynamodb["NewImage"]
    )


def plain_keys(keys: Mapping[str, Any]) -> dict[str, Any]:
    """``{"Location": {"S": "Oslo"}}`` -> ``{"Location": "Oslo"}``, for logs and events."""
    plain: dict[str, Any] = {}
    for name, value in keys.items():
        if isinstance(value, Mapping) and len(value) == 1:
            plain[name] = next(iter(value.values()))
        else:
            plain[name] = value
    return plain


def sequence_number(record: Mapping[str, Any]) -> str:
    """The record's ``dynamodb.SequenceNumber`` (empty when absent)."""
    return str((record.get("dynamodb") or {}).get("SequenceNumber", ""))


publish()
