"""The parts of the operating commands that need no server: pacing, state files, body
matching, stream ranges, names, rendering from a synthesized stack, and the command line."""

from __future__ import annotations

import json
import random
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from momento_eventbridge_constructs.cli import main
from momento_eventbridge_constructs.cli.status import CommandError as SetupError
from momento_eventbridge_constructs.ops.canary import Canary, body_matches, markers, ttl_sources
from momento_eventbridge_constructs.ops.definitions import load_definitions
from momento_eventbridge_constructs.ops.momento import Momento, MomentoCallError, momento_for_stack
from momento_eventbridge_constructs.ops.names import given_names
from momento_eventbridge_constructs.ops.pacing import Backoff, Interrupted, PacedWriter, RateLimiter
from momento_eventbridge_constructs.ops.records import RecordContext, stream_record
from momento_eventbridge_constructs.ops.render import MomentoCall, Skip, StackRenderer
from momento_eventbridge_constructs.ops.state import ScanState
from momento_eventbridge_constructs.ops.stream import (
    StreamExpired,
    read_range,
    table_name_of_stream,
)

from .._support import ENDPOINT
from .conftest import BULK_STACK, PIPES_STACK, SYNC_STACK

# -- pacing ---------------------------------------------------------------------------------


class _Waits(threading.Event):
    """An event that records the waits asked of it instead of sleeping."""

    def __init__(self) -> None:
        super().__init__()
        self.waits: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.waits.append(round(timeout or 0.0, 6))
        return self.is_set()


def test_the_rate_limiter_spaces_calls_and_pauses_every_caller() -> None:
    limiter = RateLimiter(10, clock=lambda: 100.0)
    stop = _Waits()
    for _ in range(3):
        limiter.acquire(stop)
    assert stop.waits == [0.1, 0.2]  # the first call goes at once
    limiter.pause(2.0)
    limiter.acquire(stop)
    assert stop.waits[-1] == 2.0
    stop.set()
    with pytest.raises(Interrupted):
        limiter.acquire(stop)


def test_backoff_grows_within_its_cap() -> None:
    backoff = Backoff(base=0.5, cap=4.0)
    rng = random.Random(7)
    for attempt, ceiling in [(0, 0.5), (1, 1.0), (2, 2.0), (3, 4.0), (9, 4.0)]:
        delay = backoff.delay(attempt, rng)
        assert ceiling / 2 <= delay <= ceiling


class _FlakyMomento:
    def __init__(self, answers: list[int]) -> None:
        self.answers = answers
        self.calls = 0

    def send(self, call: MomentoCall) -> None:
        status = self.answers[self.calls]
        self.calls += 1
        if status != 204:
            raise MomentoCallError(status, "answer")


def _call() -> MomentoCall:
    return MomentoCall("set", "Stack/Put", "PUT", "/cache/c", "key=k&ttl_seconds=1", {}, b"{}")


def test_the_writer_retries_429_and_5xx_and_gives_up_on_other_answers() -> None:
    retried: list[int] = []
    momento = _FlakyMomento([429, 503, 204])
    writer = PacedWriter(
        momento,  # type: ignore[arg-type]
        RateLimiter(1000),
        Backoff(0.001, 0.002, attempts=5),
        threading.Event(),
        on_retry=lambda error: retried.append(error.status),
    )
    produced: list[int] = []

    def produce() -> list[MomentoCall]:
        produced.append(1)  # every attempt reads the item again
        return [_call()]

    writer.send(produce)
    assert (momento.calls, retried, len(produced)) == (3, [429, 503], 3)

    refused = _FlakyMomento([400])
    with pytest.raises(MomentoCallError) as error:
        PacedWriter(refused, RateLimiter(1000), Backoff(0.001, 0.002), threading.Event()).send(  # type: ignore[arg-type]
            lambda: [_call()]
        )
    assert (error.value.status, refused.calls) == (400, 1)

    down = _FlakyMomento([503, 503, 503])
    with pytest.raises(MomentoCallError):
        PacedWriter(down, RateLimiter(1000), Backoff(0.001, 0.002, 3), threading.Event()).send(  # type: ignore[arg-type]
            lambda: [_call()]
        )
    assert down.calls == 3


