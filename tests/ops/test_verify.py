"""verify, end to end through the local runtime: it passes on a pipes stack and on a sync
stack, and fails with a diagnosis, its canaries removed, when Momento rejects the key."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from ._verify_cli import FAST, steps_by_name, verify_report
from .conftest import BULK_STACK, CACHE, PIPES_STACK, SYNC_CACHE, SYNC_STACK

pytestmark = pytest.mark.slow


def _no_canary_left(deployed: Any, table: str, cache: str) -> None:
    assert deployed.lp.dynamodb.scan(TableName=table)["Items"] == []
    assert deployed.server.items(cache) == {}


def test_verify_passes_on_a_pipes_stack(deploy: Any, capsys: pytest.CaptureFixture[str]) -> None:
    deployed = deploy(PIPES_STACK)

    status, report = verify_report(deployed, capsys)

    assert status == 0 and report["ok"]
    steps = steps_by_name(report)
    for name in (
        f"insert: set in cache {CACHE}",
        "insert: announced on topic order-changes",
        f"update: set in cache {CACHE}",
        f"remove: evicted from cache {CACHE}",
        "remove: announced on topic order-changes",
        "ttl probe: evicted after its ttl",
        f"encoding: key with ' /?#&+=%é' set in cache {CACHE}",
        "dead letters: none for the canary",
        "cleanup: canaries removed from the table and the caches",
    ):
        assert steps[name]["status"] == "ok", name
    assert steps[f"insert: set in cache {CACHE}"]["latency_seconds"] > 0
    # Which ARN form EventBridge authorizes the destination with is reported as unobservable.
    form = steps["iam: resource form of events:InvokeApiDestination"]
    assert form["status"] == "n/a" and "not observable" in form["detail"]
    assert {entry["behaviour"] for entry in report["settles"]} >= {
        "query-value URL-encoding",
        "Pipes quote-stripping of bare object templates",
    }
    _no_canary_left(deployed, deployed.table("Orders"), CACHE)


def test_verify_passes_on_a_sync_stack(deploy: Any, capsys: pytest.CaptureFixture[str]) -> None:
    deployed = deploy(SYNC_STACK)
    names = [f"--resource={name}" for name in deployed.resources]

    status = deployed.cli("verify", *FAST, *names)

    out = capsys.readouterr().out
    assert status == 0, out
    assert f"insert: set in cache {SYNC_CACHE}" in out
    assert "ttl probe: evicted after its expiresAt" in out and "(epoch seconds)" in out
    assert "Result: every step held" in out
    assert "iam: resource form of events:RetrieveConnectionCredentials" in out
    _no_canary_left(deployed, deployed.table("Readings"), SYNC_CACHE)


@pytest.mark.parametrize("stack", ["WeatherStack", "WeatherSyncStack"])
def test_verify_passes_on_the_bundled_weather_stacks(
    deploy: Any, capsys: pytest.CaptureFixture[str], stack: str
) -> None:
    deployed = deploy(stack)

    status, report = verify_report(deployed, capsys)

    assert status == 0 and report["ok"], report
    steps = steps_by_name(report)
    assert steps["insert: set in cache momento-eventbridge-cache"]["status"] == "ok"
    assert steps["remove: evicted from cache momento-eventbridge-cache"]["status"] == "ok"
    assert steps["insert: announced on topic momento-eventbridge-topic"]["status"] == "ok"
    _no_canary_left(deployed, deployed.table("WeatherTable"), "momento-eventbridge-cache")


def test_a_cache_no_pipe_deletes_from_is_reported_not_failed(
    deploy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed = deploy(BULK_STACK)

    status, report = verify_report(deployed, capsys, "--skip", "encoding")

    assert status == 0
    steps = steps_by_name(report)
    assert steps["remove: evicted from cache items"]["status"] == "n/a"
    assert "items stay until their TTL" in steps["remove: evicted from cache items"]["detail"]
    assert steps["encoding"]["status"] == "not run"
    _no_canary_left(deployed, deployed.table("Items"), "items")


def _pipes_and_logs_in_moto(deployed: Any) -> None:
    """The local runtime neither registers its pipes with moto's Pipes nor writes logs:
    give the diagnosis something to read, as AWS would."""
    for pipe in deployed.lp.pipes:
        deployed.lp.aws.client("pipes").create_pipe(
            Name=pipe.name,
            RoleArn="arn:aws:iam::123456789012:role/pipe",
            Source=pipe.source_arn,
            Target=pipe.destination.arn,
        )
    logs = deployed.lp.aws.client("logs")
    for entry in deployed.resources:
        if "/local/" in entry:
            group = entry.split("=", 1)[1]
            logs.create_log_group(logGroupName=group)
            logs.create_log_stream(logGroupName=group, logStreamName="pipe")
            logs.put_log_events(
                logGroupName=group,
                logStreamName="pipe",
                logEvents=[
                    {"timestamp": int(time.time() * 1000), "message": "Target invocation failed"}
                ],
            )


def _remove_from_moto(deployed: Any) -> None:
    for pipe in deployed.lp.pipes:
        deployed.lp.aws.client("pipes").delete_pipe(Name=pipe.name)
    for entry in deployed.resources:
        if "/local/" in entry:
            deployed.lp.aws.client("logs").delete_log_group(logGroupName=entry.split("=", 1)[1])


def test_verify_fails_with_a_diagnosis_and_removes_its_canary_when_the_key_is_rejected(
    deploy: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    deployed = deploy(PIPES_STACK)
    _pipes_and_logs_in_moto(deployed)
    deployed.server.inject_failures(401, 10_000, method="PUT", body="Invalid API key")
    try:
        status, report = verify_report(deployed, capsys, "--timeout", "3")
    finally:
        deployed.server.clear_failures()
        _remove_from_moto(deployed)

    assert status == 1 and not report["ok"]
    failed = steps_by_name(report)[f"insert: set in cache {CACHE}"]
    assert failed["status"] == "failed"
    diagnosis = "\n".join(failed["diagnosis"])
    assert "the same call with verify's key: Momento answered 401: Invalid API key" in diagnosis
    assert "pipe OpsPipes-PutPipe" in diagnosis
    assert "last event at" in diagnosis and "Target invocation failed" in diagnosis
    assert "dead-letter queue http" in diagnosis
    assert steps_by_name(report)["later steps"]["status"] == "not run"
    assert (
        steps_by_name(report)["cleanup: canaries removed from the table and the caches"]["status"]
        == "ok"
    )
    _no_canary_left(deployed, deployed.table("Orders"), CACHE)


def test_verify_stops_before_writing_when_its_own_key_is_refused(
    deploy: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    deployed = deploy(PIPES_STACK)
    monkeypatch.setenv("MOMENTO_API_KEY", "not-the-key-9f3c")

    status, report = verify_report(deployed, capsys)

    assert status == 1
    (preflight,) = [s for s in report["steps"] if s["step"].startswith("preflight")]
    assert "verify's own key cannot read the cache: Momento answered 401" in preflight["detail"]
    assert not [r for r in deployed.server.requests if r.method == "PUT"]
    assert "not-the-key-9f3c" not in json.dumps(report)
    assert deployed.lp.dynamodb.scan(TableName=deployed.table("Orders"))["Items"] == []
