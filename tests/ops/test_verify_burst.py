"""verify on a sync that batches: a burst of changes to one key must land as its last, every
change announced in stream order; and how the burst's announcements are judged."""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from momento_eventbridge_constructs.ops.canary import markers
from momento_eventbridge_constructs.ops.definitions import load_definitions
from momento_eventbridge_constructs.ops.verify_burst import (
    BURST_CHANGES,
    burst_changes,
    judge_changes,
)
from momento_eventbridge_constructs.ops.verify_burst._private import _batching

from ._verify_cli import steps_by_name, verify_report
from .conftest import BATCHED_SYNC_STACK, SYNC_CACHE, SYNC_STACK, SYNC_TOPIC

BURST = f"burst of {BURST_CHANGES} changes to one key"
CACHE_STEP = f"{BURST}: cache {SYNC_CACHE} ends with the last"
TOPIC_STEP = f"{BURST}: every change announced in order on topic {SYNC_TOPIC}"


def _no_canary_left(deployed: Any) -> None:
    assert deployed.lp.dynamodb.scan(TableName=deployed.table("Readings"))["Items"] == []
    assert deployed.server.items(SYNC_CACHE) == {}


# -- the definitions say which syncs batch --------------------------------------------------


def test_a_sync_knows_its_pipe_batch_size(ops_assembly: Path) -> None:
    (single,) = load_definitions(ops_assembly, SYNC_STACK).syncs
    (batched,) = load_definitions(ops_assembly, BATCHED_SYNC_STACK).syncs

    assert single.batch_size == 1
    assert batched.batch_size == 10


# -- judging the announced changes ----------------------------------------------------------

_KEYS = {"station": {"S": "momento-eventbridge-constructs-canary-ab"}, "day": {"N": "-7"}}


def _expected() -> list[dict[str, Any]]:
    sequence = markers()["sequence_number"]
    events = ["INSERT"] + ["MODIFY"] * (BURST_CHANGES - 1)
    return [{"eventName": e, "keys": _KEYS, "sequenceNumber": sequence} for e in events]


def _announced(*sequence_numbers: int, event: str = "MODIFY") -> list[dict[str, Any]]:
    events = ["INSERT"] + [event] * (len(sequence_numbers) - 1)
    return [
        {"eventName": e, "keys": _KEYS, "sequenceNumber": str(n)}
        for e, n in zip(events, sequence_numbers, strict=True)
    ]


def test_every_change_in_stream_order_holds() -> None:
    expected = _expected()
    # 1000 < 999 as text: the sequence numbers compare as numbers.
    assert judge_changes(_announced(7, 8, 90, 999, 1000), expected, ["sequenceNumber"]) is None


def test_missing_extra_reordered_or_different_changes_are_named() -> None:
    expected = _expected()
    order = ["sequenceNumber"]

    missing = judge_changes(_announced(1, 5), expected, order)
    extra = judge_changes(_announced(1, 2, 3, 4, 5, 6), expected, order)
    reordered = judge_changes(_announced(1, 3, 2, 4, 5), expected, order)
    different = judge_changes(_announced(1, 2, 3, 4, 5, event="REMOVE"), expected, order)

    assert missing == "2 change(s) announced for the 5 written (INSERT 1; MODIFY 5)"
    assert extra is not None and extra.startswith("6 change(s) announced for the 5 written")
    assert reordered is not None
    assert "not in stream order (sequenceNumber: 1, 3, 2, 4, 5)" in reordered
    assert different is not None
    assert different.startswith('change 2 announced as {"eventName": "REMOVE"')


def test_only_the_bursts_changes_are_taken_from_an_announcement() -> None:
    expected = _expected()
    other = {"eventName": "MODIFY", "keys": {"station": {"S": "Oslo"}}, "sequenceNumber": "3"}
    ours = _announced(1, 2)
    message = json.dumps({"changes": [ours[0], other, ours[1]]})

    assert burst_changes(message, expected) == ours
    assert burst_changes(json.dumps(ours[0]), expected) == []  # one notice: not a batch's
    assert burst_changes("not json", expected) == []


def test_the_step_says_when_the_last_change_had_a_batch_of_its_own() -> None:
    together = _batching([[1, 2], [3, 4, 5]])
    alone = _batching([[1, 2, 3, 4], [5]])

    assert together == "5 changes in 2 announcement(s)"
    assert alone.startswith("5 changes in 2 announcement(s); the last change had a batch")
    assert "not exercised" in alone
    assert _batching([[1]]) == "1 changes in 1 announcement(s)"


# -- against the local runtime ----------------------------------------------------------------


