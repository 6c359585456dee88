"""Shard workers: one thread per pipe and shard, reading the stream in order.

Each worker hands every batch it reads to its pipe's handler and moves on only when the
handler is done with it, so records of one shard reach the target in stream order
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-dynamodb.html).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from publication import publish

from .aws import LocalAws
from .specs import PipeSpec

__all__ = ["BatchHandler", "IdleBackoff", "ShardWorker", "StreamReader", "WorkerPool"]

_LOG = logging.getLogger("momento_eventbridge_constructs.local")

# (shard ID, records as GetRecords returned them) -> False when interrupted by shutdown.
BatchHandler = Callable[[str, Sequence[Mapping[str, Any]]], bool]

_RENEW_CODES = ("ExpiredIteratorException", "ResourceNotFoundException")
# How often a worker filling a batch within its batching window reads again.
_FILL_POLL_SECONDS = 0.05


class StreamReader:
    """The DynamoDB Streams calls of the workers."""

    def __init__(self, aws: LocalAws) -> None:
        self._aws = aws
        # Per (stream, shard): the newest sequence number last_sequence found and the iterator
        # just after it, where its next call reads on.
        self._resume: dict[tuple[str, str], tuple[str | None, str]] = {}

    def shards(self, stream_arn: str) -> list[dict[str, Any]]:
        """The shards of a stream."""
        description = self._aws.streams().describe_stream(StreamArn=stream_arn)
        return [dict(shard) for shard in description["StreamDescription"].get("Shards", [])]

    def iterator(self, stream_arn: str, shard_id: str, kind: str, after: str | None = None) -> str:
        """A shard iterator of type ``kind`` (``AFTER_SEQUENCE_NUMBER`` with ``after``)."""
        request: dict[str, Any] = {
            "StreamArn": stream_arn,
            "ShardId": shard_id,
            "ShardIteratorType": kind,
        }
        if after is not None:
            request["SequenceNumber"] = after
        return str(self._aws.streams().get_shard_iterator(**request)["ShardIterator"])

    def read(self, iterator: str, limit: int) -> tuple[list[dict[str, Any]], str | None]:
        """The records at ``iterator`` and the next iterator (``None``: the shard is closed)."""
        response = self._aws.streams().get_records(ShardIterator=iterator, Limit=limit)
        self._aws.forget_iterator(iterator)
        records = [dict(record) for record in response.get("Records", [])]
        return records, response.get("NextShardIterator")

    def last_sequence(self, stream_arn: str, shard_id: str) -> str | None:
        """The sequence number of the newest record of a shard (``None`` when empty).

        Asks moto's memory first; else reads on from where the previous call for the shard
        stopped, so asking again (every drain does) costs the records written since, not the
        whole shard.
        """
        newest = self._aws.newest_sequence(stream_arn, shard_id)
        if newest is not None:
            return newest
        shard = (stream_arn, shard_id)
        last, kept = self._resume.pop(shard, (None, None))
        start = kept or self.iterator(stream_arn, shard_id, "TRIM_HORIZON")
        try:
            return self._read_to_end(shard, last, start)
        except ClientError:
            if kept is None:
                raise
            # The kept iterator expired (after 15 minutes on AWS): read from the start.
            start = self.iterator(stream_arn, shard_id, "TRIM_HORIZON")
            return self._read_to_end(shard, None, start)

    def _read_to_end(self, shard: tuple[str, str], last: str | None, iterator: str) -> str | None:
        following: str | None = iterator
        while following is not None:
            records, following = self.read(following, 1000)
            if not records:
                if following is not None:
                    self._resume[shard] = (last, following)
                break
            last = str(records[-1]["dynamodb"]["SequenceNumber"])
        return last


class IdleBackoff:
    """The waits of a worker between reads that return nothing: doubling up to a cap.

    Args:
        first: the first wait, and the wait again once records arrive.
        cap: the longest wait (how late an idle worker notices a write nobody drains).
    """

    def __init__(self, first: float, cap: float) -> None:
        self._first = first
        self._cap = max(cap, first)
        self._next = first

    def next_delay(self) -> float:
        """The wait before the next read; the one after it doubles."""
        delay = self._next
        self._next = min(delay * 2, self._cap)
        return delay

    def reset(self) -> None:
        """Records arrived: poll quickly again."""
        self._next = self._first


class ShardWorker:
    """Reads one shard for one pipe, in order, until stopped or the shard is closed.

    Args:
        pipe: the pipe.
        shard_id: the shard.
        reader: the stream calls.
        handle: what the pipe does with a batch.
        stop: set when the runtime stops.
        iterator: where to start reading.
        processed: the sequence number already done with (records up to it are not waited for).
        parent: the worker of the parent shard, read to its end first.
        idle: the waits between reads that return nothing.
    """

    def __init__(
        self,
        pipe: PipeSpec,
        shard_id: str,
        reader: StreamReader,
        handle: BatchHandler,
        stop: threading.Event,
        iterator: str,
        processed: int,
        parent: ShardWorker | None,
        idle: IdleBackoff,
    ) -> None:
        self.pipe = pipe
        self.shard_id = shard_id
        self._reader = reader
        self._handle = handle
        self._stop = stop
        self._iterator = iterator
        self._lock = threading.Lock()
        self._processed = processed
        self._last_sequence: str | None = None
        self.parent = parent
        self._idle = idle
        self._wake = threading.Event()
        self.finished = threading.Event()
        self.thread = threading.Thread(
            target=self._run, name=f"pipe-{pipe.name}-{shard_id[-8:]}", daemon=True
        )

    @property
    def processed(self) -> int:
        """The highest sequence number this worker is done with."""
        with self._lock:
            return self._processed

    def _mark(self, sequence_number: str) -> None:
        with self._lock:
            self._processed = max(self._processed, int(sequence_number))
            self._last_sequence = sequence_number

    def _run(self) -> None:
        try:
            if self.parent is not None:
                while not self._stop.is_set() and not self.parent.finished.wait(0.5):
                    pass
            while not self._stop.is_set() and self._step():
                pass
        except Exception:  # pragma: no cover - a bug; keep it visible
            _LOG.exception("pipe %s: worker for %s crashed", self.pipe.name, self.shard_id)
        finally:
            self.finished.set()

    def _step(self) -> bool:
        """Read once and handle what came; ``False`` when this worker is done."""
        fetched = self._fetch()
        if fetched is None:
            return True
        records, next_iterator = fetched
        if not records:
            if next_iterator is None:
                return False  # the shard is closed and fully read
            self._iterator = next_iterator
            self._wake.wait(self._idle.next_delay())
            self._wake.clear()
            return True
        self._idle.reset()
        records, next_iterator = self._fill(records, next_iterator)
        if not self._handle(self.shard_id, records):
            return False  # stopping in the middle of retries: leave the batch unprocessed
        self._mark(str(records[-1]["dynamodb"]["SequenceNumber"]))
        if next_iterator is None:
            return False
        self._iterator = next_iterator
        return True

    def _fill(
        self, records: list[dict[str, Any]], next_iterator: str | None
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Read on until the batch is full, the batching window has passed since its first
        record, or the shard is closed (``MaximumBatchingWindowInSeconds``; 0: what one read
        returned, up to the batch size)."""
        window = self.pipe.maximum_batching_window_seconds
        deadline = time.monotonic() + window
        while window > 0 and len(records) < self.pipe.batch_size and next_iterator is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._stop.is_set():
                break
            try:
                more, following = self._reader.read(
                    next_iterator, self.pipe.batch_size - len(records)
                )
            except (ClientError, BotoCoreError) as error:
                _LOG.debug("pipe %s: filling a batch stopped: %s", self.pipe.name, error)
                break
            records, next_iterator = records + more, following
            if not more:
                self._stop.wait(min(_FILL_POLL_SECONDS, remaining))
        return records, next_iterator

    def wake(self) -> None:
        """End the current idle wait now (records were written, or the runtime stops)."""
        self._wake.set()

    def _fetch(self) -> tuple[list[dict[str, Any]], str | None] | None:
        """One GetRecords; ``None`` after an error (already handled)."""
        try:
            return self._reader.read(self._iterator, self.pipe.batch_size)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code", "") in _RENEW_CODES:
                self._renew_iterator()
            else:
                self._pause_after(error)
        except BotoCoreError as error:
            self._pause_after(error)
        return None

    def _pause_after(self, error: Exception) -> None:
        if not self._stop.is_set():
            _LOG.warning("pipe %s: GetRecords failed: %s", self.pipe.name, error)
            self._stop.wait(0.2)

    def _renew_iterator(self) -> None:
        with self._lock:
            last = self._last_sequence
        arn = self.pipe.source_arn
        if last is not None:
            self._iterator = self._reader.iterator(
                arn, self.shard_id, "AFTER_SEQUENCE_NUMBER", after=last
            )
            return
        kind = "TRIM_HORIZON" if self.pipe.starting_position == "TRIM_HORIZON" else "LATEST"
        self._iterator = self._reader.iterator(arn, self.shard_id, kind)


