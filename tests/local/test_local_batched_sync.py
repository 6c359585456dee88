"""DynamoToMomentoSync with batch_size above 1, run end to end by the local runtime.

The pipe hands the state machine up to ``batch_size`` records of a shard at once; the
execution applies the last change of each key, then announces every change in one message.
Writes are made before the pipes start (``TRIM_HORIZON``), so each test knows which records
share a batch.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb

from momento_eventbridge_constructs import DynamoToMomentoSync, MomentoOperation
from momento_eventbridge_constructs.local import LocalPipeline

from .._iam import IamSimulateAuthorizer
from .._support import ENDPOINT, ENV, destinations
from ._momento import cached as cached_value
from ._momento import local_server

pytestmark = pytest.mark.slow

CACHE = "readings"
TOPIC = "reading-changes"
STACK = "BatchedSyncStack"
BATCH = 10


def build(app: cdk.App) -> None:
    stack = cdk.Stack(app, STACK, env=ENV)
    connection = destinations(stack)[MomentoOperation.CACHE_SET].connection
    assert connection is not None
    readings = dynamodb.Table(
        stack,
        "Readings",
        partition_key=dynamodb.Attribute(name="station", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    )
    DynamoToMomentoSync(
        stack,
        "Sync",
        table=readings,
        connection=connection,
        endpoint=ENDPOINT,
        cache_name=CACHE,
        topic_name=TOPIC,
        batch_size=BATCH,
        max_concurrency=4,
        max_retry_attempts=1,
        starting_position="TRIM_HORIZON",
    )
    gathered = dynamodb.Table(
        stack,
        "Gathered",
        partition_key=dynamodb.Attribute(name="station", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    )
    DynamoToMomentoSync(
        stack,
        "GatheredSync",
        table=gathered,
        connection=connection,
        endpoint=ENDPOINT,
        cache_name="gathered",
        batch_size=BATCH,
        max_batching_window=cdk.Duration.seconds(1),
    )


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("batched-sync") / "cdk.out"
    app = cdk.App(outdir=str(outdir))
    build(app)
    app.synth()
    return outdir


@pytest.fixture
def lp(assembly: Path, iam_authorizer: IamSimulateAuthorizer) -> Iterator[LocalPipeline]:
    with LocalPipeline.from_cloud_assembly(
        assembly,
        STACK,
        state_machine_retry_scale=0.01,
        retry_base_delay=0.01,
        authorizer=iam_authorizer,
        autostart_pipes=False,
    ) as pipeline:
        yield pipeline
    assert iam_authorizer.errors == []


def put(lp: LocalPipeline, station: str, temp: int, table: str = "Readings") -> None:
    lp.dynamodb.put_item(
        TableName=lp.table_name(f"{STACK}/{table}"),
        Item={"station": {"S": station}, "temp": {"N": str(temp)}},
    )


def delete(lp: LocalPipeline, station: str) -> None:
    lp.dynamodb.delete_item(
        TableName=lp.table_name(f"{STACK}/Readings"), Key={"station": {"S": station}}
    )


def cached(lp: LocalPipeline, key: str) -> Any:
    return cached_value(lp, key, CACHE)


def executions(lp: LocalPipeline, pipe: str = "Sync") -> list[list[dict[str, Any]]]:
    """The input of each execution the pipe started, in order."""
    name = lp.pipe(f"{STACK}/{pipe}/Pipe").name
    bodies = [e.body for e in lp.events(name) if e.outcome == "delivered"]
    unique: list[str] = []
    for body in bodies:
        if not unique or unique[-1] != body:
            unique.append(str(body))
    return [json.loads(body) for body in unique]


def test_the_pipe_sends_up_to_batch_size_records_per_execution(lp: LocalPipeline) -> None:
    assert lp.pipe(f"{STACK}/Sync/Pipe").batch_size == BATCH
    for index in range(25):
        put(lp, f"S{index}", index)
    lp.start_pipes()
    lp.drain(timeout=60)
    assert [len(batch) for batch in executions(lp)] == [10, 10, 5]
    for index in range(25):
        assert cached(lp, f"S{index}")["item"]["temp"] == {"N": str(index)}


def test_bursts_on_one_key_end_as_the_table_with_fewer_calls(lp: LocalPipeline) -> None:
    put(lp, "Lima", 1)
    delete(lp, "Lima")
    put(lp, "Lima", 2)
    put(lp, "Oslo", 1)
    put(lp, "Oslo", 2)
    delete(lp, "Oslo")
    delete(lp, "Bern")  # deleting what never was: no record
    put(lp, "Quito", 1)
    lp.start_pipes()
    lp.drain(timeout=60)
    assert cached(lp, "Lima")["item"]["temp"] == {"N": "2"}
    assert cached(lp, "Oslo") is None
    assert cached(lp, "Quito")["item"]["temp"] == {"N": "1"}
    writes = [r for r in local_server(lp).requests if r.method in ("PUT", "DELETE")]
    assert sorted((r.method, r.query["key"][0]) for r in writes) == [
        ("DELETE", "Oslo"),
        ("PUT", "Lima"),
        ("PUT", "Quito"),
    ]
    assert lp.dead_letters() == []


def test_every_change_is_announced_in_stream_order_once_per_batch(lp: LocalPipeline) -> None:
    put(lp, "Lima", 1)
    put(lp, "Oslo", 1)
    delete(lp, "Lima")
    put(lp, "Oslo", 2)
    put(lp, "Lima", 3)
    lp.start_pipes()
    lp.drain(timeout=60)
    messages = [json.loads(m) for m in lp.momento.messages(CACHE, TOPIC)]
    notices = [notice for message in messages for notice in message["changes"]]
    assert [(n["keys"]["station"]["S"], n["eventName"]) for n in notices] == [
        ("Lima", "INSERT"),
        ("Oslo", "INSERT"),
        ("Lima", "REMOVE"),
        ("Oslo", "MODIFY"),
        ("Lima", "INSERT"),
    ]
    sequences = [int(n["sequenceNumber"]) for n in notices]
    assert sequences == sorted(sequences)
    assert len(messages) == len(executions(lp))  # one message per batch


def test_a_key_failing_every_retry_is_one_dead_letter_with_all_its_changes(
    lp: LocalPipeline,
) -> None:
    put(lp, "Bern", 1)
    put(lp, "Bern", 2)
    delete(lp, "Bern")
    put(lp, "Bern", 3)
    local_server(lp).inject_failures(500, 4, method="PUT")  # 1 try + 3 retries
    lp.start_pipes()
    lp.drain(timeout=60)
    assert cached(lp, "Bern") is None
    (letter,) = lp.dead_letters()
    assert letter["source"] == "DynamoToMomentoSync"
    assert (letter["momentoKey"], letter["stage"]) == ("Bern", "cache")
    assert letter["error"] == "States.Http.StatusCode.500"
    assert [c["eventName"] for c in letter["changes"]] == ["INSERT", "MODIFY", "REMOVE", "INSERT"]
    sequences = [int(c["sequenceNumber"]) for c in letter["changes"]]
    assert sequences == sorted(sequences) and str(sequences[-1]) == letter["sequenceNumber"]
    assert [r.status for r in local_server(lp).requests if r.method == "PUT"] == [500] * 4


def test_the_batching_window_gathers_records_written_after_the_first(
    lp: LocalPipeline,
) -> None:
    """With a window, a worker reads on until the batch is full or the window has passed."""
    assert lp.pipe(f"{STACK}/GatheredSync/Pipe").maximum_batching_window_seconds == 1
    assert lp.pipe(f"{STACK}/Sync/Pipe").maximum_batching_window_seconds == 0
    lp.start_pipes()
    put(lp, "A", 1, "Gathered")
    time.sleep(0.3)
    put(lp, "B", 1, "Gathered")
    put(lp, "C", 1, "Gathered")
    lp.drain(timeout=30)
    assert [len(batch) for batch in executions(lp, "GatheredSync")] == [3]
    assert cached_value(lp, "C", "gathered") is not None


def test_put_then_delete_rounds_in_batches_end_exactly_as_the_table(lp: LocalPipeline) -> None:
    """200 rounds of put→delete and delete→put of 20 keys, applied in batches while they are
    written: the cache ends as the table, with the last values, and nothing is dead-lettered."""
    lp.start_pipes()
    expected: dict[str, bool] = {}
    for index in range(200):
        station = f"R{index % 20}"
        if index % 2 == 0:
            put(lp, station, index)
            delete(lp, station)
            expected[station] = False
        else:
            delete(lp, station)
            put(lp, station, index)
            expected[station] = True
    lp.drain(timeout=240)
    items = lp.dynamodb.scan(TableName=lp.table_name(f"{STACK}/Readings"))["Items"]
    in_table = {item["station"]["S"]: item["temp"]["N"] for item in items}
    assert in_table.keys() == {key for key, present in expected.items() if present}
    for key, present in expected.items():
        value = cached(lp, key)
        assert (value is not None) == present, key
        if present:
            assert value["item"]["temp"] == {"N": in_table[key]}
    assert lp.dead_letters() == []
    assert max(len(batch) for batch in executions(lp)) > 1  # the rounds did share batches


def test_injected_latencies_delay_each_execution_and_each_momento_call(
    assembly: Path, iam_authorizer: IamSimulateAuthorizer
) -> None:
    """Off by default; given, each pipe invocation and each Momento answer waits first."""
    with LocalPipeline.from_cloud_assembly(
        assembly,
        STACK,
        retry_base_delay=0.01,
        authorizer=iam_authorizer,
        autostart_pipes=False,
        execution_latency=lambda: 0.3,
        momento_latency=lambda: 0.1,
    ) as slow:
        for station in ("A", "B", "C"):
            put(slow, station, 1)
        started = time.monotonic()
        slow.start_pipes()
        slow.drain(timeout=30)
        elapsed = time.monotonic() - started
        assert [len(batch) for batch in executions(slow)] == [3]
        # One execution (0.3 s), then three sets in parallel (0.1 s), then the batch's one
        # announcement (0.1 s).
        assert elapsed >= 0.5
        assert cached(slow, "C") is not None


def test_a_batch_over_the_payload_cap_is_sent_in_parts_that_fit(lp: LocalPipeline) -> None:
    """Ten records of about 40,000 characters: no execution input passes the 262,144
    characters Pipes sends a state machine, and every record is applied."""
    for index in range(10):
        lp.dynamodb.put_item(
            TableName=lp.table_name(f"{STACK}/Readings"),
            Item={"station": {"S": f"Big{index}"}, "temp": {"N": "1"}, "text": {"S": "x" * 40_000}},
        )
    lp.start_pipes()
    lp.drain(timeout=60)
    name = lp.pipe(f"{STACK}/Sync/Pipe").name
    bodies = {str(e.body) for e in lp.events(name) if e.outcome == "delivered"}
    assert len(bodies) > 1 and all(len(body) <= 262_144 for body in bodies)
    assert sum(len(json.loads(body)) for body in bodies) == 10
    for index in range(10):
        assert cached(lp, f"Big{index}")["item"]["text"] == {"S": "x" * 40_000}
    assert lp.dead_letters() == []
