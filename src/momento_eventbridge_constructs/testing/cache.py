"""Wait until the cache matches the table for given keys, as the stack keeps it.

For every key, the item is read from the table (consistently) and the stack's own pipes and
syncs say what the cache must hold: the body a set pipe or sync renders for the item (after
its filters; parts only the stream knows, such as the event ID or sequence number, match any
value), or nothing when the table has no such item (or its DynamoDB TTL has passed). The
expectation is worked out by the code the ``backfill`` and ``redrive`` commands use, and is
compared with what the runtime's Momento holds until they agree.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from publication import publish

from ..ops.canary import body_matches, markers
from ..ops.definitions import TableDefinition, read_definitions
from ..ops.records import RecordContext, describe_key, stream_record
from ..ops.render import MomentoCall, RenderError, StackRenderer

if TYPE_CHECKING:
    from ..local.runtime import LocalPipeline

__all__ = ["CacheMismatch", "wait_for_cache"]


@dataclass(frozen=True)
class CacheMismatch:
    """One cache entry that is not what the stack writes for the table's item."""

    key: str
    """The table key, e.g. ``Location=Oslo``."""
    cache: str
    expected: str
    found: str

    def __str__(self) -> str:
        return f"{self.key}: cache {self.cache} holds {self.found}; expected {self.expected}"


def _text(value: bytes | None) -> str:
    return "nothing" if value is None else value.decode("utf-8", errors="replace")[:300]


def _attribute_value(value: Any, type_code: str) -> dict[str, Any]:
    """A key value as DynamoDB's attribute-value form (given as such, or as plain data)."""
    if isinstance(value, Mapping):
        return dict(value)
    if type_code == "N" and isinstance(value, (int, float, Decimal, str)):
        return {"N": str(value)}
    if type_code == "B" and isinstance(value, (bytes, bytearray)):
        return {"B": bytes(value)}
    if type_code == "S" and isinstance(value, str):
        return {"S": value}
    raise TypeError(f"key value {value!r} does not fit the table's key type {type_code}")


def _table_path(table: object) -> str:
    """A logical ID or construct path, or the construct path of a table construct."""
    if isinstance(table, str):
        return table
    path = getattr(getattr(table, "node", None), "path", None)
    if not isinstance(path, str):
        raise TypeError(f"table must be a logical ID, a construct path or a table, not {table!r}")
    return path


class _CacheCheck:
    """What the cache must hold for keys of one table, and whether it does."""

    def __init__(self, lp: LocalPipeline, table: object) -> None:
        self._lp = lp
        self.table_id = lp.stack.logical_id(_table_path(table))
        self.table_name = lp.table_name(self.table_id)
        definitions = read_definitions(
            lp.stack,
            refs=lp.physical_ids,
            parameters=lp.parameters,
            account=lp.aws.account_id,
            region=lp.aws.region,
        )
        if self.table_id not in definitions.tables:
            raise KeyError(f"{table} is not a table of stack {lp.stack.artifact_id}")
        self.table: TableDefinition = definitions.tables[self.table_id]
        pipe_names = {pipe.logical_id: pipe.name for pipe in lp.pipes}
        self._renderer = StackRenderer(definitions, self.table_id, pipe_names=pipe_names)
        stream = lp.dynamodb.describe_table(TableName=self.table_name)["Table"]
        marks = markers()
        self._context = RecordContext(
            lp.aws.region,
            str(stream.get("LatestStreamArn", "")),
            event_id=marks["event_id"],
            sequence_number=marks["sequence_number"],
            created=marks["created"],
            size=marks["size"],
        )

    def key(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """``given`` as a DynamoDB key of the table."""
        types = dict(self.table.keys)
        unknown = set(given) - set(types)
        if unknown or len(given) != len(types):
            raise KeyError(
                f"a key of table {self.table.path} has the attributes "
                f"{', '.join(types)}; got {', '.join(given) or 'none'}"
            )
        return {name: _attribute_value(value, types[name]) for name, value in given.items()}

    def _expected(self, key: dict[str, Any]) -> list[MomentoCall]:
        item = self._lp.dynamodb.get_item(
            TableName=self.table_name, Key=key, ConsistentRead=True
        ).get("Item")
        if item is not None and self._renderer.expired(item) is None:
            record = stream_record("INSERT", self.table, self._context, keys=key, new_image=item)
            rendered = self._renderer.calls(record)
        else:
            record = stream_record("REMOVE", self.table, self._context, keys=key, old_image=item)
            rendered = self._renderer.removal_calls(record)
        return [c for c in rendered if isinstance(c, MomentoCall) and c.is_cache_call]

    def mismatches(self, key: dict[str, Any]) -> list[CacheMismatch]:
        """The cache entries of ``key`` that are not as the stack writes them."""
        label = describe_key(key)
        try:
            calls = self._expected(key)
        except RenderError as error:
            return [CacheMismatch(label, error.source, "a body the stack can render", str(error))]
        found: list[CacheMismatch] = []
        for call in calls:
            value = self._lp.momento.get(call.cache, call.key_query)
            if call.method == "DELETE":
                if value is not None:
                    found.append(CacheMismatch(label, call.cache, "nothing", _text(value)))
            elif value is None or not body_matches(value, call.body or b""):
                found.append(CacheMismatch(label, call.cache, _text(call.body), _text(value)))
        return found


def wait_for_cache(
    lp: LocalPipeline,
    table: object,
    keys: Sequence[Mapping[str, Any]],
    *,
    timeout: float = 10.0,
    interval: float = 0.05,
) -> None:
    """Return once, for every key, the cache holds what the stack writes for the table's item.

    Args:
        lp: a started :class:`~momento_eventbridge_constructs.local.LocalPipeline`.
        table: the table: a logical ID, a construct path, or the table construct itself.
        keys: the keys to check, e.g. ``[{"Location": "Oslo"}]``; values as plain data
            (``str`` for S, numbers for N, ``bytes`` for B) or in attribute-value form
            (``{"Location": {"S": "Oslo"}}``).
        timeout: seconds to wait (default 10).
        interval: seconds between two looks (default 0.05).

    Raises:
        AssertionError: when some key still does not match after ``timeout`` seconds; the
            message lists what each cache holds and what the stack would write.
        KeyError, TypeError: for a table or key that does not fit the stack.
    """
    check = _CacheCheck(lp, table)
    wanted = [check.key(key) for key in keys]
    deadline = time.monotonic() + timeout
    while True:
        problems = [problem for key in wanted for problem in check.mismatches(key)]
        if not problems:
            return
        if time.monotonic() >= deadline:
            lines = "\n".join(f"  {problem}" for problem in problems)
            raise AssertionError(
                f"the cache does not match table {check.table.path} after {timeout:g} s:\n{lines}"
            )
        time.sleep(interval)


publish()
