"""``backfill``: write every item of a table into the cache exactly as the stack would.

Each item becomes the ``INSERT`` record DynamoDB Streams would write for it; the stack's set
pipes render their input template and query parameters against it (after their filters) and
its syncs run their state machine on it; the cache calls that result are made, the topic
announcements are not. The table is read with a parallel scan, the calls are paced by a
shared rate limit with back-off, and the position of every scan segment can be kept in a state
file so an interrupted run resumes.

Why running the pipe first and the backfill second loses nothing: every change made after the
pipe started reaches the cache through the pipe. The backfill reads each item again
(consistently, ``BatchGetItem``) just before writing it, a few items at a time, so what it
writes is the item as it was at most tens of milliseconds earlier; a change after that read
reaches Momento through the stream and the pipe, which takes longer than that, and lands
after the backfill's write. (How long Pipes takes is not documented; the margin is that of a
stream read and an HTTP call against a direct write.)
"""

from __future__ import annotations

import threading
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from publication import publish

from ..cli.status import ExitStatus
from .context import OpsContext
from .momento import MomentoCallError
from .pacing import DEFAULT_MAX_RATE, Backoff, Interrupted, PacedWriter, RateLimiter
from .progress import Progress, Tally
from .records import describe_key, key_of, stream_record
from .render import MomentoCall, RenderError, Skip, StackRenderer
from .state import ScanState
from .table import MAX_BATCH_KEYS, read_items

__all__ = ["BackfillOptions", "BackfillReport", "run_backfill"]

_EXPIRED_SYNC = "expired: its epoch TTL has passed (the sync evicts such an item, never sets it)"
_DELETED = "deleted since the scan read it (the pipe evicts it)"
_GROUP_SECONDS = 0.05


@dataclass
class _Plan:
    """What one item becomes: its cache writes, the reasons of the paths that skip it, and
    why it failed, if it did."""

    calls: list[MomentoCall]
    skipped: list[str]
    failure: str | None = None


@dataclass(frozen=True)
class BackfillOptions:
    """How to backfill (see ``backfill --help``)."""

    table: str | None = None
    max_rate: float = DEFAULT_MAX_RATE
    segments: int = 4
    dry_run: bool = False
    state_file: Path | None = None
    page_size: int | None = None
    backoff: Backoff = field(default_factory=Backoff)


@dataclass
class BackfillReport:
    """What a backfill did."""

    table: str
    tally: Tally
    status: str = "complete"
    """``complete``, ``interrupted`` (asked to stop) or ``aborted`` (Momento unusable)."""
    problem: str | None = None
    setup_problem: bool = False

    @property
    def exit_status(self) -> int:
        """0 when every item was written or skipped, 1 otherwise, 2 for a rejected key or
        a missing cache."""
        if self.setup_problem:
            return ExitStatus.NOT_RUN
        if self.status != "complete" or self.tally["failed"]:
            return ExitStatus.FAILED
        return ExitStatus.OK


class _Abort(Exception):
    """Momento cannot take writes now; the run stops and keeps its state."""


