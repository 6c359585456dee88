"""The Momento calls a stack makes for one stream record, rendered exactly as it would.

A pipe's call is its input template and HTTP parameters rendered against the record by the
same code the local runtime uses (:mod:`..engine.templates`), after the pipe's filters; a sync's
calls are what its state machine definition sends when the local interpreter runs it on the
record, with every HTTP call answered ``204`` and recorded instead of sent. Nothing is sent
from here: the commands decide which calls to make (a backfill never announces).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from publication import publish

from .._aws_names import DEFAULT_CONTENT_TYPE
from ..engine.errors import ReasonedError
from ..engine.patterns import CompiledPattern, compile_pattern, matches_any
from ..engine.records import filter_view, iso_time
from ..engine.stack import momento_names
from ..engine.templates import PipeContext, TemplateError, render_input_template, render_parameter
from .definitions import PipePath, StackDefinitions, SyncPath, TableDefinition

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "MomentoCall",
    "RenderError",
    "Skip",
    "StackRenderer",
]

_KEY_PARAMETERS = ("key", "key_base64")


class RenderError(ReasonedError):
    """A record the stack cannot render (the pipe or sync would fail it too); the subject is
    the construct path of the pipe or sync."""

    @property
    def source(self) -> str:
        """The construct path of the pipe or sync that cannot render it."""
        return self.subject


@dataclass(frozen=True)
class MomentoCall:
    """One HTTP call to Momento, without the API key (the caller adds it)."""

    kind: str
    """What made it: ``"set"``, ``"delete"`` or ``"publish"`` pipe, or ``"sync"``."""
    source: str
    method: str
    path: str
    query: str
    headers: Mapping[str, str]
    body: bytes | None

    @property
    def names(self) -> list[str]:
        """``[cache]`` for a cache call, ``[cache, topic]`` for a publish."""
        return momento_names(self.path)

    @property
    def is_cache_call(self) -> bool:
        """A set or delete in a cache (not an announcement)."""
        return self.path.startswith("/cache/")

    @property
    def cache(self) -> str:
        """The cache the call goes to."""
        return self.names[0]

    @property
    def parameters(self) -> dict[str, str]:
        """The query parameters, decoded."""
        return {name: values[0] for name, values in parse_qs(self.query).items()}

    @property
    def key_query(self) -> dict[str, str]:
        """``{"key": ..}`` or ``{"key_base64": ..}``."""
        return {k: v for k, v in self.parameters.items() if k in _KEY_PARAMETERS}

    @property
    def key(self) -> str:
        """The Momento key as text (``base64:`` and the URL-safe base64 for a binary key)."""
        parameters = self.parameters
        if "key" in parameters:
            return parameters["key"]
        return "base64:" + parameters.get("key_base64", "")

    @property
    def ttl_seconds(self) -> int | None:
        """The TTL of a set, as sent."""
        value = self.parameters.get("ttl_seconds")
        try:
            return None if value is None else int(value)
        except ValueError:
            return None

    def describe(self, body_limit: int = 160) -> str:
        """One line for people: method, cache, key, TTL and the start of the body."""
        text = f"{self.method} {'/'.join(self.names)} key={self.key!r}"
        if self.ttl_seconds is not None:
            text += f" ttl={self.ttl_seconds}s"
        if self.body is not None and self.method != "DELETE":
            body = self.body.decode("utf-8", errors="replace")
            shown = body if len(body) <= body_limit else body[:body_limit] + "..."
            text += f" body={shown}"
        return text


@dataclass(frozen=True)
class Skip:
    """A path the record does not take, and why."""

    kind: str
    source: str
    reason: str


Rendered = MomentoCall | Skip


def _encoded_query(pairs: Sequence[tuple[str, str]]) -> str:
    # Percent-encode every reserved character, as the local runtime assumes Pipes does
    # (whether it does is one of the things `verify` settles on AWS).
    return "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)


class _PipeRenderer:
    """Renders the call of one pipe with an API destination target."""

    def __init__(self, pipe: PipePath, context: PipeContext) -> None:
        self.pipe = pipe
        self._context = context
        self._filters: tuple[CompiledPattern, ...] = tuple(
            compile_pattern(text) for text in pipe.filters
        )

    def render(self, record: Mapping[str, Any], now: float) -> Rendered:
        pipe = self.pipe
        if not matches_any(self._filters, filter_view(record)):
            return Skip(pipe.kind, pipe.path, f"the filter of pipe {pipe.path} does not match")
        context = PipeContext(
            pipe_arn=self._context.pipe_arn,
            pipe_name=self._context.pipe_name,
            source_arn=str(record.get("eventSourceARN", "")),
            target_arn=self._context.target_arn,
            ingestion_time=iso_time(now),
        )
        try:
            body = render_input_template(pipe.input_template, record, context)
            query = [(name, render_parameter(value, record)) for name, value in pipe.query.items()]
            headers = {"Content-Type": DEFAULT_CONTENT_TYPE}
            for name, value in pipe.headers.items():
                for existing in [h for h in headers if h.lower() == name.lower()]:
                    del headers[existing]
                headers[name] = render_parameter(value, record)
        except TemplateError as error:
            raise RenderError(pipe.path, str(error)) from error
        data = None if pipe.method == "DELETE" else body.encode("utf-8")
        return MomentoCall(
            pipe.kind, pipe.path, pipe.method, pipe.url_path(), _encoded_query(query), headers, data
        )

    def delete_for(self, record: Mapping[str, Any]) -> MomentoCall:
        """A DELETE of the key this set pipe writes (for caches without a delete pipe)."""
        pipe = self.pipe
        try:
            query = [
                (name, render_parameter(value, record))
                for name, value in pipe.query.items()
                if name in _KEY_PARAMETERS
            ]
        except TemplateError as error:
            raise RenderError(pipe.path, str(error)) from error
        return MomentoCall(
            "delete", pipe.path, "DELETE", pipe.url_path(), _encoded_query(query), {}, None
        )


class _SyncRenderer:
    """Runs a sync's state machine on one record, recording the calls it would make."""

    def __init__(self, sync: SyncPath, clock: Callable[[], float]) -> None:
        from ..engine.stepfunctions import HttpRequest, HttpResponse, StateMachineInterpreter

        self.sync = sync
        self._calls = threading.local()

        def capture(request: HttpRequest) -> HttpResponse:
            self._calls.requests.append(request)
            return HttpResponse(204, "No Content")

        def dead_letter(request: dict[str, Any]) -> Mapping[str, Any]:
            self._calls.dead_letters.append(request)
            return {"MessageId": "render-only", "MD5OfMessageBody": ""}

        self._interpreter = StateMachineInterpreter(
            sync.definition,
            http=capture,
            send_message=dead_letter,
            sleep=lambda seconds: None,
            clock=lambda: datetime.fromtimestamp(clock(), tz=timezone.utc),
            # The commands send these calls themselves, not through Step Functions: an item
            # too large for an execution's 256 KiB is rendered as the sync would write it, so
            # redrive and backfill can put into the cache what the sync itself cannot carry.
            payload_limit_bytes=None,
        )

    def render(self, record: Mapping[str, Any]) -> list[MomentoCall]:
        self._calls.requests = []
        self._calls.dead_letters = []
        result = self._interpreter.start_sync_execution([dict(record)])
        if self._calls.dead_letters:
            letter = self._calls.dead_letters[0].get("MessageBody", "")
            raise RenderError(self.sync.path, f"the state machine would dead-letter it: {letter}")
        if result.status != "SUCCEEDED":
            raise RenderError(self.sync.path, f"execution {result.status}: {result.error}")
        calls = []
        for request in self._calls.requests:
            url = urlsplit(request.url)
            calls.append(
                MomentoCall(
                    "sync",
                    self.sync.path,
                    request.method,
                    url.path,
                    url.query,
                    dict(request.headers),
                    request.body,
                )
            )
        return calls


