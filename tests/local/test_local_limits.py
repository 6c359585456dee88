"""How large an item DynamoToMomentoSync carries, checked against the limits on the AWS pages.

The limits are written out here from the pages, not taken from the library. For every cell of
the size table of docs/limits.md the local runtime runs a change at the stated size and one
1 KB over it: the first must be applied and fit the page limits, the second must exceed them and be
dead-lettered, with the next change of the shard still applied. A 300 KB item goes the whole
way: dead-lettered by the pipe, then put into the cache by ``redrive`` (and ``backfill``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb

from momento_eventbridge_constructs import DynamoToMomentoSync, MomentoOperation, MomentoPayload
from momento_eventbridge_constructs.local import LocalPipeline

from .._support import ENDPOINT, ENV, ROOT, TextSink, destinations
from ._momento import cached

pytestmark = pytest.mark.slow

KB = 1024
"""DynamoDB's unit: "1 KB = 1024 bytes" (Constraints page, below)."""
DYNAMODB_MAX_ITEM_BYTES = 400 * KB
"""https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html (Items:
the maximum item size is 400 KB, attribute names and values together)."""
STEP_FUNCTIONS_MAX_INPUT_BYTES = 256 * 1024
"""https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html: 256 KiB of input
per execution, as a UTF-8 encoded string."""
PIPES_MAX_STEP_FUNCTIONS_CHARACTERS = 262_144
"""https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html:
a Step Functions target receives the whole batch, limited to 262144 characters."""
LOCAL_LARGEST_ITEM_KB = 395
"""The largest whole-KB item the local moto stores: it refuses items over 405,000 bytes, a
little under DynamoDB's 400 KB, so "any item" is tried at this size."""

STACK = "Limits"
VIEWS = ("NEW_IMAGE", "NEW_AND_OLD_IMAGES", "OLD_IMAGE", "KEYS_ONLY")
EVENTS = ("INSERT", "MODIFY", "REMOVE")
SECTION = "## Item sizes the sync carries"
LIMITS_PAGE = ROOT / "docs" / "limits.md"


def _table_id(view: str) -> str:
    return "".join(part.capitalize() for part in view.split("_"))


def _cache(view: str) -> str:
    return view.lower().replace("_", "-")


def build(app: cdk.App) -> None:
    """One table per stream view type, each with a sync; the item's body where the view has
    the new image, the change notice where it has not."""
    stack = cdk.Stack(app, STACK, env=ENV)
    connection = destinations(stack)[MomentoOperation.CACHE_SET].connection
    assert connection is not None
    for view in VIEWS:
        table = dynamodb.Table(
            stack,
            _table_id(view),
            partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
            stream=dynamodb.StreamViewType[view],
        )
        DynamoToMomentoSync(
            stack,
            f"{_table_id(view)}Sync",
            table=table,
            connection=connection,
            endpoint=ENDPOINT,
            cache_name=_cache(view),
            topic_name="changes" if view == "NEW_AND_OLD_IMAGES" else None,
            value=None if view.startswith("NEW") else MomentoPayload.change_notice(),
            max_retry_attempts=1,
        )


@pytest.fixture(scope="module")
def assembly(tmp_path_factory: pytest.TempPathFactory) -> Path:
    outdir = tmp_path_factory.mktemp("limits") / "cdk.out"
    app = cdk.App(outdir=str(outdir))
    build(app)
    app.synth()
    return outdir


@pytest.fixture
def lp(assembly: Path) -> Iterator[LocalPipeline]:
    with LocalPipeline.from_cloud_assembly(
        assembly, STACK, state_machine_retry_scale=0.01, retry_base_delay=0.01
    ) as pipeline:
        yield pipeline


# -- the limits page's table ---------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """The largest item synced for one event on one stream view type."""

    kb: int | None
    """None: any item DynamoDB stores (the record holds no image it would be bounded by)."""
    basis: str
    """What the size bounds: ``new``, ``old`` or ``old+new`` (the two images together)."""


