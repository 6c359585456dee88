"""What ``verify`` waits for after a write, the waiting, and the step each wait ends in."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from publication import publish

from .expectations import Expectation, ExpectationKind
from .momento import MomentoCallError
from .render import MomentoCall, Skip
from .verify_report import Step, StepStatus
from .verify_table import TableRun

__all__ = ["Expected", "Sighting", "await_sightings", "expectations_of", "sighting_step"]


@dataclass(frozen=True)
class Expected:
    """What a write must produce, and the steps for the paths that produce nothing here."""

    expectations: list[Expectation]
    skipped: list[Step]

    def present(self) -> list[Expectation]:
        """The bodies that must arrive in a cache."""
        return [e for e in self.expectations if e.kind == "present"]


@dataclass(frozen=True)
class Sighting:
    """The end of a wait for one expectation."""

    expectation: Expectation
    seconds: float | None
    """Seconds from the write to the first look that saw it; ``None`` when it never held."""
    last_seen: str = ""
    """What the last look saw, when it did not hold."""


def _skip_matters(phase: str, kind: str) -> bool:
    if kind == "publish":
        return True
    return kind == ("delete" if phase.endswith("remove") else "set")


def _expectation(phase: str, entry: MomentoCall) -> Expectation:
    if entry.is_cache_call:
        kind: ExpectationKind = "present" if entry.method == "PUT" else "absent"
        verb = "set in" if kind == "present" else "evicted from"
        name = f"{phase}: {verb} cache {entry.cache}"
        return Expectation(
            name, kind, entry.source, entry.cache, entry.key_query, entry.body, call=entry
        )
    cache, topic = entry.names
    name = f"{phase}: announced on topic {topic}"
    return Expectation(name, "message", entry.source, cache, {}, entry.body, topic)


def expectations_of(
    run: TableRun, phase: str, record: Mapping[str, Any], note_skips: bool = True
) -> Expected:
    """What the stack must produce for ``record``.

    Args:
        run: the table.
        phase: names the steps (``insert``, ``ttl probe``...).
        record: the stream record of the write.
        note_skips: whether paths the record does not reach become ``n/a`` steps.

    Raises:
        RenderError: when a body cannot be rendered as the stack would.
    """
    expectations: list[Expectation] = []
    skipped: list[Step] = []
    for entry in run.renderer.calls(record):
        if not isinstance(entry, Skip):
            expectations.append(_expectation(phase, entry))
        elif note_skips and _skip_matters(phase, entry.kind):
            skipped.append(
                run.step(
                    f"{phase}: {entry.source}",
                    status=StepStatus.NOT_APPLICABLE,
                    detail=entry.reason,
                )
            )
    return Expected(expectations, skipped)


def await_sightings(
    run: TableRun, expected: list[Expectation], started: float, deadline: float
) -> list[Sighting]:
    """Look at every expectation until each held once, or until ``deadline``.

    Args:
        run: the table.
        expected: what to look for.
        started: the monotonic time of the write, latencies count from it.
        deadline: the monotonic time after which no look is made.
    """
    pending = dict(enumerate(expected))
    met: dict[int, float] = {}
    seen: dict[int, str] = {}
    while pending:
        run.topics.collect()
        for index, expectation in list(pending.items()):
            observation = run.observer.check(expectation)
            seen[index] = observation.detail
            if observation.seen:
                met[index] = time.monotonic() - started
                del pending[index]
        if not pending or time.monotonic() >= deadline:
            break
        time.sleep(run.options.poll_interval)
    return [Sighting(e, met.get(i), seen.get(i, "")) for i, e in enumerate(expected)]


def sighting_step(run: TableRun, sighting: Sighting) -> Step:
    """The step a wait ends in: its latency, or what was missing and why it may be."""
    expectation = sighting.expectation
    if sighting.seconds is not None:
        return run.step(expectation.name, seconds=sighting.seconds)
    wanted = (expectation.body or b"").decode("utf-8", errors="replace")[:200]
    detail = f"not seen within {run.options.timeout:g} s"
    if expectation.kind != "absent":
        detail += f"; expected {wanted}"
    if sighting.last_seen:
        detail += f"; last seen: {sighting.last_seen}"
    diagnosis = run.diagnoser.explain([expectation.source])
    if expectation.kind == "present" and expectation.call is not None:
        diagnosis.append(_replay(run, expectation.call))
    return run.step(expectation.name, status=StepStatus.FAILED, detail=detail, diagnosis=diagnosis)


def _replay(run: TableRun, call: MomentoCall) -> str:
    """Make the expected call with verify's own key: tells a Momento refusal (bad key,
    missing cache, bad request) from a call that never left AWS."""
    try:
        run.context.momento.send(call)
    except MomentoCallError as error:
        return f"the same call with verify's key: {error}"
    return (
        "the same call with verify's key succeeds: the stack's call did not reach Momento "
        "or was refused (see the pipe's state, logs and dead letters)"
    )


publish()
