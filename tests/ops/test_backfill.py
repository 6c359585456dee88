"""backfill, end to end through the local runtime: exact bodies, keys and TTLs, resumption,
a Momento outage, poison items, a dry run, and a sync."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from momento_eventbridge_constructs.ops import BackfillOptions, run_backfill
from momento_eventbridge_constructs.ops.pacing import Backoff

from .._support import TextSink
from ._weather import WEATHER_BODIES, WEATHER_CACHE, WEATHER_TTLS, weather_items
from .conftest import BULK_STACK, CACHE, PIPES_STACK, SYNC_CACHE, SYNC_STACK

pytestmark = pytest.mark.slow

FAST = Backoff(base=0.01, cap=0.05, attempts=100)


def _puts(requests: list[Any], path: str) -> dict[str, tuple[bytes, str]]:
    """Key -> (body, ttl_seconds) of the PUT requests to one cache; a key is set only once."""
    found: dict[str, tuple[bytes, str]] = {}
    for request in requests:
        if request.method == "PUT" and request.path == path and request.status == 204:
            key = request.query["key"][0]
            assert key not in found, f"{key} written twice"
            found[key] = (request.body, request.query["ttl_seconds"][0])
    return found


def _write(lp: Any, table: str, items: list[dict[str, Any]]) -> None:
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        lp.dynamodb.batch_write_item(RequestItems={table: batch})


def _bulk_items(count: int) -> list[dict[str, Any]]:
    return [
        {
            "id": {"S": f"item {n:04d} ü/#&"},
            "n": {"N": str(n)},
            "blob": {"B": n.to_bytes(2, "big")},
            "tags": {"SS": [f"t{n % 7}", "all"]},
            "nested": {"M": {"even": {"BOOL": n % 2 == 0}, "none": {"NULL": True}}},
            "ttl": {"N": str(60 + n)},
        }
        for n in range(count)
    ]


def _rendered_by_the_runtime(deployed: Any) -> dict[str, tuple[bytes, str]]:
    """What the running pipe's own target renders for every INSERT record of the stream."""
    from momento_eventbridge_constructs.engine.records import target_view
    from momento_eventbridge_constructs.engine.templates import PipeContext
    from momento_eventbridge_constructs.local.target import HttpTarget

    (pipe,) = deployed.lp.pipes
    streams = deployed.lp.aws.streams()
    (shard,) = streams.describe_stream(StreamArn=pipe.source_arn)["StreamDescription"]["Shards"]
    iterator = streams.get_shard_iterator(
        StreamArn=pipe.source_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    target = HttpTarget(deployed.lp.momento_endpoint, 5.0)
    found: dict[str, tuple[bytes, str]] = {}
    while iterator:
        page = streams.get_records(ShardIterator=iterator, Limit=1000)
        if not page["Records"]:
            break
        for raw in page["Records"]:
            record = target_view(raw, deployed.lp.aws.region, pipe.source_arn)
            request = target.render(pipe, record, PipeContext())
            query = parse_qs(urlsplit(request.url).query)
            found[query["key"][0]] = (request.body.encode(), query["ttl_seconds"][0])
        iterator = page.get("NextShardIterator")
    return found


def test_2000_items_are_written_exactly_as_the_pipe_writes_them(
    deploy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed = deploy(BULK_STACK, autostart_pipes=False)
    table = deployed.table("Items")
    items = _bulk_items(2000)
    # The running pipe (LATEST) writes the last 200; its target renders all 2,000.
    _write(deployed.lp, table, items[:1800])
    deployed.lp.start_pipes()
    _write(deployed.lp, table, items[1800:])
    deployed.lp.drain(timeout=60)
    by_pipe = _puts(deployed.server.requests, "/cache/items")
    assert len(by_pipe) == 200
    expected = _rendered_by_the_runtime(deployed)
    assert len(expected) == 2000
    before = len(deployed.server.requests)

    status = deployed.cli(
        "backfill", "--table-name", table, "--max-rate", "100000", "--segments", "4"
    )

    assert status == 0
    # Every key, body and TTL as the pipe writes it for the INSERT, each written once.
    written = _puts(deployed.server.requests[before:], "/cache/items")
    assert written == expected
    assert {key: written[key] for key in by_pipe} == by_pipe
    output = capsys.readouterr()
    assert "complete" in output.out and "written: 2000" in output.out
    assert f"backfill {table}: 2000 read, 2000 written" in output.err


@pytest.mark.parametrize("stack", ["WeatherStack", "WeatherSyncStack"])
def test_weather_items_are_backfilled_with_the_bodies_keys_and_ttls_written_out(
    deploy: Any, stack: str
) -> None:
    deployed = deploy(stack, autostart_pipes=False)
    table = deployed.table("WeatherTable")
    _write(deployed.lp, table, weather_items())

    assert deployed.cli("backfill", "--table-name", table, "--max-rate", "5000") == 0

    written = _puts(deployed.server.requests, WEATHER_CACHE)
    assert written == {
        key: (body, WEATHER_TTLS[key]) for key, body in WEATHER_BODIES[stack].items()
    }
    assert {r.method for r in deployed.server.requests} == {"PUT"}  # nothing announced


def test_an_interrupted_backfill_resumes_after_its_last_finished_pages(
    deploy: Any, tmp_path: Path
) -> None:
    deployed = deploy(BULK_STACK, autostart_pipes=False)
    table = deployed.table("Items")
    _write(deployed.lp, table, _bulk_items(1000))
    state = tmp_path / "state.json"
    options = BackfillOptions(max_rate=1000, segments=4, page_size=50, state_file=state)
    stop = threading.Event()

    def interrupt() -> None:
        while len(deployed.server.requests) < 300 and not stop.is_set():
            time.sleep(0.005)
        stop.set()

    watcher = threading.Thread(target=interrupt)
    watcher.start()
    first = run_backfill(deployed.context(), options, TextSink(), TextSink(), stop)
    watcher.join()
    first_keys = set(_puts(deployed.server.requests, "/cache/items"))
    assert (first.status, first.exit_status) == ("interrupted", 1)
    assert 300 <= len(first_keys) < 1000
    assert state.exists()

    before = len(deployed.server.requests)
    second = run_backfill(deployed.context(), options, TextSink(), TextSink())
    second_keys = set(_puts(deployed.server.requests[before:], "/cache/items"))
    assert (second.status, second.exit_status) == ("complete", 0)
    # The finished pages were not read again; everything else was written.
    assert len(second_keys) < 1000
    assert first_keys | second_keys == {item["id"]["S"] for item in _bulk_items(1000)}
    assert len(deployed.server.items("items")) == 1000

    out = TextSink()
    run_backfill(deployed.context(), options, out, TextSink())
    assert "every segment is done" in out.text


def test_momento_down_then_back(deploy: Any, tmp_path: Path) -> None:
    deployed = deploy(BULK_STACK, autostart_pipes=False)
    table = deployed.table("Items")
    _write(deployed.lp, table, _bulk_items(200))

    # A short outage: the retries ride it out.
    deployed.server.inject_failures(503, 40, method="PUT")
    report = run_backfill(
        deployed.context(), BackfillOptions(max_rate=5000, backoff=FAST), TextSink(), TextSink()
    )
    assert (report.status, report.tally["written"], report.tally["retries"]) == (
        "complete",
        200,
        40,
    )
    assert len(deployed.server.items("items")) == 200

    # A long one: the run stops with its state kept, and finishes once Momento is back.
    state = tmp_path / "state.json"
    deployed.server.inject_failures(503, 10_000, method="PUT")
    options = BackfillOptions(
        max_rate=5000, page_size=20, state_file=state, backoff=Backoff(0.01, 0.02, attempts=3)
    )
    out = TextSink()
    stopped = run_backfill(deployed.context(), options, out, TextSink())
    assert (stopped.status, stopped.exit_status) == ("aborted", 1)
    assert "Momento answered 503" in out.text and "resume: run the same command again" in out.text
    deployed.server.clear_failures()
    resumed = run_backfill(deployed.context(), options, TextSink(), TextSink())
    assert (resumed.status, resumed.exit_status, resumed.tally["written"]) == ("complete", 0, 200)


def test_poison_and_expired_items_are_reported_and_the_rest_written_never_announced(
    deploy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed = deploy(PIPES_STACK, autostart_pipes=False)
    table = deployed.table("Orders")
    now = int(time.time())
    good = [{"OrderId": {"S": f"good {n}"}, "ttl": {"N": "300"}} for n in range(20)]
    poison = [
        {"OrderId": {"S": "no ttl"}},  # the set pipe reads NewImage.ttl.N
        {"OrderId": {"S": "zero ttl"}, "ttl": {"N": "0"}},  # Momento refuses a TTL of 0
        {"OrderId": {"S": "expired"}, "ttl": {"N": "300"}, "expiresAt": {"N": str(now - 60)}},
    ]
    _write(deployed.lp, table, good + poison)

    status = deployed.cli("backfill", "--table-name", table, "--max-rate", "5000")

    assert status == 1
    assert set(deployed.server.items(CACHE)) == {f"good {n}".encode() for n in range(20)}
    assert not [r for r in deployed.server.requests if r.method == "POST"]
    out = capsys.readouterr().out
    assert "written: 20" in out and "skipped: 1" in out and "failed: 2" in out
    assert "JSON path $.dynamodb.NewImage.ttl.N does not exist" in out
    assert "OrderId=no ttl" in out and "OrderId=zero ttl" in out
    assert "Momento answered 400: ttl_seconds must be positive" in out
    assert "expired: the table's TTL attribute expiresAt has passed" in out


def test_a_dry_run_prints_the_writes_and_makes_none(
    deploy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed = deploy(PIPES_STACK, autostart_pipes=False)
    table = deployed.table("Orders")
    _write(deployed.lp, table, [{"OrderId": {"S": "A-1"}, "ttl": {"N": "90"}}])

    status = deployed.cli("backfill", "--table-name", table, "--dry-run")

    assert status == 0
    assert not deployed.server.requests
    out = capsys.readouterr().out
    assert "would write: PUT orders key='A-1' ttl=90s body=" in out
    assert '{"item": {"OrderId": {"S": "A-1"}, "ttl": {"N": "90"}}}' in out


def test_a_sync_backfill_writes_what_the_running_sync_writes(deploy: Any) -> None:
    deployed = deploy(SYNC_STACK)
    table = deployed.table("Readings")
    far = int(time.time()) + 3600
    items = [
        {
            "station": {"S": f"S {n % 5}"},
            "day": {"N": str(n)},
            "t": {"N": str(n)},
            "expiresAt": {"N": str(far + n)},
        }
        for n in range(30)
    ]
    expired = {"station": {"S": "gone"}, "day": {"N": "1"}, "expiresAt": {"N": "1000"}}
    _write(deployed.lp, table, [*items, expired])
    deployed.lp.drain(timeout=60)
    by_sync = _puts(deployed.server.requests, f"/cache/{SYNC_CACHE}")
    before = len(deployed.server.requests)

    report = run_backfill(
        deployed.context(), BackfillOptions(max_rate=5000), TextSink(), TextSink()
    )

    by_backfill = _puts(deployed.server.requests[before:], f"/cache/{SYNC_CACHE}")
    assert report.exit_status == 0 and report.tally["skipped"] == 1
    assert by_backfill.keys() == by_sync.keys() == {f"S {n % 5}#{n}" for n in range(30)}
    for key, (body, ttl) in by_sync.items():
        assert by_backfill[key][0] == body
        # The TTL is the time left on the epoch attribute: seconds apart at most.
        assert abs(int(by_backfill[key][1]) - int(ttl)) <= 10
    assert not [r for r in deployed.server.requests[before:] if r.method != "PUT"]


def test_each_item_is_read_again_just_before_it_is_written(deploy: Any) -> None:
    """A change after the scan read an item is not overwritten by the scanned copy."""
    deployed = deploy(PIPES_STACK, autostart_pipes=False)
    table = deployed.table("Orders")
    _write(deployed.lp, table, [{"OrderId": {"S": "changed"}, "ttl": {"N": "60"}, "v": {"N": "2"}}])
    context = deployed.context()
    dynamodb = context.aws.client("dynamodb")

    class ScanBeforeTheChanges:
        """The scan saw version 1 of one item and an item deleted since."""

        def scan(self, **request: Any) -> Any:
            items = [
                {"OrderId": {"S": "changed"}, "ttl": {"N": "60"}, "v": {"N": "1"}},
                {"OrderId": {"S": "deleted"}, "ttl": {"N": "60"}},
            ]
            return {"Items": items if request["Segment"] == 0 else []}

        def __getattr__(self, name: str) -> Any:
            return getattr(dynamodb, name)

    original = context.aws.client
    context.aws.client = lambda service: (
        ScanBeforeTheChanges() if service == "dynamodb" else original(service)
    )
    out = TextSink()
    report = run_backfill(context, BackfillOptions(max_rate=1000), out, TextSink())

    assert report.exit_status == 0
    assert deployed.cached(CACHE, "changed")["item"]["v"] == {"N": "2"}
    assert deployed.cached(CACHE, "deleted") is None
    assert "deleted since the scan read it" in out.text