def readme_table() -> dict[str, dict[str, Cell]]:
    """The size table of the "Known limits" page, by view type and event."""
    text = LIMITS_PAGE.read_text(encoding="utf-8")
    assert SECTION in text, f"{LIMITS_PAGE} has no {SECTION!r}"
    section = text.split(SECTION, 1)[1].split("\n#", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    table: dict[str, dict[str, Cell]] = {}
    for row in rows:
        view, *cells = [cell.strip() for cell in row.strip("|").split("|")]
        table[view.strip("`")] = {
            event: _cell(event, cell) for event, cell in zip(EVENTS, cells, strict=True)
        }
    return table


def _cell(event: str, text: str) -> Cell:
    if text.startswith("any item"):
        return Cell(None, "")
    match = re.fullmatch(r"(\d+) KB(?: \((.+)\))?", text)
    assert match, f"cannot read the size table's cell {text!r}"
    default = {"INSERT": "new", "REMOVE": "old"}.get(event, "")
    basis = {
        None: default,
        "the new item": "new",
        "the old item": "old",
        "old and new item together": "old+new",
    }[match.group(2)]
    assert basis, f"a MODIFY cell must say which item it bounds: {text!r}"
    return Cell(int(match.group(1)), basis)


def test_the_table_covers_every_view_type_and_its_sizes_stay_under_the_pages_limits() -> None:
    table = readme_table()
    assert sorted(table) == sorted(VIEWS)
    for cells in table.values():
        for cell in cells.values():
            if cell.kb is not None:
                # A record holds the item and more: its size can only be under the limits.
                assert cell.kb * KB < STEP_FUNCTIONS_MAX_INPUT_BYTES < DYNAMODB_MAX_ITEM_BYTES


# -- changes of a given size, through the local runtime ----------------------------------------


def item(key: str, kb: float, fill: str = "x") -> dict[str, Any]:
    """An item of ``kb`` KB as DynamoDB counts it: attribute names plus string values in UTF-8
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)."""
    size = int(kb * KB)
    padding = size - len("id") - len(key.encode()) - len("data")
    return {"id": {"S": key}, "data": {"S": fill * padding}}


def item_size(value: dict[str, Any]) -> int:
    return sum(len(name.encode()) + len(v["S"].encode()) for name, v in value.items())


@dataclass(frozen=True)
class Change:
    """One tested change: the sizes of the item before and after (None: no item)."""

    key: str
    event: str
    old_kb: float | None
    new_kb: float | None


def change_for(view: str, event: str, cell: Cell, over: bool) -> Change:
    """The change that puts ``cell``'s bound exactly at its size, or 1 KB over it."""
    key = f"{view}-{event}-{'over' if over else 'fits'}"
    if cell.kb is None:
        size: float = LOCAL_LARGEST_ITEM_KB
        return Change(
            key, event, None if event == "INSERT" else size, None if event == "REMOVE" else size
        )
    bound = cell.kb + (1 if over else 0)
    if event == "INSERT":
        return Change(key, event, None, bound)
    if event == "REMOVE":
        return Change(key, event, bound, None)
    small = 1
    if cell.basis == "new":
        return Change(key, event, small, bound)
    if cell.basis == "old":
        return Change(key, event, bound, small)
    return Change(key, event, bound / 2, bound / 2)


def apply(lp: LocalPipeline, view: str, change: Change) -> None:
    name = lp.table_name(f"{STACK}/{_table_id(view)}")
    if change.old_kb is not None:
        lp.dynamodb.put_item(TableName=name, Item=item(change.key, change.old_kb, "o"))
    if change.new_kb is not None:
        lp.dynamodb.put_item(TableName=name, Item=item(change.key, change.new_kb, "n"))
    else:
        lp.dynamodb.delete_item(TableName=name, Key={"id": {"S": change.key}})


def sent_events(lp: LocalPipeline, view: str, key: str, event_name: str) -> list[Any]:
    """The delivery events of one record in the view's sync, oldest first."""
    found = [
        event
        for event in lp.events(_pipe_name(lp, view))
        if event.keys == {"id": key} and event.event_name == event_name
    ]
    assert found, f"no {event_name} record of {key!r} reached the pipe"
    return found


def payload_of(events: list[Any]) -> str:
    """What the pipe sent the state machine for a record (the same on every attempt)."""
    payloads = {event.body for event in events if event.body}
    assert len(payloads) == 1, events
    return payloads.pop()


def _pipe_name(lp: LocalPipeline, view: str) -> str:
    return lp.pipe(f"{STACK}/{_table_id(view)}Sync/Pipe").name


def assert_applied(lp: LocalPipeline, view: str, change: Change) -> None:
    """The cache shows the change: the item's body, its change notice, or no entry."""
    value = cached(lp, change.key, _cache(view))
    if change.event == "REMOVE":
        assert value is None, change
    elif view.startswith("NEW"):
        assert value == {"item": item(change.key, change.new_kb or 0, "n")}, change
    else:
        assert value["eventName"] == change.event, (change, value)


def fits_the_pages(payload: str) -> bool:
    return (
        len(payload) <= PIPES_MAX_STEP_FUNCTIONS_CHARACTERS
        and len(payload.encode("utf-8")) <= STEP_FUNCTIONS_MAX_INPUT_BYTES
    )


@pytest.mark.parametrize("view", VIEWS)
def test_each_size_of_the_table_is_applied_and_one_kb_more_is_dead_lettered(
    lp: LocalPipeline, view: str
) -> None:
    cells = readme_table()[view]
    changes = [
        (change_for(view, event, cell, over), over)
        for event, cell in cells.items()
        for over in ((False, True) if cell.kb is not None else (False,))
    ]
    for change, _ in changes:
        apply(lp, view, change)
    lp.drain(timeout=120)

    for change, over in changes:
        events = sent_events(lp, view, change.key, change.event)
        payload = payload_of(events)
        assert fits_the_pages(payload) is not over, (change, len(payload))
        last = events[-1]
        assert last.outcome == ("dead-lettered" if over else "delivered"), (change, last)
        if over:
            assert "more than the" in last.error, last.error
        else:
            assert_applied(lp, view, change)
    # Each change over a limit is one dead letter, and the shard moved on past it: the
    # changes after it were applied. (Setting up some changes dead-letters records too.)
    dead = {
        e.sequence_number for e in lp.events(_pipe_name(lp, view)) if e.outcome == "dead-lettered"
    }
    letters = {
        letter["DDBStreamBatchInfo"]["startSequenceNumber"]
        for letter in lp.dead_letters()
        if f"/{lp.table_name(f'{STACK}/{_table_id(view)}')}/"
        in letter["DDBStreamBatchInfo"]["streamArn"]
    }
    assert letters == dead


# -- a 300 KB item, all the way through -------------------------------------------------------


@pytest.fixture
def ops_environment(assembly: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalPipeline]:
    """A pipeline in moto's default account, with boto3 and the commands' Momento pointed at
    it, so the commands see what it created."""
    from momento_eventbridge_constructs.local.aws import DEFAULT_ACCOUNT

    with LocalPipeline.from_cloud_assembly(
        assembly,
        STACK,
        account_id=DEFAULT_ACCOUNT,
        state_machine_retry_scale=0.01,
        retry_base_delay=0.01,
    ) as lp:
        _point_the_commands_at(lp, monkeypatch)
        yield lp


def _point_the_commands_at(lp: LocalPipeline, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", lp.aws.endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "local")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "local")
    monkeypatch.setenv("AWS_REGION", lp.aws.region)
    monkeypatch.setenv("MOMENTO_API_ENDPOINT", lp.momento_endpoint)
    server = lp.momento_server
    assert server is not None
    monkeypatch.setenv("MOMENTO_API_KEY", server.api_key)


def test_a_300_kb_item_is_dead_lettered_the_shard_moves_on_and_redrive_caches_it(
    ops_environment: LocalPipeline, assembly: Path
) -> None:
    from momento_eventbridge_constructs.ops import (
        BackfillOptions,
        OpsContext,
        RedriveOptions,
        run_backfill,
        run_redrive,
    )

    lp = ops_environment
    view = "NEW_AND_OLD_IMAGES"
    path = f"{STACK}/{_table_id(view)}"
    name = lp.table_name(path)
    big, after = item("big", 300), item("after", 1)
    assert item_size(big) == 300 * KB < DYNAMODB_MAX_ITEM_BYTES  # DynamoDB stores it
    lp.dynamodb.put_item(TableName=name, Item=big)
    lp.dynamodb.put_item(TableName=name, Item=after)
    lp.drain(timeout=60)

    # The pipe could not hand the record to Step Functions: one dead letter naming its range;
    # the next change of the shard was applied and announced, the big one was not.
    (letter,) = lp.dead_letters()
    (failed,) = [e for e in lp.events(_pipe_name(lp, view)) if e.outcome == "dead-lettered"]
    assert failed.keys == {"id": "big"}
    assert not fits_the_pages(payload_of(sent_events(lp, view, "big", "INSERT")))
    info = letter["DDBStreamBatchInfo"]
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == failed.sequence_number
    assert cached(lp, "big", _cache(view)) is None
    assert cached(lp, "after", _cache(view)) == {"item": after}
    messages = [json.loads(m) for m in lp.momento.messages(_cache(view), "changes")]
    notices = [n for m in messages for n in m.get("changes", [m])]  # batched or not
    assert [n["keys"] for n in notices] == [{"id": {"S": "after"}}]

    tables = [f"{STACK}/{_table_id(v)}" for v in VIEWS]  # instead of CloudFormation
    names = [f"{lp.stack.logical_id(t)}={lp.table_name(t)}" for t in tables]
    context = OpsContext.open(assembly, STACK, resources=names)
    queue = lp.pipe(_pipe_name(lp, view)).dead_letter_url
    assert queue is not None
    out = TextSink()
    report = run_redrive(
        context, RedriveOptions(queue_urls=(queue,), receive_wait_seconds=0), out, TextSink()
    )

    assert report.exit_status == 0 and not report.left, out.text
    items = lp.dynamodb.scan(TableName=name, ConsistentRead=True)["Items"]
    assert {i["id"]["S"]: cached(lp, i["id"]["S"], _cache(view)) for i in items} == {
        i["id"]["S"]: {"item": i} for i in items
    }
    assert cached(lp, "big", _cache(view)) == {"item": big}
    assert lp.dead_letters() == []

    # backfill renders it the same way.
    lp.momento.delete(_cache(view), "big")
    backfill = run_backfill(context, BackfillOptions(table=path), TextSink(), TextSink())
    assert backfill.status == "complete" and backfill.exit_status == 0
    assert cached(lp, "big", _cache(view)) == {"item": big}
