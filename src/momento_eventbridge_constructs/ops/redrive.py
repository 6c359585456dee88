"""``redrive``: for every dead letter, make the cache match the table for the affected keys.

A pipe's dead letter names a shard and a range of sequence numbers: the records are read back
from the stream (while it retains them, 24 hours) to learn their keys. A sync's dead letter
names the keys itself (one key, or every key of a batch whose announcement failed). For every
key the table is read with a consistent ``GetItem``; an item that exists is set in the cache
as the stack renders it, one that does not (or whose DynamoDB TTL has passed) is deleted.
Only when every key of a message is done is the message deleted, so a run can be repeated:
the result is the same.

What a redrive cannot bring back: a topic announcement that was dead-lettered is not
published again (its moment has passed); the cache is still made to match the table.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from publication import publish

from ..cli.status import ExitStatus
from .context import OpsContext
from .momento import MomentoCallError
from .pacing import DEFAULT_MAX_RATE, Backoff, Interrupted, PacedWriter, RateLimiter
from .progress import Progress, Tally
from .records import describe_key, stream_record, sync_letter_keys
from .render import MomentoCall, RenderError, StackRenderer
from .stream import StreamExpired, read_range, table_name_of_stream

__all__ = ["RedriveOptions", "RedriveReport", "run_redrive"]


@dataclass(frozen=True)
class RedriveOptions:
    """How to redrive (see ``redrive --help``)."""

    queue_urls: tuple[str, ...] = ()
    dry_run: bool = False
    max_rate: float = DEFAULT_MAX_RATE
    backoff: Backoff = field(default_factory=Backoff)
    visibility_timeout: int = 300
    receive_wait_seconds: int = 2
    """Long polling: an empty answer after this wait means the queue is drained
    (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/
    sqs-short-and-long-polling.html)."""


@dataclass
class RedriveReport:
    """What a redrive did; ``left`` holds (message ID, reason) of every message kept."""

    tally: Tally = field(default_factory=Tally)
    left: list[tuple[str, str]] = field(default_factory=list)
    problem: str | None = None

    @property
    def exit_status(self) -> int:
        """0 when every message was redriven, 1 when some were left, 2 for a rejected key."""
        if self.problem is not None:
            return ExitStatus.NOT_RUN
        return ExitStatus.FAILED if self.left else ExitStatus.OK


@dataclass(frozen=True)
class _Table:
    """A table a dead letter names."""

    logical_id: str
    name: str


def _from_stream_keys(keys: Mapping[str, Any]) -> dict[str, Any]:
    """Keys as a sync's dead letter holds them (binary as base64 text) -> GetItem's form."""
    result: dict[str, Any] = {}
    for name, value in keys.items():
        if isinstance(value, Mapping) and isinstance(value.get("B"), str):
            result[name] = {"B": base64.b64decode(value["B"])}
        else:
            result[name] = dict(value)
    return result


class _Left(Exception):
    """The message stays in its queue, for this reason."""


class _Fatal(Exception):
    """Momento rejects the key or the cache: nothing more can be done."""


class _Redrive:
    def __init__(
        self, context: OpsContext, options: RedriveOptions, out: TextIO, stop: threading.Event
    ) -> None:
        self.context = context
        self.options = options
        self.out = out
        self.report = RedriveReport()
        self._renderers: dict[str, StackRenderer] = {}
        self._done_keys: set[str] = set()
        self.writer: PacedWriter | None = None
        if not options.dry_run:
            self.writer = PacedWriter(
                context.momento,
                RateLimiter(options.max_rate),
                options.backoff,
                stop,
                on_retry=lambda error: self.report.tally.add("retries"),
            )

    def queue_urls(self) -> list[str]:
        """The queues to read: the given ones, else the stack's dead-letter queues."""
        if self.options.queue_urls:
            return list(self.options.queue_urls)
        definitions = self.context.definitions
        return [
            self.context.names.require(
                queue_id, f"dead-letter queue {definitions.path_of(queue_id)}", "--queue-url"
            )
            for queue_id in definitions.dead_letter_ids()
        ]

    # -- queues -------------------------------------------------------------------------------

    def run(self, urls: list[str]) -> RedriveReport:
        try:
            for url in urls:
                self._queue(url)
        except _Fatal as error:
            self.report.problem = str(error)
        return self.report

    def _queue(self, url: str) -> None:
        sqs = self.context.aws.client("sqs")
        kept: list[str] = []
        seen: set[str] = set()
        try:
            while True:
                answer = sqs.receive_message(
                    QueueUrl=url,
                    MaxNumberOfMessages=10,
                    VisibilityTimeout=self.options.visibility_timeout,
                    WaitTimeSeconds=self.options.receive_wait_seconds,
                )
                messages = answer.get("Messages", [])
                if not messages:
                    return
                for message in messages:
                    if message["MessageId"] in seen:
                        continue
                    seen.add(message["MessageId"])
                    kept.append(message["ReceiptHandle"])  # until it is done
                    if self._message(message) and not self.options.dry_run:
                        sqs.delete_message(QueueUrl=url, ReceiptHandle=kept.pop())
        finally:
            # What stays is visible again at once, for the next run.
            for handle in kept:
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0
                )

    def _message(self, message: Mapping[str, Any]) -> bool:
        """Handle one message; whether it may be deleted."""
        tally = self.report.tally
        tally.add("messages")
        try:
            body = json.loads(message.get("Body", ""))
        except json.JSONDecodeError:
            return self._leave(message, "its body is not JSON")
        try:
            table, keys = self._affected(body)
            ok = all([self._reconcile(table, key) for key in keys])
        except _Left as left:
            return self._leave(message, str(left))
        except ValueError as error:
            # What the message names cannot be used (a stream ARN that is not one, a sequence
            # number or a binary key that does not parse): say what, in its own words.
            return self._leave(message, f"it cannot be redriven: {error}")
        if not ok:
            return self._leave(message, "some of its keys failed (see above)")
        tally.add("messages redriven")
        return True

    def _leave(self, message: Mapping[str, Any], reason: str) -> bool:
        """Keep ``message`` in its queue for ``reason``; always ``False`` (not deletable)."""
        self.report.tally.add("messages left", reason)
        self.report.left.append((str(message["MessageId"]), reason))
        return False

    # -- what a message names -----------------------------------------------------------------

    def _affected(self, body: Any) -> tuple[_Table, list[dict[str, Any]]]:
        if isinstance(body, Mapping) and isinstance(body.get("DDBStreamBatchInfo"), Mapping):
            return self._batch_keys(body["DDBStreamBatchInfo"])
        if isinstance(body, Mapping) and body.get("source") == "DynamoToMomentoSync":
            table = self._table(str(body.get("table", "")))
            named = sync_letter_keys(body)
            if not named:
                raise _Left("the sync's dead letter names no keys")
            return table, [_from_stream_keys(keys) for keys in named]
        raise _Left("not a dead letter of a pipe or sync (no DDBStreamBatchInfo, no keys)")

    def _table(self, physical_name: str) -> _Table:
        """The table a dead letter names: its physical name, and which of the stack's."""
        table_id = self.context.names.table_id_of(physical_name)
        if table_id is None:
            raise _Left(
                f"table {physical_name} is not a table of this stack (pass --table-name ID=NAME)"
            )
        return _Table(table_id, physical_name)

    def _batch_keys(self, info: Mapping[str, Any]) -> tuple[_Table, list[dict[str, Any]]]:
        stream_arn = str(info.get("streamArn", ""))
        first = str(info.get("startSequenceNumber", ""))
        last = str(info.get("endSequenceNumber", first))
        shard = str(info.get("shardId", ""))
        table = self._table(table_name_of_stream(stream_arn))
        streams = self.context.aws.client("dynamodbstreams")
        try:
            records = read_range(streams, stream_arn, shard, first, last)
        except StreamExpired as error:
            self.report.tally.add("expired batches")
            raise _Left(
                f"its records ({shard}, {first}..{last}) have expired from the stream "
                f"(24-hour retention), so their keys cannot be learned: run `backfill` to "
                f"rewrite the whole table ({error})"
            ) from None
        if not records:
            raise _Left(f"no record {first}..{last} of {shard} is in the stream any more")
        unique: dict[str, dict[str, Any]] = {}
        for record in records:
            keys = dict(record["dynamodb"]["Keys"])
            unique.setdefault(json.dumps(keys, sort_keys=True, default=str), keys)
        return table, list(unique.values())

    # -- one key ------------------------------------------------------------------------------

    def _renderer(self, table_id: str) -> StackRenderer:
        if table_id not in self._renderers:
            self._renderers[table_id] = self.context.renderer(table_id)
        return self._renderers[table_id]

    def _reconcile(self, table: _Table, keys: dict[str, Any]) -> bool:
        """Make the caches of the table match it for ``keys``; whether every call succeeded.

        The item is read (consistently) on every attempt, right before the calls are made.
        """
        marker = table.name + json.dumps(keys, sort_keys=True, default=str)
        if marker in self._done_keys:
            return True
        label = describe_key(keys)
        made: list[MomentoCall] = []

        def produce() -> list[MomentoCall]:
            made[:] = self._calls(table, keys)
            return made

        try:
            if self.writer is None:
                self._show("would ", produce())
            else:
                self.writer.send(produce, slots=len(self._calls_per_key(table)))
                self._show("", made)
        except RenderError as error:
            self.report.tally.add("keys failed", f"cannot be rendered: {error}", label)
            return False
        except MomentoCallError as error:
            if error.fatal:
                problem = f"{error}: no call can succeed (check the API key and the cache)"
                raise _Fatal(problem) from error
            self.report.tally.add("keys failed", str(error), label)
            return False
        self._done_keys.add(marker)
        return True

    def _calls_per_key(self, table: _Table) -> list[str]:
        """The caches a key of the table is set in or deleted from (one turn each)."""
        definitions = self.context.definitions
        caches = {p.cache for p in definitions.pipes_of(table.logical_id, "set")}
        caches |= {p.cache for p in definitions.pipes_of(table.logical_id, "delete")}
        caches |= {s.cache for s in definitions.syncs_of(table.logical_id)}
        return sorted(caches)

    def _calls(self, table: _Table, keys: dict[str, Any]) -> list[MomentoCall]:
        renderer = self._renderer(table.logical_id)
        item = (
            self.context.aws.client("dynamodb")
            .get_item(TableName=table.name, Key=keys, ConsistentRead=True)
            .get("Item")
        )
        definition = renderer.table
        record_context = self.context.record_context(table.logical_id, table_name=table.name)
        if item is not None and renderer.expired(item) is None:
            record = stream_record("INSERT", definition, record_context, keys=keys, new_image=item)
            rendered = renderer.calls(record)
            kinds: tuple[str, ...] = ("set", "sync")
        else:
            record = stream_record("REMOVE", definition, record_context, keys=keys, old_image=item)
            rendered = renderer.removal_calls(record)
            kinds = ("set", "delete", "sync")
        return [
            entry
            for entry in rendered
            if isinstance(entry, MomentoCall) and entry.is_cache_call and entry.kind in kinds
        ]

    def _show(self, prefix: str, calls: list[MomentoCall]) -> None:
        for call in calls:
            verb = "set" if call.method == "PUT" else ("delete" if prefix else "deleted")
            self.out.write(f"{prefix}{verb}: {call.describe(80 if not prefix else 160)}\n")
            self.report.tally.add("keys set" if call.method == "PUT" else "keys deleted")

    def summary(self, urls: list[str]) -> str:
        mode = " (dry run: nothing written, no message deleted)" if self.options.dry_run else ""
        lines = [f"Redrive of stack {self.context.names.stack_name}, {len(urls)} queue(s){mode}"]
        lines += self.report.tally.summary_lines(
            [
                "messages",
                "messages redriven",
                "messages left",
                "keys set",
                "keys deleted",
                "keys failed",
                "retries",
            ]
        )
        if self.report.tally["expired batches"]:
            lines.append(
                "  some dead letters name records the stream no longer holds: run `backfill`"
            )
        if self.report.problem:
            lines.append(f"  stopped: {self.report.problem}")
        return "\n".join(lines) + "\n"


def run_redrive(
    context: OpsContext,
    options: RedriveOptions,
    out: TextIO,
    err: TextIO,
    stop: threading.Event | None = None,
) -> RedriveReport:
    """Redrive the stack's dead letters; progress to ``err``, a line per call and the summary
    to ``out``."""
    redrive = _Redrive(context, options, out, stop or threading.Event())
    urls = redrive.queue_urls()
    tally = redrive.report.tally

    def line(progress: Progress) -> str:
        return (
            f"redrive: {tally['messages']} messages read, {tally['messages redriven']} "
            f"redriven, {tally['messages left']} left"
        )

    try:
        with Progress(err, line):
            report = redrive.run(urls)
    except Interrupted:
        report = redrive.report
        report.problem = None
        report.left.append(("", "interrupted"))
    out.write(redrive.summary(urls))
    return report


publish()
