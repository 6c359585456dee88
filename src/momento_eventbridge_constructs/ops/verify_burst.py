"""``verify``'s burst: changes to one key in quick succession, for a sync that batches.

A sync with a batch size above 1 applies only the last change of each key in a batch and
announces all of them in one message, ``{"changes": [notice, ...]}``. verify writes
:data:`BURST_CHANGES` versions of one fresh canary item back to back, so that they likely share
a batch, then checks that the sync's cache ends holding exactly the last version's body (not an
intermediate one) and that its topic carried every change of the burst, in stream order, across
however many announcements they took. Then the item is deleted and must be evicted and
announced, as the lifecycle's remove is.

What must arrive is rendered one record at a time, by the same definition, so it does not lean
on the collapsing it checks. Syncs with batch size 1 and pipes have no burst step.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from publication import publish

from .._announcement import BATCH_CHANGES_FIELD
from .canary import Canary, body_matches
from .definitions import SyncPath
from .expectations import Expectation
from .render import MomentoCall, RenderError
from .verify_report import Step, StepStatus
from .verify_steps import phase
from .verify_table import TableRun
from .verify_wait import Sighting, await_sightings, sighting_step

__all__ = ["BURST_CHANGES", "BurstPath", "burst", "burst_changes", "judge_changes"]

BURST_CHANGES = 5
_NAME = f"burst of {BURST_CHANGES} changes to one key"


@dataclass(frozen=True)
class BurstPath:
    """What one batched sync must show after the burst.

    Attributes:
        sync: the sync.
        last: the cache must end holding the last change's body.
        notices: the change notices its topic must carry, in stream order (none: no topic).
        topic: ``(cache, topic)`` it announces on, if any.
        order_fields: the notice fields holding the record's sequence number.
    """

    sync: SyncPath
    last: Expectation
    notices: tuple[Any, ...] = ()
    topic: tuple[str, str] | None = None
    order_fields: tuple[str, ...] = ()


def burst(run: TableRun) -> list[Step]:
    """The burst's steps for every sync of the table whose batch size is above 1 (none when
    no sync of the table batches)."""
    syncs = [s for s in run.context.definitions.syncs_of(run.table_id) if s.batch_size > 1]
    if not syncs:
        return []
    probe = Canary.create(run.context.definitions, run.table_id)
    keys = dict(probe.keys)
    items = [probe.item(version) for version in range(1, BURST_CHANGES + 1)]
    records = [
        run.record("MODIFY" if index else "INSERT", keys, item, items[index - 1] if index else None)
        for index, item in enumerate(items)
    ]
    try:
        paths = [_path(run, sync, records) for sync in syncs]
    except RenderError as error:
        return [run.step(f"{_NAME}: render", status=StepStatus.FAILED, detail=str(error))]
    started = time.monotonic()
    run.put(items[0], new=True)
    for item in items[1:]:
        run.put(item)
    written = time.monotonic() - started
    deadline = started + run.options.timeout
    sightings = await_sightings(run, [path.last for path in paths], started, deadline)
    announced = [_announced(run, path, started, deadline) for path in paths if path.topic]
    if not announced:
        # Nothing tells when the last batch is done: give a late, older write time to land.
        time.sleep(run.options.settle_seconds)
    steps = [_ended(run, sighting, written) for sighting in sightings] + announced
    if any(step.status is not StepStatus.OK for step in steps):
        detail = "after a failure (the burst's key is removed by the cleanup)"
        return [*steps, run.step("burst remove", status=StepStatus.NOT_RUN, detail=detail)]
    removal = run.record("REMOVE", keys, None, items[-1])
    return steps + phase(run, "burst remove", lambda: run.delete(keys), removal).steps


def _path(run: TableRun, sync: SyncPath, records: Sequence[Mapping[str, Any]]) -> BurstPath:
    """What ``sync`` must show, each record rendered alone."""
    notices: list[Any] = []
    last: MomentoCall | None = None
    topic: tuple[str, str] | None = None
    for record in records:
        last = None  # the set of the burst's last record is the one that must land
        for call in run.renderer.calls(record):
            if not isinstance(call, MomentoCall) or call.source != sync.path:
                continue
            if call.is_cache_call and call.method == "PUT":
                last = call
            elif not call.is_cache_call:
                notices += _notices(sync, call)
                topic = (call.names[0], call.names[1])
    if last is None:
        raise RenderError(sync.path, "the last change of the burst renders no cache set")
    name = f"{_NAME}: cache {last.cache} ends with the last"
    expectation = Expectation(
        name, "present", sync.path, last.cache, last.key_query, last.body, call=last
    )
    first = notices[0] if notices and isinstance(notices[0], Mapping) else {}
    order = tuple(k for k, v in first.items() if v == run.markers["sequence_number"])
    return BurstPath(sync, expectation, tuple(notices), topic, order)


def _notices(sync: SyncPath, call: MomentoCall) -> list[Any]:
    """The change notices of one rendered announcement."""
    try:
        changes = json.loads(call.body or b"").get(BATCH_CHANGES_FIELD)
    except (ValueError, AttributeError):
        changes = None
    if not isinstance(changes, list):
        raise RenderError(
            sync.path, f"its announcement lists no {BATCH_CHANGES_FIELD!r}: {call.describe()}"
        )
    return changes


def burst_changes(message: str, notices: Sequence[Any]) -> list[Any]:
    """The changes of one announcement that are changes of the burst (any other key's, or a
    message of another shape, are not)."""
    try:
        changes = json.loads(message).get(BATCH_CHANGES_FIELD)
    except (ValueError, AttributeError):
        return []
    if not isinstance(changes, list):
        return []
    return [change for change in changes if any(_same(change, n) for n in notices)]


def _same(change: Any, notice: Any) -> bool:
    return body_matches(json.dumps(change).encode(), json.dumps(notice).encode())


def _announced(run: TableRun, path: BurstPath, started: float, deadline: float) -> Step:
    """Collect the burst's changes from the topic until all arrived or ``deadline``."""
    assert path.topic is not None
    cache, topic = path.topic
    batches: list[list[Any]] = []
    while True:
        run.topics.collect()
        for message in run.topics.take_matching(
            cache, topic, lambda text: bool(burst_changes(text, path.notices))
        ):
            batches.append(burst_changes(message, path.notices))
        collected = [change for batch in batches for change in batch]
        if len(collected) >= len(path.notices) or time.monotonic() >= deadline:
            break
        time.sleep(run.options.poll_interval)
    seconds = time.monotonic() - started
    name = f"{_NAME}: every change announced in order on topic {topic}"
    problem = judge_changes(collected, path.notices, path.order_fields)
    if problem is None:
        return run.step(name, seconds=seconds, detail=_batching(batches))
    failure = run.topics.failure(cache, topic)
    detail = f"within {run.options.timeout:g} s: {problem}" + (f"; {failure}" if failure else "")
    return run.step(
        name,
        status=StepStatus.FAILED,
        detail=detail,
        diagnosis=run.diagnoser.explain([path.sync.path]),
    )