def test_momento_errors_are_sorted_and_the_key_is_never_shown() -> None:
    assert MomentoCallError(0, "refused").transient
    assert MomentoCallError(429, "").transient and MomentoCallError(502, "").transient
    assert not MomentoCallError(400, "").transient
    assert MomentoCallError(401, "").fatal and MomentoCallError(404, "Cache Not Found").fatal
    assert not MomentoCallError(404, "Key Not Found").fatal
    momento = Momento("https://api.example.com/", "secret-key-123")
    assert "secret-key-123" not in f"{momento!r} {momento!s}"


# -- state file -------------------------------------------------------------------------------


def test_the_state_file_round_trips_binary_keys_and_refuses_other_options(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = ScanState(path, stack="S", table="T", segments=2)
    key = {"id": {"B": b"\x00\xff"}, "n": {"N": "3"}}
    state.advance(0, key)
    state.advance(1, None)
    resumed = ScanState(path, stack="S", table="T", segments=2)
    assert resumed.resumed and resumed.start_key(0) == key
    assert resumed.is_done(1) and not resumed.is_done(0) and resumed.done_count == 1
    with pytest.raises(SetupError, match="segments 2"):
        ScanState(path, stack="S", table="T", segments=4)
    with pytest.raises(SetupError, match="table 'T'"):
        ScanState(path, stack="S", table="Other", segments=2)


# -- bodies -----------------------------------------------------------------------------------


def test_markers_match_any_value_and_nothing_else_does() -> None:
    mark = markers()
    expected = json.dumps({"eventName": "INSERT", "sequenceNumber": mark["sequence_number"]})
    assert body_matches(b'{"eventName": "INSERT", "sequenceNumber": "4711"}', expected.encode())
    assert not body_matches(b'{"eventName": "MODIFY", "sequenceNumber": "1"}', expected.encode())
    assert not body_matches(b'{"sequenceNumber": "1", "eventName": "INSERT"}', expected.encode())
    text = f"seen {mark['event_id']} at {mark['created']}".encode()
    assert body_matches(b"seen abc at 17", text) and not body_matches(b"saw abc at 17", text)
    # Without markers: byte for byte (a body with its quotes stripped does not pass).
    assert body_matches(b'{"a": "b"}', b'{"a": "b"}')
    assert not body_matches(b"{a: b}", b'{"a": "b"}')


# -- stream ranges ----------------------------------------------------------------------------


class _Stream:
    def __init__(self, pages: list[list[int]], error: str | None = None) -> None:
        self.pages = pages
        self.error = error
        self.reads = 0

    def get_shard_iterator(self, **request: Any) -> Any:
        assert request["ShardIteratorType"] == "AT_SEQUENCE_NUMBER"
        if self.error:
            raise ClientError({"Error": {"Code": self.error, "Message": "m"}}, "GetShardIterator")
        return {"ShardIterator": "0"}

    def get_records(self, ShardIterator: str, Limit: int) -> Any:
        self.reads += 1
        index = int(ShardIterator)
        records = [
            {"dynamodb": {"SequenceNumber": str(n), "Keys": {"k": {"S": str(n)}}}}
            for n in self.pages[index]
        ]
        following = str(index + 1) if index + 1 < len(self.pages) else None
        return {"Records": records, "NextShardIterator": following}


def test_a_stream_range_is_read_to_its_end_and_no_further() -> None:
    stream = _Stream([[10, 11], [12, 13], [14]])
    found = read_range(stream, "arn", "shard", "11", "13")
    assert [r["dynamodb"]["SequenceNumber"] for r in found] == ["11", "12", "13"]
    assert stream.reads == 2
    for code in ("TrimmedDataAccessException", "ResourceNotFoundException"):
        with pytest.raises(StreamExpired):
            read_range(_Stream([], code), "arn", "shard", "1", "1")
    with pytest.raises(ClientError):
        read_range(_Stream([], "AccessDeniedException"), "arn", "shard", "1", "1")
    arn = "arn:aws:dynamodb:us-west-2:123456789012:table/Orders-1/stream/2026-01-01T00:00:00.000"
    assert table_name_of_stream(arn) == "Orders-1"


# -- the stacks, read from the cloud assembly -------------------------------------------------


def test_definitions_name_each_path_its_cache_queue_and_ttl(ops_assembly: Path) -> None:
    pipes = load_definitions(ops_assembly, PIPES_STACK)
    (table_id,) = pipes.cache_tables()
    assert [p.kind for p in pipes.pipes] == ["set", "delete", "publish"]
    assert {p.cache for p in pipes.pipes} == {"orders"}
    assert pipes.pipes[2].topic == "order-changes"
    assert len(pipes.dead_letter_ids()) == 1
    assert pipes.tables[table_id].ttl_attribute == "expiresAt"
    assert pipes.endpoint == ENDPOINT
    (ttl,) = ttl_sources(pipes, table_id)
    assert (ttl.attribute, ttl.epoch) == ("ttl", False)

    sync = load_definitions(ops_assembly, SYNC_STACK)
    (path,) = sync.syncs
    assert (path.cache, path.topic) == ("readings", "reading-changes")
    (ttl,) = ttl_sources(sync, path.table_id)
    assert (ttl.attribute, ttl.epoch) == ("expiresAt", True)
    canary = Canary.create(sync, path.table_id)
    assert canary.keys["station"]["S"].startswith("momento-eventbridge-constructs-canary-")
    assert canary.keys["day"]["N"].startswith("-7")
    assert int(canary.item(1)["expiresAt"]["N"]) > time.time()


def _record(table: Any, event: str, item: dict[str, Any]) -> dict[str, Any]:
    context = RecordContext("us-west-2", "arn:aws:dynamodb:us-west-2:1:table/T/stream/x")
    keys = {name: item[name] for name in table.key_names}
    image = None if event == "REMOVE" else item
    return stream_record(event, table, context, keys=keys, new_image=image)


def test_a_record_renders_as_the_stack_renders_it(ops_assembly: Path) -> None:
    pipes = load_definitions(ops_assembly, PIPES_STACK)
    (table_id,) = pipes.cache_tables()
    renderer = StackRenderer(pipes, table_id)
    item = {"OrderId": {"S": "A 1"}, "ttl": {"N": "90"}}
    put, skipped, publish = renderer.calls(_record(renderer.table, "INSERT", item))
    assert isinstance(put, MomentoCall) and isinstance(skipped, Skip)
    assert (put.method, put.path, put.query) == ("PUT", "/cache/orders", "key=A%201&ttl_seconds=90")
    assert put.body == b'{"item": {"OrderId": {"S": "A 1"}, "ttl": {"N": "90"}}}'
    assert skipped.kind == "delete" and "filter" in skipped.reason
    assert isinstance(publish, MomentoCall) and publish.headers["Content-Type"] == "text/plain"

    bulk = load_definitions(ops_assembly, BULK_STACK)
    (bulk_table,) = bulk.cache_tables()
    renderer = StackRenderer(bulk, bulk_table)
    removal = renderer.removal_calls(_record(renderer.table, "REMOVE", {"id": {"S": "x"}}))
    # No delete pipe: the set pipe's key still tells what to evict.
    assert [(c.method, c.query) for c in removal if isinstance(c, MomentoCall)] == [
        ("DELETE", "key=x")
    ]


def test_given_names_and_the_stack_endpoint(ops_assembly: Path) -> None:
    pipes = load_definitions(ops_assembly, PIPES_STACK)
    (table_id,) = pipes.cache_tables()
    assert given_names(pipes, table_names=["orders-prod"]) == {table_id: "orders-prod"}
    assert given_names(pipes, resources=[f"{PIPES_STACK}/Orders=orders-2"]) == {
        table_id: "orders-2"
    }
    with pytest.raises(SetupError, match="expected LOGICAL_ID_OR_PATH=PHYSICAL_NAME"):
        given_names(pipes, resources=["no-equals-sign"])
    with pytest.raises(SetupError, match="--resource"):
        given_names(pipes, resources=["Nope=x"])
    momento = momento_for_stack(pipes, None, None, {"MOMENTO_API_KEY": "k"})  # type: ignore[arg-type]
    assert momento.endpoint == ENDPOINT


# -- command line -----------------------------------------------------------------------------


@pytest.mark.parametrize("command", ["backfill", "redrive", "verify"])
def test_every_command_explains_itself(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    text = capsys.readouterr().out
    assert 'pip install "momento-eventbridge-constructs[local]"' in text
    assert "Exit status: 0" in text and "2 usage or setup error" in text


def test_usage_and_setup_errors_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["backfill", str(tmp_path)])  # no --stack
    assert done.value.code == 2
    assert main(["backfill", str(tmp_path), "--stack", "S"]) == 2
    assert "is not a cloud assembly" in capsys.readouterr().err
    assert main(["backfill", str(tmp_path), "--stack", "S", "--max-rate", "0"]) == 2
    assert "--max-rate must be more than 0" in capsys.readouterr().err