def _burst_announcements(deployed: Any) -> dict[str, list[dict[str, Any]]]:
    """Every change the sync announced, by key, from the messages it published."""
    by_key: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for message in deployed.server.published(SYNC_CACHE, SYNC_TOPIC):
        body = json.loads(message.text)
        assert list(body) == ["changes"], body  # a batched sync announces a batch at once
        for change in body["changes"]:
            by_key[json.dumps(change["keys"], sort_keys=True)].append(change)
    return by_key


@pytest.mark.slow
def test_verify_lands_a_burst_as_its_last_change_on_a_batched_sync(
    deploy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed = deploy(BATCHED_SYNC_STACK)

    status, report = verify_report(deployed, capsys)

    assert status == 0 and report["ok"], report
    steps = steps_by_name(report)
    for name in (
        f"insert: announced on topic {SYNC_TOPIC}",
        CACHE_STEP,
        TOPIC_STEP,
        f"burst remove: evicted from cache {SYNC_CACHE}",
        f"burst remove: announced on topic {SYNC_TOPIC}",
        "dead letters: none for the canary",
    ):
        assert steps[name]["status"] == "ok", name
    assert steps[CACHE_STEP]["detail"].startswith(f"{BURST_CHANGES} puts in ")
    assert steps[TOPIC_STEP]["detail"].startswith(f"{BURST_CHANGES} changes in ")
    # What verify saw, seen from the server: one key changed 5 times, announced in order.
    bursts = [c for c in _burst_announcements(deployed).values() if len(c) > BURST_CHANGES]
    assert len(bursts) == 1
    (changes,) = bursts
    assert [c["eventName"] for c in changes] == ["INSERT"] + ["MODIFY"] * 4 + ["REMOVE"]
    numbers = [int(c["sequenceNumber"]) for c in changes]
    assert numbers == sorted(numbers)
    _no_canary_left(deployed)


@pytest.mark.slow
def test_a_sync_that_batches_nothing_has_no_burst(
    deploy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed = deploy(SYNC_STACK)

    status, report = verify_report(deployed, capsys, "--skip", "ttl", "--skip", "encoding")

    assert status == 0, report
    assert not [s for s in report["steps"] if s["step"].startswith(("burst", BURST))]


@pytest.mark.slow
def test_verify_fails_when_the_bursts_last_change_does_not_land(
    deploy: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = deploy(BATCHED_SYNC_STACK)
    server = deployed.server
    handle = server.handle

    def refuse_the_last(method: str, path: str, headers: dict[str, str], body: bytes) -> Any:
        # Only the burst writes a version 5; Momento refuses it, every other write lands.
        last = f'"v{BURST_CHANGES}"'.encode()
        if method == "PUT" and path.startswith("/cache/") and last in body:
            return 400, b"refused by the test", "text/plain"
        return handle(method, path, headers, body)

    monkeypatch.setattr(server, "handle", refuse_the_last)

    status, report = verify_report(deployed, capsys, "--timeout", "3")

    assert status == 1 and not report["ok"]
    steps = steps_by_name(report)
    assert steps[f"update: set in cache {SYNC_CACHE}"]["status"] == "ok"
    failed = steps[CACHE_STEP]
    assert failed["status"] == "failed"
    assert "not seen within 3 s; expected" in failed["detail"]
    assert f'"v{BURST_CHANGES}"' in failed["detail"]
    assert "the same call with verify's key: Momento answered 400" in "\n".join(failed["diagnosis"])
    assert steps["burst remove"]["status"] == "not run"
    letters = steps["dead letters: none for the canary"]
    assert letters["status"] == "failed"
    assert "stage cache" in "\n".join(letters["diagnosis"])
    assert steps["cleanup: canaries removed from the table and the caches"]["status"] == "ok"
    _no_canary_left(deployed)


@pytest.mark.slow
def test_a_lost_batch_announcement_is_diagnosed_by_its_changes(
    deploy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed = deploy(BATCHED_SYNC_STACK)
    deployed.server.inject_failures(400, 10_000, method="POST", path_prefix="/topics/")
    try:
        status, report = verify_report(deployed, capsys, "--timeout", "3")
    finally:
        deployed.server.clear_failures()

    assert status == 1
    steps = steps_by_name(report)
    assert steps[f"insert: set in cache {SYNC_CACHE}"]["status"] == "ok"
    assert steps[f"insert: announced on topic {SYNC_TOPIC}"]["status"] == "failed"
    (letter,) = steps["dead letters: none for the canary"]["diagnosis"]
    # The announcement's letter names no key of its own, only its changes' keys.
    assert "sync dead letter for the canary (a batch's announcement): stage announce" in letter
    _no_canary_left(deployed)
