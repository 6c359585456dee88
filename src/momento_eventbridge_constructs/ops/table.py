"""Reading items back from a table, consistently, just before they are written to a cache.

``BatchGetItem`` takes up to 100 keys and may leave some unprocessed under load; those are
asked for again
(https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from publication import publish

__all__ = ["MAX_BATCH_KEYS", "read_items"]

MAX_BATCH_KEYS = 100
_MAX_ROUNDS = 8


def _identity(keys: Mapping[str, Any]) -> str:
    return json.dumps(keys, sort_keys=True, default=repr)


def read_items(
    dynamodb: Any, table_name: str, keys: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any] | None]:
    """The items under ``keys`` as they are now (``None`` for a missing one), in order.

    Raises:
        RuntimeError: when DynamoDB keeps leaving keys unprocessed.
    """
    found: dict[str, dict[str, Any]] = {}
    names = sorted({name for key in keys for name in key})
    for start in range(0, len(keys), MAX_BATCH_KEYS):
        wanted: list[Mapping[str, Any]] = list(keys[start : start + MAX_BATCH_KEYS])
        for attempt in range(_MAX_ROUNDS):
            if not wanted:
                break
            if attempt:
                time.sleep(min(0.05 * 2**attempt, 2.0))
            request = {table_name: {"Keys": wanted, "ConsistentRead": True}}
            answer = dynamodb.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(table_name, []):
                found[_identity({name: item[name] for name in names if name in item})] = item
            wanted = answer.get("UnprocessedKeys", {}).get(table_name, {}).get("Keys", [])
        if wanted:
            raise RuntimeError(f"DynamoDB left {len(wanted)} keys of {table_name} unprocessed")
    return [found.get(_identity(key)) for key in keys]


publish()