def _batching(batches: Sequence[Sequence[Any]]) -> str:
    """How the burst was batched, as its announcements show."""
    text = f"{sum(map(len, batches))} changes in {len(batches)} announcement(s)"
    if len(batches) > 1 and len(batches[-1]) == 1:
        # A last change alone in its batch lands whatever the sync does with a batch.
        text += (
            "; the last change had a batch of its own, so its collapse with earlier changes "
            "was not exercised (verify again to try another burst)"
        )
    return text


def judge_changes(
    collected: Sequence[Any], expected: Sequence[Any], order_fields: Sequence[str]
) -> str | None:
    """What is wrong with the announced changes of a burst, or ``None`` when they are every
    change, as rendered, in stream order.

    Args:
        collected: the burst's changes as announced, in the order received.
        expected: the rendered notices, in the order written.
        order_fields: the fields holding each record's sequence number, which must grow
            (DynamoDB sequence numbers of one item growing in stream order: unverified).
    """
    shown = "; ".join(_describe(change, expected, order_fields) for change in collected)
    if len(collected) != len(expected):
        return (
            f"{len(collected)} change(s) announced for the {len(expected)} written "
            f"({shown or 'none'})"
        )
    for index, (change, notice) in enumerate(zip(collected, expected, strict=True)):
        if not _same(change, notice):
            return f"change {index + 1} announced as {json.dumps(change)[:200]}, expected {notice}"
    for field in order_fields:
        values = [change.get(field) for change in collected]
        if not _increasing(values):
            return f"not in stream order ({field}: {', '.join(map(str, values))}): {shown}"
    return None


def _describe(change: Any, expected: Sequence[Any], order_fields: Sequence[str]) -> str:
    """A change by the fields that tell the burst's changes apart."""
    if not isinstance(change, Mapping):
        return json.dumps(change)[:80]
    varying = {
        name for name in change if len({json.dumps(n.get(name)) for n in expected}) > 1
    } | set(order_fields)
    return " ".join(str(change.get(name)) for name in change if name in varying)


def _increasing(values: Sequence[Any]) -> bool:
    """Strictly increasing, as numbers when every value is a decimal string."""
    texts = [str(value) for value in values]
    keys: list[Any] = [int(t) for t in texts] if all(t.isdigit() for t in texts) else texts
    return all(a < b for a, b in itertools.pairwise(keys))


def _ended(run: TableRun, sighting: Sighting, written: float) -> Step:
    """The cache step: the last body arrived and is still there once the burst is done."""
    wrote = f"{BURST_CHANGES} puts in {written:.2f} s"
    step = sighting_step(run, sighting)
    if sighting.seconds is None:
        return replace(step, detail=f"{wrote}; {step.detail}")
    now = run.observer.check(sighting.expectation)
    if now.seen:
        return replace(step, detail=wrote)
    return run.step(
        step.name,
        status=StepStatus.FAILED,
        detail=(
            f"{wrote}; held the last change {sighting.seconds:.2f} s after the first put, "
            f"then no longer (a later write of the burst's key, out of order?): {now.detail}"
        ),
        diagnosis=run.diagnoser.explain([sighting.expectation.source]),
    )


publish()