class StackRenderer:
    """The calls the stack makes for records of one of its tables.

    Args:
        definitions: the stack.
        table_id: the table's logical ID.
        pipe_names: physical pipe names by logical ID, for ``<aws.pipes.pipe-name>``.
        clock: epoch seconds (the sync's ``Execution.StartTime``, ingestion times).
    """

    def __init__(
        self,
        definitions: StackDefinitions,
        table_id: str,
        *,
        pipe_names: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.table: TableDefinition = definitions.tables[table_id]
        self._clock = clock
        names = pipe_names or {}
        self._pipes = [
            _PipeRenderer(pipe, PipeContext(pipe_name=names.get(pipe.logical_id, "")))
            for pipe in definitions.pipes
            if pipe.table_id == table_id and pipe.kind in ("set", "delete", "publish")
        ]
        self._syncs = [_SyncRenderer(sync, clock) for sync in definitions.syncs_of(table_id)]

    def calls(self, record: Mapping[str, Any]) -> list[Rendered]:
        """Every call the stack makes for ``record``, and every path it does not take.

        Raises:
            RenderError: when a pipe or the sync cannot render the record.
        """
        now = self._clock()
        rendered: list[Rendered] = [pipe.render(record, now) for pipe in self._pipes]
        for sync in self._syncs:
            rendered.extend(sync.render(record))
        return rendered

    def removal_calls(self, record: Mapping[str, Any]) -> list[Rendered]:
        """The calls for a ``REMOVE`` record, plus a DELETE for every cache a set pipe writes
        that no delete pipe of the table evicts from (so the cache can follow the table)."""
        rendered = self.calls(record)
        evicted = {c.cache for c in rendered if isinstance(c, MomentoCall) and c.method == "DELETE"}
        for pipe in self._pipes:
            if pipe.pipe.kind == "set" and pipe.pipe.cache not in evicted:
                rendered.append(pipe.delete_for(record))
                evicted.add(pipe.pipe.cache)
        return rendered

    def expired(self, item: Mapping[str, Any]) -> str | None:
        """Why an item counts as gone: its DynamoDB TTL (epoch seconds) has passed.

        DynamoDB deletes such items in the background, typically within days, and until
        then reads and scans still return them
        (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTimeToLive.html).
        """
        attribute = self.table.ttl_attribute
        value = item.get(attribute or "") if attribute else None
        if not isinstance(value, Mapping) or "N" not in value:
            return None
        try:
            expires = float(value["N"])
        except ValueError:
            return None
        if expires <= self._clock():
            return f"expired: the table's TTL attribute {attribute} has passed"
        return None


publish()
