"""DynamoDB stream records as the pipe steps see them.

boto3 hands back records with ``datetime`` and ``bytes`` values; the pipes see JSON. The target
(input template, HTTP parameters) sees the whole record, with the fields the poller adds; the
filters see only what the stream itself sends.
"""

from __future__ import annotations

import datetime as dt
from base64 import b64encode
from collections.abc import Mapping
from typing import Any

from publication import publish

__all__ = [
    "POLLER_FIELDS",
    "filter_view",
    "iso_time",
    "json_safe",
    "target_view",
]

# "Fields added by the poller" that filters cannot match on, as listed by
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-filtering.html.
# The page lists eventName too, but for DynamoDB it is part of the stream record itself, and
# filtering on it works on real pipes (Momento's published demo filters on it; not stated by
# AWS), so filters keep seeing it.
POLLER_FIELDS = frozenset(
    {
        "awsRegion",
        "eventSource",
        "eventSourceARN",
        "eventVersion",
        "eventID",
        "invokeIdentityArn",
        "eventSourceKey",
    }
)


def json_safe(value: Any) -> Any:
    """``value`` with binary values as base64 and timestamps as epoch seconds."""
    if isinstance(value, Mapping):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(item) for item in value]
    if isinstance(value, (bytes, bytearray)):
        return b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    return value


def target_view(raw: Mapping[str, Any], region: str, source_arn: str) -> dict[str, Any]:
    """The record the input template and the HTTP parameters read."""
    record: dict[str, Any] = json_safe(raw)
    record["awsRegion"] = region  # moto always says us-east-1
    record["eventSourceARN"] = source_arn
    return record


def filter_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """The record the filter criteria are matched against: without the poller's fields."""
    return {name: value for name, value in record.items() if name not in POLLER_FIELDS}


def iso_time(timestamp: float) -> str:
    """Epoch seconds as ``2026-01-02T03:04:05.678Z``."""
    moment = dt.datetime.fromtimestamp(timestamp, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


publish()
