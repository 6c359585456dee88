"""The checks of ``verify``, one function each, in the order they run on a table.

Each returns the steps it ends in; none writes to the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from publication import publish

from .canary import RESERVED_CHARACTERS, Canary, TtlSource
from .expectations import Expectation
from .momento import MomentoCallError
from .render import RenderError
from .verify_report import Step, StepStatus
from .verify_table import TableRun
from .verify_wait import Sighting, await_sightings, expectations_of, sighting_step

__all__ = [
    "Outcome",
    "cleanup",
    "dead_letters",
    "encoding",
    "grant_forms",
    "lifecycle",
    "phase",
    "preflight",
    "subscribe",
    "ttl",
]

_TTL_SLACK_SECONDS = 3.0


@dataclass(frozen=True)
class Outcome:
    """The steps of a check, and whether every write in it produced all it must."""

    steps: list[Step]
    held: bool


def preflight(run: TableRun) -> Step | None:
    """verify's own key must read every cache before anything is written: the failed step,
    or ``None`` when it can."""
    record = run.record("REMOVE", dict(run.canary.keys), None, None)
    for call in run.cache_deletes(record):
        try:
            run.context.momento.get(call.cache, call.key_query)
        except MomentoCallError as error:
            return run.step(
                f"preflight: read cache {call.cache}",
                status=StepStatus.FAILED,
                detail=f"verify's own key cannot read the cache: {error}",
            )
    return None


def subscribe(run: TableRun) -> None:
    """Listen to every topic the table's pipes and syncs announce on, before the first write."""
    definitions = run.context.definitions
    found = {(p.cache, p.topic) for p in definitions.pipes_of(run.table_id, "publish")}
    found |= {(s.cache, s.topic) for s in definitions.syncs_of(run.table_id)}
    run.topics.subscribe(
        run.context.momento,
        {(cache, topic) for cache, topic in found if topic is not None},
        timeout=run.options.timeout * 4 + 60,
        settle=run.options.settle_seconds,
    )


def lifecycle(run: TableRun) -> Outcome:
    """Insert, update and remove the canary; stop at the first write that does not hold."""
    v1, v2 = run.canary.item(1), run.canary.item(2)
    keys = dict(run.canary.keys)
    phases: list[tuple[str, Callable[[], None], dict[str, Any]]] = [
        ("insert", lambda: run.put(v1, new=True), run.record("INSERT", keys, v1, None)),
        ("update", lambda: run.put(v2), run.record("MODIFY", keys, v2, v1)),
        ("remove", run.delete, run.record("REMOVE", keys, None, v2)),
    ]
    steps: list[Step] = []
    for index, (name, write, record) in enumerate(phases):
        outcome = phase(run, name, write, record)
        steps += outcome.steps
        if not outcome.held:
            rest = ", ".join(later for later, _, _ in phases[index + 1 :]) or "none"
            detail = f"after a failure ({rest}, ttl)"
            steps.append(run.step("later steps", status=StepStatus.NOT_RUN, detail=detail))
            return Outcome(steps, held=False)
    return Outcome(steps, held=True)


def phase(
    run: TableRun, name: str, write: Callable[[], None], record: Mapping[str, Any]
) -> Outcome:
    """Make one write and wait for all ``record`` must produce; ``name`` names the steps
    (a ``remove`` also reports the caches no pipe deletes from)."""
    try:
        expected = expectations_of(run, name, record)
    except RenderError as error:
        failed = run.step(f"{name}: render", status=StepStatus.FAILED, detail=str(error))
        return Outcome([failed], held=False)
    steps = list(expected.skipped)
    if record.get("eventName") == "REMOVE":
        steps += _unevicted(run, expected.expectations)
    started = time.monotonic()
    write()
    sightings = await_sightings(run, expected.expectations, started, started + run.options.timeout)
    awaited = [sighting_step(run, sighting) for sighting in sightings]
    return Outcome(steps + awaited, held=all(s.status is StepStatus.OK for s in awaited))


def _unevicted(run: TableRun, expected: list[Expectation]) -> list[Step]:
    """A cache no pipe deletes from keeps a removed item until its TTL: say so."""
    caches = {p.cache for p in run.context.definitions.pipes_of(run.table_id, "set")}
    caches -= {e.cache for e in expected if e.kind == "absent"}
    return [
        run.step(
            f"remove: evicted from cache {cache}",
            status=StepStatus.NOT_APPLICABLE,
            detail="no pipe of the stack deletes from this cache: items stay until their TTL",
        )
        for cache in sorted(caches)
    ]


def grant_forms(run: TableRun) -> list[Step]:
    """Say what the passing calls do not tell: which ARN form IAM was asked about."""
    definitions = run.context.definitions
    called: list[tuple[str, str, str]] = []
    kinds = {pipe.kind for pipe in definitions.pipes if pipe.table_id == run.table_id}
    if kinds & {"set", "delete", "publish"}:
        called.append(("events:InvokeApiDestination", "API destination", "api-destination"))
    if definitions.syncs_of(run.table_id):
        called.append(("events:RetrieveConnectionCredentials", "connection", "connection"))
    return [
        run.step(
            f"iam: resource form of {action}",
            status=StepStatus.NOT_APPLICABLE,
            detail=(
                f"not observable: no AWS API reports whether the {what} was authorized as "
                f"{kind}/<name> or {kind}/<name>/<id>; the calls above succeeded, and the "
                "roles the constructs create or attach a policy to are granted both"
            ),
        )
        for action, what, kind in called
    ]


