"""``verify``: a canary through a deployed stack, step by step, with latencies and diagnoses.

For every table the stack writes to Momento from: subscribe to its topics, write a canary item,
wait until every cache holds exactly the body the stack renders for it and every topic carried
the announcement, update it, delete it and wait for the eviction, probe the TTL and the
encoding of keys with reserved characters, look for dead letters naming the canary, and
remove every canary from the table and the caches, whatever happened.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..cli.status import ExitStatus
from .canary import RESERVED_CHARACTERS, Canary, markers
from .context import OpsContext
from .diagnosis import Diagnoser
from .expectations import Expectation, ExpectationKind, Observer
from .momento import MomentoCallError
from .records import stream_record
from .render import MomentoCall, RenderError, Skip
from .topics import Topics

__all__ = ["SETTLES", "Step", "VerifyOptions", "VerifyReport", "run_verify"]

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
_TTL_SLACK_SECONDS = 3.0


@dataclass(frozen=True)
class VerifyOptions:
    """How to verify (see ``verify --help``)."""

    timeout: float = 60.0
    ttl_probe_seconds: int = 5
    poll_interval: float = 0.25
    settle_seconds: float = 1.0
    skip: frozenset[str] = frozenset()


@dataclass
class Step:
    """One checked expectation."""

    table: str
    name: str
    status: str = "ok"
    """``ok``, ``failed``, ``n/a`` (nothing to check, or not observable) or ``not run``."""
    seconds: float | None = None
    detail: str = ""
    diagnosis: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The step for the ``--json`` report."""
        return {
            "table": self.table,
            "step": self.name,
            "status": self.status,
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
        return [step for step in self.steps if step.status == "failed"]

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
            label = {"ok": "ok", "failed": "FAIL", "n/a": "n/a", "not run": "skip"}[step.status]
            lines.append(f"  {label:<5}{latency:>10}  {step.table}: {step.name}")
            if step.detail:
                lines.append(f"                   {step.detail}")
            for line in step.diagnosis:
                lines.append(f"                   diagnosis: {line}")
        failed = len(self.failed)
        verdict = "every step held" if not failed else f"{failed} step(s) failed"
        lines.append(f"Result: {verdict}")
        return "\n".join(lines) + "\n"


def _phase_skip_matters(phase: str, kind: str) -> bool:
    if kind == "publish":
        return True
    return kind == ("delete" if phase == "remove" else "set")


class _TableVerify:
    """Verifies the paths of one table."""

    def __init__(
        self, context: OpsContext, table_id: str, options: VerifyOptions, report: VerifyReport
    ) -> None:
        self.context = context
        self.table_id = table_id
        self.options = options
        self.report = report
        self.table = context.definitions.tables[table_id]
        self.table_name = context.table_name(table_id)
        self.renderer = context.renderer(table_id)
        self.canary = Canary.create(context.definitions, table_id)
        self.written: list[Mapping[str, Any]] = []
        self.diagnoser = Diagnoser(context, time.time())
        self.topics = Topics()
        self.observer = Observer(context.momento, self.topics)
        self.markers = markers()

    def add(self, name: str, **fields: Any) -> Step:
        step = Step(self.table.path, name, **fields)
        self.report.steps.append(step)
        return step

    # -- the run ------------------------------------------------------------------------------

    def run(self) -> None:
        try:
            if self._preflight():
                self._subscribe()
                if self._phases():
                    self._grant_form_step()
                    self._ttl_step()
                    self._encoding_step()
                self._dead_letter_step()
        finally:
            self.topics.close()
            self._cleanup()

    def _phases(self) -> bool:
        v1, v2 = self.canary.item(1), self.canary.item(2)
        keys = dict(self.canary.keys)
        phases: list[tuple[str, Callable[[], None], dict[str, Any]]] = [
            ("insert", lambda: self._put(v1, new=True), self._record("INSERT", keys, v1, None)),
            ("update", lambda: self._put(v2), self._record("MODIFY", keys, v2, v1)),
            ("remove", self._delete, self._record("REMOVE", keys, None, v2)),
        ]
        for index, (phase, write, record) in enumerate(phases):
            if not self._phase(phase, write, record):
                rest = ", ".join(name for name, _, _ in phases[index + 1 :]) or "none"
                self.add("later steps", status="not run", detail=f"after a failure ({rest}, ttl)")
                return False
        return True

    def _record(
        self,
        event: str,
        keys: Mapping[str, Any],
        new: Mapping[str, Any] | None,
        old: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        context = self.context.record_context(
            self.table_id,
            event_id=self.markers["event_id"],
            sequence_number=self.markers["sequence_number"],
            created=self.markers["created"],
            size=self.markers["size"],
        )
        return stream_record(event, self.table, context, keys=keys, new_image=new, old_image=old)

    # -- table writes -------------------------------------------------------------------------

    def _put(self, item: Mapping[str, Any], new: bool = False) -> None:
        request: dict[str, Any] = {"TableName": self.table_name, "Item": dict(item)}
        if new:
            # Never overwrite an item: the key must be free.
            request["ConditionExpression"] = "attribute_not_exists(#k)"
            request["ExpressionAttributeNames"] = {"#k": self.table.keys[0][0]}
        self.context.aws.client("dynamodb").put_item(**request)
        keys = {name: item[name] for name in self.table.key_names}
        if keys not in self.written:
            self.written.append(keys)

    def _delete(self, keys: Mapping[str, Any] | None = None) -> None:
        self.context.aws.client("dynamodb").delete_item(
            TableName=self.table_name, Key=dict(keys or self.canary.keys)
        )

    # -- expectations -------------------------------------------------------------------------

    def _expectations(
        self, phase: str, record: Mapping[str, Any], note_skips: bool = True
    ) -> list[Expectation]:
        expected: list[Expectation] = []
        for entry in self.renderer.calls(record):
            if isinstance(entry, Skip):
                if note_skips and _phase_skip_matters(phase, entry.kind):
                    self.add(f"{phase}: {entry.source}", status="n/a", detail=entry.reason)
            elif entry.is_cache_call:
                kind: ExpectationKind = "present" if entry.method == "PUT" else "absent"
                verb = "set in" if kind == "present" else "evicted from"
                name = f"{phase}: {verb} cache {entry.cache}"
                expected.append(
                    Expectation(
                        name,
                        kind,
                        entry.source,
                        entry.cache,
                        entry.key_query,
                        entry.body,
                        call=entry,
                    )
                )
            else:
                cache, topic = entry.names
                name = f"{phase}: announced on topic {topic}"
                expected.append(
                    Expectation(name, "message", entry.source, cache, {}, entry.body, topic)
                )
        return expected

    def _phase(self, phase: str, write: Callable[[], None], record: Mapping[str, Any]) -> bool:
        try:
            expected = self._expectations(phase, record)
        except RenderError as error:
            self.add(f"{phase}: render", status="failed", detail=str(error))
            return False
        if phase == "remove":
            self._note_unevicted(expected)
        started = time.monotonic()
        write()
        steps = self._await(expected, started, started + self.options.timeout)
        return all(step.status == "ok" for step in steps)

    def _note_unevicted(self, expected: list[Expectation]) -> None:
        """A cache no pipe deletes from keeps a removed item until its TTL: say so."""
        definitions = self.context.definitions
        caches = {p.cache for p in definitions.pipes_of(self.table_id, "set")}
        caches -= {e.cache for e in expected if e.kind == "absent"}
        for cache in sorted(caches):
            self.add(
                f"remove: evicted from cache {cache}",
                status="n/a",
                detail="no pipe of the stack deletes from this cache: items stay until their TTL",
            )

    def _await(self, expected: list[Expectation], started: float, deadline: float) -> list[Step]:
        pending = dict(enumerate(expected))
        met: dict[int, float] = {}
        seen: dict[int, str] = {}
        while pending:
            self.topics.collect()
            for index, expectation in list(pending.items()):
                observation = self.observer.check(expectation)
                seen[index] = observation.detail
                if observation.seen:
                    met[index] = time.monotonic() - started
                    del pending[index]
            if not pending or time.monotonic() >= deadline:
                break
            time.sleep(self.options.poll_interval)
        return [self._step(e, met.get(i), seen.get(i, "")) for i, e in enumerate(expected)]

    def _step(self, expectation: Expectation, seconds: float | None, seen: str) -> Step:
        if seconds is not None:
            return self.add(expectation.name, seconds=seconds)
        wanted = (expectation.body or b"").decode("utf-8", errors="replace")[:200]
        detail = f"not seen within {self.options.timeout:g} s"
        if expectation.kind != "absent":
            detail += f"; expected {wanted}"
        if seen:
            detail += f"; last seen: {seen}"
        diagnosis = self.diagnoser.explain([expectation.source])
        if expectation.kind == "present" and expectation.call is not None:
            diagnosis.append(self._replay(expectation.call))
        return self.add(expectation.name, status="failed", detail=detail, diagnosis=diagnosis)

    def _replay(self, call: MomentoCall) -> str:
        """Make the expected call with verify's own key: tells a Momento refusal (bad key,
        missing cache, bad request) from a call that never left AWS."""
        try:
            self.context.momento.send(call)
        except MomentoCallError as error:
            return f"the same call with verify's key: {error}"
        return (
            "the same call with verify's key succeeds: the stack's call did not reach Momento "
            "or was refused (see the pipe's state, logs and dead letters)"
        )

    # -- topics -------------------------------------------------------------------------------

    def _topics(self) -> set[tuple[str, str]]:
        definitions = self.context.definitions
        found = {(p.cache, p.topic) for p in definitions.pipes_of(self.table_id, "publish")}
        found |= {(s.cache, s.topic) for s in definitions.syncs_of(self.table_id)}
        return {(cache, topic) for cache, topic in found if topic is not None}

    def _subscribe(self) -> None:
        """Subscribe before the first write."""
        self.topics.subscribe(
            self.context.momento,
            self._topics(),
            timeout=self.options.timeout * 4 + 60,
            settle=self.options.settle_seconds,
        )

    # -- probes ---------------------------------------------------------------------------------

    def _preflight(self) -> bool:
        """verify's own key must read every cache before anything is written."""
        record = self._record("REMOVE", dict(self.canary.keys), None, None)
        for call in self._cache_deletes(record):
            try:
                self.context.momento.get(call.cache, call.key_query)
            except MomentoCallError as error:
                self.add(
                    f"preflight: read cache {call.cache}",
                    status="failed",
                    detail=f"verify's own key cannot read the cache: {error}",
                )
                return False
        return True

    def _grant_form_step(self) -> None:
        """Say what the passing calls do not tell: which ARN form IAM was asked about."""
        definitions = self.context.definitions
        called: list[tuple[str, str, str]] = []
        kinds = {pipe.kind for pipe in definitions.pipes if pipe.table_id == self.table_id}
        if kinds & {"set", "delete", "publish"}:
            called.append(("events:InvokeApiDestination", "API destination", "api-destination"))
        if definitions.syncs_of(self.table_id):
            called.append(("events:RetrieveConnectionCredentials", "connection", "connection"))
        for action, what, kind in called:
            self.add(
                f"iam: resource form of {action}",
                status="n/a",
                detail=(
                    f"not observable: no AWS API reports whether the {what} was authorized as "
                    f"{kind}/<name> or {kind}/<name>/<id>; the calls above succeeded, and the "
                    "roles the constructs create or attach a policy to are granted both"
                ),
            )

    def _ttl_step(self) -> None:
        timed = [s for s in self.canary.ttl if s.attribute is not None]
        if "ttl" in self.options.skip:
            self.add("ttl", status="not run", detail="skipped (--skip ttl)")
            return
        if not timed:
            for source in self.canary.ttl:
                self.add(
                    f"ttl ({source.source})",
                    status="n/a",
                    detail=(
                        f"fixed at {source.fixed_seconds} s by the stack; Momento's HTTP API "
                        "has no call that returns a TTL, so only an expiry would show it"
                    ),
                )
            return
        self._ttl_probe(timed[0].attribute or "", timed[0].epoch)

    def _ttl_probe(self, attribute: str, epoch: bool) -> None:
        probe = Canary.create(self.context.definitions, self.table_id)
        seconds = self.options.ttl_probe_seconds
        item = probe.item(1, ttl_seconds=seconds)
        record = self._record("INSERT", dict(probe.keys), item, None)
        expected = self._expectations("ttl probe", record, False)
        present = [e for e in expected if e.kind == "present"]
        started = time.monotonic()
        self._put(item, new=True)
        steps = self._await(present, started, started + self.options.timeout)
        if not steps or any(step.status != "ok" for step in steps):
            return
        seen_after = max(step.seconds or 0.0 for step in steps)
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
        deadline = started + seen_after + seconds + _TTL_SLACK_SECONDS + self.options.poll_interval
        for step in self._await(absent, started, deadline):
            kind = "epoch seconds" if epoch else "seconds"
            step.detail = f"{attribute} = {item[attribute]['N']} ({kind}); {step.detail}".rstrip(
                "; "
            )
            if step.status == "ok" and (step.seconds or 0.0) < seconds - 1:
                step.status = "failed"
                step.detail += f"; evicted before its {seconds} s TTL"

    def _encoding_step(self) -> None:
        if "encoding" in self.options.skip:
            self.add("encoding", status="not run", detail="skipped (--skip encoding)")
            return
        if not self.canary.can_hold_reserved_characters:
            self.add("encoding", status="n/a", detail="the partition key is not a string")
            return
        probe = Canary.create(self.context.definitions, self.table_id, reserved_characters=True)
        item = probe.item(1)
        record = self._record("INSERT", dict(probe.keys), item, None)
        expected = self._expectations("encoding", record, False)
        present = [e for e in expected if e.kind == "present"]
        started = time.monotonic()
        self._put(item, new=True)
        for step in self._await(present, started, started + self.options.timeout):
            where = step.name.split(": ", 1)[1]
            step.name = f"encoding: key with {RESERVED_CHARACTERS!r} {where}"
            if step.status == "failed":
                step.detail += (
                    "; the key may not be URL-encoded on its way to Momento: keep keys URL-safe"
                )

    def _dead_letter_step(self) -> None:
        name = "dead letters: none for the canary"
        letters, unknown = self.diagnoser.canary_letters(self.table_id, self.written)
        if letters:
            self.add(name, status="failed", diagnosis=letters + unknown)
        elif unknown:
            self.add(name, status="n/a", detail="not checked: " + "; ".join(unknown))
        else:
            self.add(name)

    # -- cleanup ------------------------------------------------------------------------------

    def _cache_deletes(self, record: Mapping[str, Any]) -> list[MomentoCall]:
        return [
            entry
            for entry in self.renderer.removal_calls(record)
            if isinstance(entry, MomentoCall) and entry.is_cache_call and entry.method == "DELETE"
        ]

    def _cleanup(self) -> None:
        problems: list[str] = []
        canaries = [dict(self.canary.keys)]
        canaries += [dict(keys) for keys in self.written if keys != self.canary.keys]
        for keys in canaries:
            try:
                self._delete(keys)
                for call in self._cache_deletes(self._record("REMOVE", keys, None, None)):
                    self.context.momento.send(call)
            except Exception as error:  # report, and go on with the other canaries
                problems.append(f"{keys}: {error}")
        if problems:
            self.add("cleanup", status="failed", detail="; ".join(problems)[:500])
        else:
            self.add("cleanup: canaries removed from the table and the caches")


def run_verify(
    context: OpsContext, options: VerifyOptions, stop: threading.Event | None = None
) -> VerifyReport:
    """Verify every table the stack writes to Momento from."""
    report = VerifyReport(context.names.stack_name)
    definitions = context.definitions
    tables = [
        table_id
        for table_id in definitions.tables
        if definitions.syncs_of(table_id)
        or any(p.table_id == table_id for p in definitions.pipes if p.kind != "other")
    ]
    for table_id in tables:
        if stop is not None and stop.is_set():
            break
        _TableVerify(context, table_id, options, report).run()
    return report
