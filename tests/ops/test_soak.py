"""The batched sync's soak: 10,000 changes of hot and cold keys while Momento answers 10% of
calls with 429 or 500, and twice goes down for a moment. After the pipe and ``redrive`` the
cache holds exactly the table, nothing is lost and no dead letter is left.

What it does not depend on: the topic's message format (only the cache is compared).
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pytest

from momento_eventbridge_constructs.ops import RedriveOptions, run_redrive

from .._support import TextSink
from .conftest import BATCHED_SYNC_STACK, SYNC_CACHE

pytestmark = pytest.mark.slow

CHANGES = 10_000
KEYS = 200
DELETES = 0.2
RANDOM_FAILURES = 0.1
# BatchWriteItem takes at most 25 requests, none two for one item
# (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html).
WRITES_PER_CALL = 25
# An outage answers this many calls in a row with one status. One execution runs at a time
# (one shard) with at most 10 keys in flight (the Map's MaxConcurrency); a call survives at
# most 3 failures (4 attempts), so 10 x 3 = 30 failures can be absorbed without a dead
# letter: 40 in a row leave at least one, whatever the random failures around them do.
OUTAGE = 40
OUTAGES = ((CHANGES // 3, 429), (2 * CHANGES // 3, 500))


@dataclass(frozen=True)
class Change:
    """One write of the soak: ``temp`` None deletes the item."""

    station: str
    temp: int | None


def _changes(choose: random.Random) -> list[Change]:
    """Zipf-like keys (station k with weight 1/(k+1)): a few hot keys whose changes share a
    batch, a long tail of cold ones; a fifth of the changes delete."""
    stations = [f"K{rank}" for rank in range(KEYS)]
    weights = [1 / (rank + 1) for rank in range(KEYS)]
    picks = choose.choices(stations, weights, k=CHANGES)
    return [
        Change(station, None if choose.random() < DELETES else index)
        for index, station in enumerate(picks)
    ]


def _calls(changes: Sequence[Change]) -> Iterator[list[Change]]:
    """Consecutive changes, up to 25 at a time and never two of one key in a call, so the
    stream holds them in the order given."""
    call: list[Change] = []
    for change in changes:
        if len(call) == WRITES_PER_CALL or any(c.station == change.station for c in call):
            yield call
            call = []
        call.append(change)
    if call:
        yield call


def _key(station: str) -> dict[str, Any]:
    return {"station": {"S": station}, "day": {"N": "1"}}


def _request(change: Change, far: str) -> dict[str, Any]:
    if change.temp is None:
        return {"DeleteRequest": {"Key": _key(change.station)}}
    item = {**_key(change.station), "temp": {"N": str(change.temp)}, "expiresAt": {"N": far}}
    return {"PutRequest": {"Item": item}}


def _write(deployed: Any, table: str, changes: Sequence[Change]) -> dict[str, Any]:
    """Write the changes while the pipe runs, with the outages at their points; return what
    the table must hold at the end, by Momento key (None: deleted)."""
    far = str(int(time.time()) + 3600)
    outages = dict(OUTAGES)
    expected: dict[str, Any] = {}
    written = 0
    for call in _calls(changes):
        requests = [_request(change, far) for change in call]
        response = deployed.lp.dynamodb.batch_write_item(RequestItems={table: requests})
        assert not response.get("UnprocessedItems")
        for change, request in zip(call, requests, strict=True):
            expected[f"{change.station}#1"] = request.get("PutRequest", {}).get("Item")
            status = outages.pop(written, None)
            if status is not None:
                deployed.server.inject_failures(status, OUTAGE)
            written += 1
    return expected


def test_a_batched_soak_with_random_429_and_500_ends_as_the_table_after_redrive(
    deploy: Any,
) -> None:
    started = time.monotonic()
    deployed = deploy(BATCHED_SYNC_STACK)
    table = deployed.table("Readings")
    deployed.server.inject_random_failures(RANDOM_FAILURES, (429, 500), seed=18)
    expected = _write(deployed, table, _changes(random.Random(18)))
    deployed.lp.drain(timeout=600)
    deployed.server.clear_failures()
    failures = deployed.server.failures_answered
    letters = deployed.lp.dead_letters()
    soaked = time.monotonic()

    report = run_redrive(
        deployed.context(), RedriveOptions(receive_wait_seconds=0), TextSink(), TextSink()
    )

    print(  # shown with -s: what the soak did and how long it took
        f"soak: {CHANGES} changes of {len(expected)} keys, {failures} failures answered, "
        f"{len(letters)} dead letters, {soaked - started:.0f} s; redrive "
        f"{time.monotonic() - soaked:.1f} s"
    )
    assert failures > 500, "the soak injected too few failures"
    assert len(letters) >= len(OUTAGES), "the outages left no dead letter: redrive untested"
    assert report.exit_status == 0 and not report.left
    assert report.tally["messages redriven"] == len(letters)
    assert deployed.queue_depth() == 0
    scanned = deployed.lp.dynamodb.scan(TableName=table, ConsistentRead=True)
    assert "LastEvaluatedKey" not in scanned
    items = scanned["Items"]
    in_table = {f"{item['station']['S']}#{item['day']['N']}": item for item in items}
    cached = {
        key.decode(): json.loads(value) for key, value in deployed.server.items(SYNC_CACHE).items()
    }
    assert cached == {key: {"item": item} for key, item in in_table.items()}
    # Nothing lost: every key the soak touched is in the table with its last write and
    # cached so, or gone from both.
    assert in_table == {key: item for key, item in expected.items() if item is not None}