def ttl(run: TableRun) -> list[Step]:
    """Probe the TTL of the first source the table's items set, or say why it cannot be."""
    if "ttl" in run.options.skip:
        return [run.step("ttl", status=StepStatus.NOT_RUN, detail="skipped (--skip ttl)")]
    timed = [source for source in run.canary.ttl if source.attribute is not None]
    if timed:
        return _ttl_probe(run, timed[0])
    return [
        run.step(
            f"ttl ({source.source})",
            status=StepStatus.NOT_APPLICABLE,
            detail=(
                f"fixed at {source.fixed_seconds} s by the stack; Momento's HTTP API "
                "has no call that returns a TTL, so only an expiry would show it"
            ),
        )
        for source in run.canary.ttl
    ]


def _ttl_probe(run: TableRun, source: TtlSource) -> list[Step]:
    """Write a probe that expires soon: it must arrive, then be evicted, not earlier."""
    attribute = source.attribute or ""
    seconds = run.options.ttl_probe_seconds
    probe = Canary.create(run.context.definitions, run.table_id)
    item = probe.item(1, ttl_seconds=seconds)
    record = run.record("INSERT", dict(probe.keys), item, None)
    present = expectations_of(run, "ttl probe", record, note_skips=False).present()
    started = time.monotonic()
    run.put(item, new=True)
    arrived = [
        sighting_step(run, s)
        for s in await_sightings(run, present, started, started + run.options.timeout)
    ]
    if not arrived or any(step.status is not StepStatus.OK for step in arrived):
        return arrived
    absent = [
        Expectation(
            f"ttl probe: evicted after its {attribute}",
            "absent",
            e.source,
            e.cache,
            e.key_query,
            None,
        )
        for e in present
    ]
    seen_after = max(step.seconds or 0.0 for step in arrived)
    deadline = started + seen_after + seconds + _TTL_SLACK_SECONDS + run.options.poll_interval
    value = (
        f"{attribute} = {item[attribute]['N']} ({'epoch seconds' if source.epoch else 'seconds'})"
    )
    return arrived + [
        _eviction_step(sighting_step(run, s), value, seconds)
        for s in await_sightings(run, absent, started, deadline)
    ]


def _eviction_step(step: Step, value: str, seconds: int) -> Step:
    """The TTL probe's eviction: says the TTL value, and fails an eviction before it."""
    detail = f"{value}; {step.detail}".rstrip("; ")
    if step.status is StepStatus.OK and (step.seconds or 0.0) < seconds - 1:
        return replace(
            step,
            status=StepStatus.FAILED,
            detail=detail + f"; evicted before its {seconds} s TTL",
        )
    return replace(step, detail=detail)


def encoding(run: TableRun) -> list[Step]:
    """A key holding reserved characters must arrive under the same key."""
    if "encoding" in run.options.skip:
        return [run.step("encoding", status=StepStatus.NOT_RUN, detail="skipped (--skip encoding)")]
    if not run.canary.can_hold_reserved_characters:
        return [
            run.step(
                "encoding",
                status=StepStatus.NOT_APPLICABLE,
                detail="the partition key is not a string",
            )
        ]
    probe = Canary.create(run.context.definitions, run.table_id, reserved_characters=True)
    item = probe.item(1)
    record = run.record("INSERT", dict(probe.keys), item, None)
    present = expectations_of(run, "encoding", record, note_skips=False).present()
    started = time.monotonic()
    run.put(item, new=True)
    return [
        _encoding_step(run, s)
        for s in await_sightings(run, present, started, started + run.options.timeout)
    ]


def _encoding_step(run: TableRun, sighting: Sighting) -> Step:
    step = sighting_step(run, sighting)
    where = step.name.split(": ", 1)[1]
    name = f"encoding: key with {RESERVED_CHARACTERS!r} {where}"
    if step.status is not StepStatus.FAILED:
        return replace(step, name=name)
    hint = "; the key may not be URL-encoded on its way to Momento: keep keys URL-safe"
    return replace(step, name=name, detail=step.detail + hint)


def dead_letters(run: TableRun) -> Step:
    """No dead letter may name a canary."""
    name = "dead letters: none for the canary"
    letters, unknown = run.diagnoser.canary_letters(run.table_id, run.written)
    if letters:
        return run.step(name, status=StepStatus.FAILED, diagnosis=letters + unknown)
    if unknown:
        return run.step(
            name, status=StepStatus.NOT_APPLICABLE, detail="not checked: " + "; ".join(unknown)
        )
    return run.step(name)


def cleanup(run: TableRun) -> Step:
    """Remove every canary from the table and the caches, whatever happened before."""
    problems: list[str] = []
    canaries = [dict(run.canary.keys)]
    canaries += [dict(keys) for keys in run.written if keys != run.canary.keys]
    for keys in canaries:
        try:
            run.delete(keys)
            for call in run.cache_deletes(run.record("REMOVE", keys, None, None)):
                run.context.momento.send(call)
        except Exception as error:  # report, and go on with the other canaries
            problems.append(f"{keys}: {error}")
    if problems:
        return run.step("cleanup", status=StepStatus.FAILED, detail="; ".join(problems)[:500])
    return run.step("cleanup: canaries removed from the table and the caches")


publish()
