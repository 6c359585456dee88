"""What ``verify`` reports: its options, each step with its status, latency and diagnosis,
and the behaviours of AWS the steps settle."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from types import MappingProxyType
from typing import Any

from publication import publish

from ..cli.status import ExitStatus

__all__ = ["SETTLES", "Step", "StepStatus", "VerifyOptions", "VerifyReport"]

SETTLES: tuple[tuple[str, str], ...] = (
    (
        "query-value URL-encoding",
        "the encoding step: a key holding ' /?#&+=%é' must arrive under the same key",
    ),
    (
        "Content-Type override",
        "the announcement steps: a pipe's Content-Type: text/plain header parameter must replace "
        "the API destination's application/json, so the topic holds the text as sent",
    ),
    (
        "HTTP tasks in EXPRESS workflows",
        "the sync's set, eviction and announcement steps",
    ),
    (
        "204 without body",
        "the dead-letter step: Momento's empty 204 answers must fail no pipe call or HTTP task",
    ),
    (
        "HTTP task string body Content-Type",
        "the sync's set and announcement steps: the body must arrive byte for byte, the "
        "message as text",
    ),
    (
        "Pipes quote-stripping of bare object templates",
        'the set steps: new_image()\'s {"item": <$.dynamodb.NewImage>} must arrive as the '
        "JSON rendered here, byte for byte",
    ),
)


@dataclass(frozen=True)
class VerifyOptions:
    """How to verify (see ``verify --help``)."""

    timeout: float = 60.0
    ttl_probe_seconds: int = 5
    poll_interval: float = 0.25
    settle_seconds: float = 1.0
    skip: frozenset[str] = frozenset()


class StepStatus(str, Enum):
    """How a step ended; the value is what the ``--json`` report says (and a status still
    compares equal to it, as the plain strings of earlier releases did)."""

    OK = "ok"
    FAILED = "failed"
    NOT_APPLICABLE = "n/a"
    """Nothing to check, or not observable."""
    NOT_RUN = "not run"

    @property
    def label(self) -> str:
        """The step's label in the report for people."""
        return _LABELS[self]


_LABELS = MappingProxyType(
    {
        StepStatus.OK: "ok",
        StepStatus.FAILED: "FAIL",
        StepStatus.NOT_APPLICABLE: "n/a",
        StepStatus.NOT_RUN: "skip",
    }
)


@dataclass(frozen=True)
class Step:
    """One checked expectation."""

    table: str
    name: str
    status: StepStatus = StepStatus.OK
    seconds: float | None = None
    detail: str = ""
    diagnosis: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The step for the ``--json`` report."""
        return {
            "table": self.table,
            "step": self.name,
            "status": self.status.value,
            "latency_seconds": None if self.seconds is None else round(self.seconds, 3),
            "detail": self.detail,
            "diagnosis": list(self.diagnosis),
        }


@dataclass
class VerifyReport:
    """Every step of a verify run."""

    stack: str
    steps: list[Step] = field(default_factory=list)

    @property
    def failed(self) -> list[Step]:
        """The steps that did not hold."""
        return [step for step in self.steps if step.status is StepStatus.FAILED]

    @property
    def exit_status(self) -> int:
        """0 only when every step held."""
        return ExitStatus.FAILED if self.failed or not self.steps else ExitStatus.OK

    def to_json(self) -> dict[str, Any]:
        """The report for CI."""
        return {
            "stack": self.stack,
            "ok": self.exit_status == ExitStatus.OK,
            "exit_status": self.exit_status,
            "steps": [step.to_json() for step in self.steps],
            "settles": [{"behaviour": b, "settled_by": s} for b, s in SETTLES],
        }

    def text(self) -> str:
        """The report for people."""
        lines = [f"Verify stack {self.stack}"]
        for step in self.steps:
            latency = "" if step.seconds is None else f"{step.seconds:7.2f} s"
            lines.append(f"  {step.status.label:<5}{latency:>10}  {step.table}: {step.name}")
            if step.detail:
                lines.append(f"                   {step.detail}")
            for line in step.diagnosis:
                lines.append(f"                   diagnosis: {line}")
        failed = len(self.failed)
        verdict = "every step held" if not failed else f"{failed} step(s) failed"
        lines.append(f"Result: {verdict}")
        return "\n".join(lines) + "\n"


publish()