class WorkerPool:
    """Every shard worker of every pipe: started together, drained, stopped.

    Args:
        reader: the stream calls.
        stop: set when the runtime stops.
        poll_interval: the first wait of an idle worker before it reads again.
        max_poll_interval: the longest such wait; idle workers double their wait up to it.
            :meth:`drain` and :meth:`join` wake them, so neither waits for it.
    """

    def __init__(
        self,
        reader: StreamReader,
        stop: threading.Event,
        poll_interval: float,
        max_poll_interval: float,
    ) -> None:
        self._reader = reader
        self._stop = stop
        self._poll_interval = poll_interval
        self._max_poll_interval = max_poll_interval
        self.workers: list[ShardWorker] = []

    def start(self, pipes: Iterable[PipeSpec], handler: Callable[[PipeSpec], BatchHandler]) -> None:
        """One worker per pipe and shard; LATEST pipes skip what is already there."""
        for pipe in pipes:
            handle = handler(pipe)
            by_id: dict[str, ShardWorker] = {}
            for shard in self._reader.shards(pipe.source_arn):
                shard_id = str(shard["ShardId"])
                iterator, processed = self._start_position(pipe, shard_id)
                parent = by_id.get(str(shard.get("ParentShardId", "")))
                by_id[shard_id] = ShardWorker(
                    pipe,
                    shard_id,
                    self._reader,
                    handle,
                    self._stop,
                    iterator,
                    processed,
                    parent,
                    IdleBackoff(self._poll_interval, self._max_poll_interval),
                )
                self.workers.append(by_id[shard_id])
        for worker in self.workers:
            worker.thread.start()

    def _start_position(self, pipe: PipeSpec, shard_id: str) -> tuple[str, int]:
        """The first iterator of a worker and the sequence number it is already done with."""
        last = self._reader.last_sequence(pipe.source_arn, shard_id)
        if pipe.starting_position == "TRIM_HORIZON" or last is None:
            kind = "TRIM_HORIZON" if pipe.starting_position == "TRIM_HORIZON" else "LATEST"
            return self._reader.iterator(pipe.source_arn, shard_id, kind), 0
        iterator = self._reader.iterator(
            pipe.source_arn, shard_id, "AFTER_SEQUENCE_NUMBER", after=last
        )
        return iterator, int(last)

    def join(self, timeout: float) -> None:
        """Wait for every worker to end (the stop event must be set)."""
        for worker in self.workers:
            worker.wake()
        for worker in self.workers:
            if worker.thread.is_alive():
                worker.thread.join(timeout=timeout)
        self.workers.clear()

    def drain(self, timeout: float) -> None:
        """Return once every worker has handled every record written so far.

        Raises:
            TimeoutError: when some worker is still behind after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        targets = self._newest_sequences()
        while True:
            behind = [
                worker
                for worker in self.workers
                if worker.processed < targets[(worker.pipe.source_arn, worker.shard_id)]
                and not worker.finished.is_set()
            ]
            if not behind:
                return
            for worker in behind:
                worker.wake()
            if time.monotonic() >= deadline:
                names = ", ".join(
                    f"{w.pipe.name} at {w.processed} < {targets[(w.pipe.source_arn, w.shard_id)]}"
                    for w in behind
                )
                raise TimeoutError(f"pipes still behind after {timeout} s: {names}")
            time.sleep(0.01)

    def _newest_sequences(self) -> dict[tuple[str, str], int]:
        targets: dict[tuple[str, str], int] = {}
        for worker in self.workers:
            key = (worker.pipe.source_arn, worker.shard_id)
            if key not in targets:
                last = self._reader.last_sequence(*key)
                targets[key] = int(last) if last is not None else 0
        return targets


publish()