class _Backfill:
    def __init__(
        self,
        context: OpsContext,
        options: BackfillOptions,
        out: TextIO,
        stop: threading.Event,
    ) -> None:
        self.context = context
        self.options = options
        self.out = out
        self.stop = stop
        self.table_id = context.cache_table(options.table)
        self.table = context.definitions.tables[self.table_id]
        self.table_name = context.table_name(self.table_id)
        self.renderer: StackRenderer = context.renderer(self.table_id)
        self.record_context = context.record_context(self.table_id)
        self.report = BackfillReport(self.table_name, Tally())
        self.state = ScanState(
            options.state_file,
            stack=context.names.stack_name,
            table=self.table_name,
            segments=options.segments,
        )
        # One turn of the rate limit per cache an item is written to.
        definitions = context.definitions
        self.slots = len(definitions.pipes_of(self.table_id, "set")) + len(
            definitions.syncs_of(self.table_id)
        )
        # Items read and written together: about 50 ms of writes, so the time between the
        # fresh read and the last write stays short whatever the rate.
        self.group_size = max(1, min(MAX_BATCH_KEYS, int(options.max_rate * _GROUP_SECONDS)))
        self.writer: PacedWriter | None = None
        if not options.dry_run:
            self.writer = PacedWriter(
                context.momento,
                RateLimiter(options.max_rate),
                options.backoff,
                stop,
                on_retry=lambda error: self.report.tally.add("retries"),
            )
        self._out_lock = threading.Lock()
        self._problem_lock = threading.Lock()

    # -- the scan ---------------------------------------------------------------------------

    def run(self) -> BackfillReport:
        pending = [s for s in range(self.options.segments) if not self.state.is_done(s)]
        with ThreadPoolExecutor(max_workers=max(1, len(pending))) as pool:
            futures = [pool.submit(self._segment, segment) for segment in pending]
            try:
                self._wait(futures)
            except KeyboardInterrupt:
                self.stop.set()
                self._mark("interrupted", "interrupted")
                wait(futures)
        if self.stop.is_set():
            self._mark("interrupted", "interrupted")
        for future in futures:
            error = future.exception()
            if error is not None and not isinstance(error, (Interrupted, _Abort)):
                raise error  # the scan itself failed (e.g. a wrong table name)
        return self.report

    def _wait(self, futures: list[Future[None]]) -> None:
        """Wait for every segment; when one fails unexpectedly, stop the others."""
        remaining = set(futures)
        while remaining:
            done, remaining = wait(remaining, timeout=0.2, return_when=FIRST_EXCEPTION)
            if any(f.exception() is not None for f in done):
                self.stop.set()

    def _segment(self, segment: int) -> None:
        dynamodb = self.context.aws.client("dynamodb")
        start = self.state.start_key(segment)
        while not self.stop.is_set():
            request: dict[str, Any] = {
                "TableName": self.table_name,
                "Segment": segment,
                "TotalSegments": self.options.segments,
            }
            if start is not None:
                request["ExclusiveStartKey"] = start
            if self.options.page_size:
                request["Limit"] = self.options.page_size
            page = dynamodb.scan(**request)
            items = page.get("Items", [])
            for first in range(0, len(items), self.group_size):
                self._group(items[first : first + self.group_size])
            start = page.get("LastEvaluatedKey")
            if not self.options.dry_run:
                self.state.advance(segment, start)
            if start is None:
                return
        raise Interrupted()

    # -- a group of items ---------------------------------------------------------------------

    def _group(self, scanned: list[dict[str, Any]]) -> None:
        """Write a few items: read again right before their writes (see PacedWriter), so a
        change made after the scan is never overwritten by the scanned copy."""
        keys = [key_of(item, self.table) for item in scanned]
        plans: list[_Plan] = []
        if self.writer is None:
            plans = [self._plan(item, key) for item, key in zip(scanned, keys, strict=True)]
            self._print([call for plan in plans for call in plan.calls])
            self._tally(plans, keys)
            return
        owners: dict[int, _Plan] = {}

        def produce() -> list[MomentoCall]:
            fresh = read_items(self.context.aws.client("dynamodb"), self.table_name, keys)
            plans[:] = [self._plan(item, key) for item, key in zip(fresh, keys, strict=True)]
            owners.clear()
            owners.update({id(call): plan for plan in plans for call in plan.calls})
            return [call for plan in plans for call in plan.calls]

        def refused(call: MomentoCall, error: MomentoCallError) -> None:
            owners[id(call)].failure = str(error)

        try:
            self.writer.send(produce, slots=len(keys) * self.slots, on_refused=refused)
        except MomentoCallError as error:
            self._abort(error)
        self._tally(plans, keys)

    def _tally(self, plans: list[_Plan], keys: list[dict[str, Any]]) -> None:
        tally = self.report.tally
        written = "would write" if self.writer is None else "written"
        for plan, key in zip(plans, keys, strict=True):
            tally.add("read")
            label = describe_key(key)
            if plan.failure is not None:
                tally.add("failed", plan.failure, label)
                continue
            for reason in plan.skipped:
                tally.add("skipped", reason, label)
            for _ in plan.calls:
                tally.add(written)

    def _plan(self, item: dict[str, Any] | None, keys: dict[str, Any]) -> _Plan:
        """The cache writes for ``item`` as it is now, and why other paths write nothing."""
        if item is None:
            return _Plan([], [_DELETED])
        expired = self.renderer.expired(item)
        if expired is not None:
            return _Plan([], [expired])
        record = stream_record("INSERT", self.table, self.record_context, keys=keys, new_image=item)
        plan = _Plan([], [])
        try:
            rendered = self.renderer.calls(record)
        except RenderError as error:
            plan.failure = f"cannot be rendered ({error.source}): {error.reason}"
            return plan
        for entry in rendered:
            if isinstance(entry, Skip) and entry.kind == "set":
                plan.skipped.append(entry.reason)
            elif isinstance(entry, MomentoCall) and entry.is_cache_call:
                if entry.method == "DELETE":
                    plan.skipped.append(_EXPIRED_SYNC)
                else:
                    plan.calls.append(entry)
        return plan

    def _print(self, calls: list[MomentoCall]) -> None:
        with self._out_lock:
            for call in calls:
                self.out.write(f"would write: {call.describe()}\n")

    def _abort(self, error: MomentoCallError) -> None:
        if error.fatal:
            problem = f"{error}: no write can succeed (check the API key and the cache)"
        else:
            attempts = self.options.backoff.attempts
            problem = f"{error} after {attempts} attempts: Momento is not taking writes"
        with self._problem_lock:
            self.report.setup_problem = self.report.setup_problem or error.fatal
        self._mark("aborted", problem)
        self.stop.set()
        raise _Abort(problem)

    def _mark(self, status: str, problem: str) -> None:
        with self._problem_lock:
            if self.report.status == "complete":
                self.report.status = status
                self.report.problem = problem

    # -- output -------------------------------------------------------------------------------

    def progress_line(self, progress: Progress) -> str:
        """The status line: counts, rate and segments."""
        tally = self.report.tally
        done = tally["written"] + tally["would write"]
        return (
            f"backfill {self.table_name}: {tally['read']} read, {done} written, "
            f"{tally['skipped']} skipped, {tally['failed']} failed, "
            f"{progress.rate(done):.1f} writes/s, {tally['retries']} retries, "
            f"segments {self.state.done_count}/{self.options.segments} done"
        )

    def summary(self) -> str:
        report, options = self.report, self.options
        caches = sorted(
            {p.cache for p in self.context.definitions.pipes_of(self.table_id, "set")}
            | {s.cache for s in self.context.definitions.syncs_of(self.table_id)}
        )
        mode = " (dry run: nothing written)" if options.dry_run else ""
        lines = [
            f"Backfill of table {self.table_name} ({self.table.path}) into cache "
            f"{', '.join(caches)}: {report.status}{mode}"
        ]
        written = "would write" if options.dry_run else "written"
        lines += report.tally.summary_lines(["read", written, "skipped", "failed", "retries"])
        if report.problem:
            lines.append(f"  stopped: {report.problem}")
        if report.status != "complete":
            if options.state_file is not None:
                lines.append(
                    f"  resume: run the same command again (state in {options.state_file})"
                )
            else:
                lines.append("  resume: pass --state-file FILE to be able to resume a backfill")
        return "\n".join(lines) + "\n"


def run_backfill(
    context: OpsContext,
    options: BackfillOptions,
    out: TextIO,
    err: TextIO,
    stop: threading.Event | None = None,
) -> BackfillReport:
    """Backfill the stack's table; print the progress to ``err`` and the summary to ``out``.

    ``stop`` interrupts the run (as Ctrl-C does); the state file keeps what was finished.
    """
    backfill = _Backfill(context, options, out, stop or threading.Event())
    if all(backfill.state.is_done(s) for s in range(options.segments)):
        out.write(
            f"Backfill of table {backfill.table_name}: the state file {options.state_file} "
            "says every segment is done; delete it to backfill again\n"
        )
        return backfill.report
    if backfill.state.resumed:
        err.write(f"Resuming from {options.state_file}\n")
    with Progress(err, backfill.progress_line):
        report = backfill.run()
    out.write(backfill.summary())
    return report


publish()
