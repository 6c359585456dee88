"""The local EventBridge Pipes runtime: DynamoDB stream -> filter -> template -> HTTP target.

:class:`LocalPipeline` reads a synthesized stack, creates its tables, queues and secrets in a
local moto server, starts a local Momento server (unless ``MOMENTO_API_KEY`` and
``MOMENTO_API_ENDPOINT`` point at the real service) and runs every ``AWS::Pipes::Pipe`` whose
source is the stream of a table of that stack, with one worker thread per pipe and shard.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import threading
import time
import urllib.error
import urllib.request
from base64 import b64encode
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit, urlunsplit

from botocore.exceptions import BotoCoreError, ClientError

from .assembly import (
    AssemblyError,
    Resolver,
    StackTemplate,
    load_stack,
    parse_dynamic_references,
)
from .aws import LocalAws, secret_calls
from .momento_client import MomentoHttpClient
from .momento_server import LocalMomentoServer
from .patterns import CompiledPattern, compile_pattern, matches_any
from .templates import PipeContext, TemplateError, render_input_template, render_parameter

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = ["DeliveryEvent", "Destination", "LocalPipeline", "PipeSpec"]

_LOG = logging.getLogger("momento_eventbridge_constructs.local")
_DEFAULT_CONTENT_TYPE = "application/json; charset=utf-8"
_USER_AGENT = "Amazon/EventBridge/ApiDestinations"
_TABLE_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable")


@dataclass(frozen=True)
class Destination:
    """A resolved ``AWS::Events::ApiDestination`` and the auth of its connection."""

    logical_id: str
    arn: str
    http_method: str
    endpoint: str
    auth_header: str | None
    auth_value: str | None


@dataclass(frozen=True)
class PipeSpec:
    """A resolved ``AWS::Pipes::Pipe`` with a DynamoDB stream source."""

    logical_id: str
    name: str
    arn: str
    table_logical_id: str
    source_arn: str
    batch_size: int
    starting_position: str
    maximum_retry_attempts: int
    maximum_record_age_seconds: int
    dead_letter_arn: str | None
    dead_letter_url: str | None
    filters: tuple[CompiledPattern, ...]
    input_template: str | None
    path_parameter_values: tuple[str, ...]
    query_parameters: Mapping[str, str]
    header_parameters: Mapping[str, str]
    destination: Destination


@dataclass(frozen=True)
class DeliveryEvent:
    """What happened to one stream record in one pipe.

    ``outcome`` is ``delivered``, ``retrying``, ``dead-lettered`` (the batch went to the DLQ),
    ``failed`` (it failed without a DLQ) or ``filtered`` (it did not match the filters).
    """

    pipe: str
    outcome: str
    event_name: str
    keys: Mapping[str, Any]
    sequence_number: str
    method: str = ""
    url: str = ""
    status: int | None = None
    attempt: int = 0
    body: str = ""
    error: str = ""
    at: float = field(default_factory=time.time)

    def describe(self) -> str:
        """A one-line human-readable summary."""
        keys = ", ".join(f"{name}={value!r}" for name, value in self.keys.items())
        line = f"[{self.pipe}] {self.event_name} {keys} -> {self.outcome}"
        if self.method:
            line += f" ({self.method} {self.url}"
            line += f" -> {self.status})" if self.status is not None else ")"
        if self.error:
            line += f": {self.error}"
        return line


class _Failure(Exception):
    def __init__(self, message: str, retryable: bool, status: int | None = None) -> None:
        super().__init__(message)
        self.retryable = retryable
        self.status = status


def _plain_keys(keys: Mapping[str, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = {}
    for name, value in keys.items():
        if isinstance(value, Mapping) and len(value) == 1:
            plain[name] = next(iter(value.values()))
        else:
            plain[name] = value
    return plain


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {key: _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_json_safe(item) for item in value]
    if isinstance(value, (bytes, bytearray)):
        return b64encode(bytes(value)).decode("ascii")
    if isinstance(value, dt.datetime):
        return int(value.timestamp())
    return value


def _iso(timestamp: float) -> str:
    moment = dt.datetime.fromtimestamp(timestamp, tz=dt.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _int(value: Any, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise AssemblyError(f"expected an integer, got {value!r}") from error


def _sequence_key(sequence_number: str) -> int:
    return int(sequence_number)


class _ShardWorker:
    """Reads one shard for one pipe, in order, until stopped."""

    def __init__(
        self,
        pipeline: LocalPipeline,
        pipe: PipeSpec,
        shard_id: str,
        iterator: str,
        processed: int,
        parent: _ShardWorker | None,
    ) -> None:
        self.pipeline = pipeline
        self.pipe = pipe
        self.shard_id = shard_id
        self._iterator = iterator
        self._lock = threading.Lock()
        self._processed = processed
        self._last_sequence: str | None = None
        self.parent = parent
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
            self._processed = max(self._processed, _sequence_key(sequence_number))
            self._last_sequence = sequence_number

    def _run(self) -> None:
        stop = self.pipeline._stop
        streams = self.pipeline._streams
        try:
            if self.parent is not None:
                while not stop.is_set() and not self.parent.finished.wait(0.1):
                    pass
            while not stop.is_set():
                try:
                    response = streams.get_records(
                        ShardIterator=self._iterator, Limit=self.pipe.batch_size
                    )
                except ClientError as error:
                    code = error.response.get("Error", {}).get("Code", "")
                    if code in ("ExpiredIteratorException", "ResourceNotFoundException"):
                        self._renew_iterator()
                        continue
                    if stop.is_set():
                        break
                    _LOG.warning("pipe %s: GetRecords failed: %s", self.pipe.name, error)
                    stop.wait(0.2)
                    continue
                except BotoCoreError as error:
                    if stop.is_set():
                        break
                    _LOG.warning("pipe %s: GetRecords failed: %s", self.pipe.name, error)
                    stop.wait(0.2)
                    continue
                next_iterator = response.get("NextShardIterator")
                self.pipeline._forget_iterator(self._iterator)
                records = response.get("Records", [])
                if not records:
                    if next_iterator is None:
                        break  # the shard is closed and fully read
                    self._iterator = next_iterator
                    stop.wait(self.pipeline.poll_interval)
                    continue
                batch = [self.pipeline._normalize(record, self.pipe) for record in records]
                matched = [record for record in batch if matches_any(self.pipe.filters, record)]
                for record in batch:
                    if record not in matched:
                        self.pipeline._emit(self.pipe, record, "filtered")
                if matched and not self._process(matched):
                    break  # stopping in the middle of retries: leave the batch unprocessed
                self._mark(batch[-1]["dynamodb"]["SequenceNumber"])
                if next_iterator is None:
                    break
                self._iterator = next_iterator
        except Exception:  # pragma: no cover - a bug; keep it visible
            _LOG.exception("pipe %s: worker for %s crashed", self.pipe.name, self.shard_id)
        finally:
            self.finished.set()

    def _renew_iterator(self) -> None:
        with self._lock:
            last = self._last_sequence
        arn = self.pipe.source_arn
        if last is None:
            kind = "TRIM_HORIZON" if self.pipe.starting_position == "TRIM_HORIZON" else "LATEST"
            self._iterator = self.pipeline._streams.get_shard_iterator(
                StreamArn=arn,
                ShardId=self.shard_id,
                ShardIteratorType=kind,
            )["ShardIterator"]
        else:
            self._iterator = self.pipeline._streams.get_shard_iterator(
                StreamArn=arn,
                ShardId=self.shard_id,
                ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                SequenceNumber=last,
            )["ShardIterator"]

    def _process(self, batch: list[dict[str, Any]]) -> bool:
        """Deliver a batch with retries; ``False`` when interrupted by shutdown."""
        pipe = self.pipe
        pipeline = self.pipeline
        attempt = 0
        while True:
            age = time.time() - float(batch[0]["dynamodb"].get("ApproximateCreationDateTime", 0))
            if 0 <= pipe.maximum_record_age_seconds < age:
                pipeline._dead_letter(pipe, self.shard_id, batch, "record too old")
                return True
            attempt += 1
            try:
                for record in batch:
                    pipeline._invoke(pipe, record, attempt)
                return True
            except _Failure as failure:
                exhausted = 0 <= pipe.maximum_retry_attempts < attempt
                if not failure.retryable or exhausted:
                    pipeline._dead_letter(pipe, self.shard_id, batch, str(failure))
                    return True
                delay = min(
                    pipeline.retry_base_delay * 2 ** (attempt - 1), pipeline.retry_max_delay
                )
                if pipeline._stop.wait(delay):
                    return False


class LocalPipeline:
    """Runs the pipes of one synthesized stack against local AWS and (local) Momento.

    Use :meth:`from_cloud_assembly` and a ``with`` block. Args:
        stack: the stack template (see :func:`~.assembly.load_stack`).
        region: the local region (default: the stack's, else ``us-east-1``).
        account_id: the local account (default: random, isolating concurrent runtimes).
        parameters: values for template parameters without a usable ``Default``.
        momento: ``"local"``, ``"remote"`` (real Momento from ``MOMENTO_API_KEY`` and
            ``MOMENTO_API_ENDPOINT``) or ``"auto"`` (remote when both are set).
        clock: the clock of the local Momento server (TTL expiry).
        http_timeout: the target call timeout (API destinations use 5 s).
        retry_base_delay, retry_max_delay: bounds of the exponential retry backoff.
        poll_interval: idle delay between two GetRecords calls of a worker.
        autostart_pipes: start the pipe workers on entry (else call :meth:`start_pipes`).
    """

    def __init__(
        self,
        stack: StackTemplate,
        *,
        region: str | None = None,
        account_id: str | None = None,
        parameters: Mapping[str, str] | None = None,
        momento: str = "auto",
        clock: Callable[[], float] = time.monotonic,
        http_timeout: float = 5.0,
        retry_base_delay: float = 0.05,
        retry_max_delay: float = 0.5,
        poll_interval: float = 0.05,
        autostart_pipes: bool = True,
    ) -> None:
        if momento not in ("auto", "local", "remote"):
            raise ValueError("momento must be 'auto', 'local' or 'remote'")
        remote_env = bool(os.environ.get("MOMENTO_API_KEY")) and bool(
            os.environ.get("MOMENTO_API_ENDPOINT")
        )
        if momento == "remote" and not remote_env:
            raise ValueError("momento='remote' needs MOMENTO_API_KEY and MOMENTO_API_ENDPOINT")
        self.remote_momento = momento == "remote" or (momento == "auto" and remote_env)
        self.stack = stack
        self.aws = LocalAws(region or stack.region or "us-east-1", account_id)
        self._parameters = dict(parameters or {})
        self._clock = clock
        self.http_timeout = http_timeout
        self.retry_base_delay = retry_base_delay
        self.retry_max_delay = retry_max_delay
        self.poll_interval = poll_interval
        self._autostart = autostart_pipes
        self._stop = threading.Event()
        self._workers: list[_ShardWorker] = []
        self._attributes: dict[str, dict[str, str]] = {}
        self._secret_ids: dict[str, str] = {}
        self._listeners: list[Callable[[DeliveryEvent], None]] = []
        self._events: deque[DeliveryEvent] = deque(maxlen=10_000)
        self._events_lock = threading.Lock()
        self.pipes: list[PipeSpec] = []
        self.skipped_pipes: dict[str, str] = {}
        self.momento_server: LocalMomentoServer | None = None
        self._momento_base = ""
        self._momento_key = ""
        self._momento_client: MomentoHttpClient | None = None
        self._streams: Any = None
        self._started = False
        self._pipes_started = False

    @classmethod
    def from_cloud_assembly(
        cls, path: str | Path, stack_name: str | None = None, **options: Any
    ) -> LocalPipeline:
        """Build a runtime for one stack of a ``cdk.out`` directory (see the class for options)."""
        return cls(load_stack(path, stack_name), **options)

    # -- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> LocalPipeline:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self) -> LocalPipeline:
        """Start the servers, create the resources, and (by default) start the pipes."""
        if self._started:
            return self
        if self._stop.is_set():
            raise RuntimeError("a LocalPipeline cannot be restarted: create a new one")
        self._started = True
        try:
            self._provision()
            if self._autostart:
                self.start_pipes()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the workers, delete the local resources and stop both servers."""
        self._stop.set()
        for worker in self._workers:
            if worker.thread.is_alive():
                worker.thread.join(timeout=self.http_timeout + 5)
        self._workers.clear()
        try:
            self.aws.stop()
        finally:
            if self.momento_server is not None:
                self.momento_server.stop()
        self._started = False

    # -- provisioning ----------------------------------------------------------------------

    def _provision(self) -> None:
        self.aws.start()
        self._streams = self.aws.streams()
        stack = self.stack
        for logical_id, resource in stack.resources_of_type(*_TABLE_TYPES):
            self._attributes[logical_id] = self.aws.create_table(
                stack, logical_id, self._resolver().resolve(resource.get("Properties") or {})
            )
        for logical_id, resource in stack.resources_of_type("AWS::SQS::Queue"):
            self._attributes[logical_id] = self.aws.create_queue(
                stack, logical_id, self._resolver().resolve(resource.get("Properties") or {})
            )
        if self.remote_momento:
            self._momento_key = os.environ["MOMENTO_API_KEY"]
            self._momento_base = os.environ["MOMENTO_API_ENDPOINT"].rstrip("/")
        else:
            self._momento_key = LocalMomentoServer.generate_api_key()
            self.momento_server = LocalMomentoServer(
                api_keys=[self._momento_key], clock=self._clock, subscribe_wait=1.0
            ).start()
            self._momento_base = self.momento_server.endpoint
        self._create_secrets()
        self._register_events_resources()
        self._resolve_pipes()
        if self.momento_server is not None:
            for pipe in self.pipes:
                cache = self._cache_of(pipe)
                if cache:
                    self.momento_server.create_cache(cache)
                if pipe.destination.auth_value:
                    self.momento_server.add_api_key(pipe.destination.auth_value)
        published = None
        if self.momento_server is not None:
            server = self.momento_server

            def published(cache: str, topic: str) -> list[str]:
                return [message.text for message in server.published(cache, topic)]

        self._momento_client = MomentoHttpClient(
            self._momento_base, self._momento_key, published=published
        )

    def _resolver(self) -> Resolver:
        return Resolver(
            self.stack, self.aws.account_id, self.aws.region, self._attributes, self._parameters
        )

    def _create_secrets(self) -> None:
        stack = self.stack
        resolver = self._resolver()
        for logical_id, resource in stack.resources_of_type("AWS::SecretsManager::Secret"):
            properties = resolver.resolve(resource.get("Properties") or {})
            name = properties.get("Name") or f"{stack.stack_name}-{logical_id}"
            value = properties.get("SecretString")
            if not isinstance(value, str):
                generate = properties.get("GenerateSecretString") or {}
                template = generate.get("SecretStringTemplate")
                key = generate.get("GenerateStringKey")
                if template and key:
                    document = json.loads(template)
                    document[key] = self._momento_key
                    value = json.dumps(document)
                else:
                    value = self._momento_key
            arn = self.aws.create_secret(str(name), value)
            self._attributes[logical_id] = {"Ref": arn, "Id": arn}
            self._secret_ids[arn] = arn
            self._secret_ids[str(name)] = arn
        # Secrets the connections only reference (imported): seed them with the local key.
        wanted: dict[str, set[str]] = {}
        for _, resource in stack.resources_of_type("AWS::Events::Connection"):
            value = self._api_key_expression(resource)
            if value is None:
                continue
            text = resolver.resolve(value)
            if not isinstance(text, str):
                continue
            for reference in parse_dynamic_references(text):
                if reference.secret_id in self._secret_ids:
                    continue
                fields = wanted.setdefault(reference.secret_id, set())
                if reference.json_key:
                    fields.add(reference.json_key)
        for secret_id, fields in wanted.items():
            name = secret_id.split(":secret:", 1)[1] if ":secret:" in secret_id else secret_id
            if name in self._secret_ids:
                self._secret_ids[secret_id] = self._secret_ids[name]
                continue
            value = (
                json.dumps({field_name: self._momento_key for field_name in sorted(fields)})
                if fields
                else self._momento_key
            )
            arn = self.aws.create_secret(name, value)
            self._secret_ids[secret_id] = arn
            self._secret_ids[name] = arn

    @staticmethod
    def _api_key_expression(resource: Mapping[str, Any]) -> Any:
        properties = resource.get("Properties") or {}
        auth = (properties.get("AuthParameters") or {}).get("ApiKeyAuthParameters")
        return None if not auth else auth.get("ApiKeyValue")

    def _resolve_secret(self, text: str) -> str:
        manager = self.aws.secretsmanager()
        for reference in parse_dynamic_references(text):
            secret_id = self._secret_ids.get(reference.secret_id, reference.secret_id)
            request: dict[str, str] = {"SecretId": secret_id}
            if reference.version_stage:
                request["VersionStage"] = reference.version_stage
            if reference.version_id:
                request["VersionId"] = reference.version_id
            try:
                with secret_calls():
                    secret = manager.get_secret_value(**request)["SecretString"]
            except ClientError as error:
                raise AssemblyError(
                    f"secret {reference.secret_id} is not in local Secrets Manager: {error}"
                ) from error
            if reference.json_key:
                try:
                    secret = str(json.loads(secret)[reference.json_key])
                except (ValueError, KeyError, TypeError) as error:
                    raise AssemblyError(
                        f"secret {reference.secret_id} has no JSON field {reference.json_key}"
                    ) from error
            text = text.replace(reference.text, secret)
        return text

    def _register_events_resources(self) -> None:
        region, account = self.aws.region, self.aws.account_id
        for logical_id, resource in self.stack.resources_of_type("AWS::Events::Connection"):
            name = (resource.get("Properties") or {}).get("Name") or logical_id
            arn = f"arn:aws:events:{region}:{account}:connection/{name}/local-{logical_id}"
            self._attributes[logical_id] = {"Ref": str(name), "Arn": arn, "SecretArn": arn}
        for logical_id, resource in self.stack.resources_of_type("AWS::Events::ApiDestination"):
            name = (resource.get("Properties") or {}).get("Name") or logical_id
            arn = f"arn:aws:events:{region}:{account}:api-destination/{name}/local-{logical_id}"
            self._attributes[logical_id] = {"Ref": str(name), "Arn": arn, "ArnForPolicy": arn}
        for logical_id, resource in self.stack.resources_of_type("AWS::Pipes::Pipe"):
            name = (resource.get("Properties") or {}).get("Name")
            if not isinstance(name, str):
                name = f"{self.stack.stack_name}-{logical_id}"[:64]
            arn = f"arn:aws:pipes:{region}:{account}:pipe/{name}"
            self._attributes[logical_id] = {"Ref": name, "Arn": arn}

    def _by_attribute(self, attribute: str, value: str, types: Sequence[str]) -> str | None:
        for logical_id, _ in self.stack.resources_of_type(*types):
            if self._attributes.get(logical_id, {}).get(attribute) == value:
                return logical_id
        return None

    def _destination(self, logical_id: str, resolver: Resolver) -> Destination:
        properties = self.stack.resources[logical_id].get("Properties") or {}
        where = f"{logical_id}.InvocationEndpoint"
        endpoint = resolver.resolve_string(properties.get("InvocationEndpoint"), where)
        method = resolver.resolve_string(properties.get("HttpMethod"), f"{logical_id}.HttpMethod")
        connection_arn = resolver.resolve_string(
            properties.get("ConnectionArn"), f"{logical_id}.ConnectionArn"
        )
        connection_id = self._by_attribute("Arn", connection_arn, ["AWS::Events::Connection"])
        header: str | None = None
        value: str | None = None
        if connection_id is not None:
            connection = self.stack.resources[connection_id].get("Properties") or {}
            auth = connection.get("AuthParameters") or {}
            api_key = auth.get("ApiKeyAuthParameters")
            if connection.get("AuthorizationType") == "API_KEY" and api_key:
                header = resolver.resolve_string(api_key.get("ApiKeyName"), "ApiKeyName")
                raw = resolver.resolve_string(api_key.get("ApiKeyValue"), "ApiKeyValue")
                value = self._resolve_secret(raw)
        else:
            _LOG.warning(
                "API destination %s: connection %s is not in the stack", logical_id, connection_arn
            )
        arn = self._attributes[logical_id]["Arn"]
        return Destination(logical_id, arn, method.upper(), endpoint, header, value)

    def _resolve_pipes(self) -> None:
        resolver = self._resolver()
        for logical_id, resource in self.stack.resources_of_type("AWS::Pipes::Pipe"):
            try:
                spec = self._resolve_pipe(logical_id, resource, resolver)
            except _Skip as skip:
                self.skipped_pipes[logical_id] = str(skip)
                _LOG.warning("pipe %s is not run locally: %s", logical_id, skip)
                continue
            self.pipes.append(spec)

    def _resolve_pipe(
        self, logical_id: str, resource: Mapping[str, Any], resolver: Resolver
    ) -> PipeSpec:
        properties = resource.get("Properties") or {}
        if properties.get("DesiredState") == "STOPPED":
            raise _Skip("DesiredState is STOPPED")
        try:
            source = resolver.resolve_string(properties.get("Source"), f"{logical_id}.Source")
        except AssemblyError as error:
            raise _Skip(f"source is not a table of this stack ({error})") from error
        table_id = self._by_attribute("StreamArn", source, _TABLE_TYPES)
        if table_id is None:
            raise _Skip(f"source {source} is not the stream of a table of this stack")
        source_parameters = resolver.resolve(properties.get("SourceParameters") or {})
        stream = source_parameters.get("DynamoDBStreamParameters") or {}
        batch_size = _int(stream.get("BatchSize"), 1)
        if batch_size != 1:
            raise AssemblyError(
                f"pipe {logical_id}: BatchSize {batch_size} is rejected by AWS for an API "
                "destination target, which cannot take batches: use 1"
            )
        if stream.get("ParallelizationFactor") not in (None, 1):
            _LOG.warning("pipe %s: ParallelizationFactor is ignored locally", logical_id)
        starting = str(stream.get("StartingPosition") or "LATEST")
        if starting not in ("LATEST", "TRIM_HORIZON"):
            raise AssemblyError(f"pipe {logical_id}: unsupported StartingPosition {starting}")
        dlq_arn = (stream.get("DeadLetterConfig") or {}).get("Arn")
        dlq_url: str | None = None
        if dlq_arn:
            queue_id = self._by_attribute("Arn", dlq_arn, ["AWS::SQS::Queue"])
            if queue_id is None:
                _LOG.warning(
                    "pipe %s: DLQ %s is not a queue of this stack; failures are only logged",
                    logical_id,
                    dlq_arn,
                )
            else:
                dlq_url = self._attributes[queue_id]["Ref"]
        filters = tuple(
            compile_pattern(entry["Pattern"])
            for entry in (source_parameters.get("FilterCriteria") or {}).get("Filters") or []
        )
        target = resolver.resolve_string(properties.get("Target"), f"{logical_id}.Target")
        destination_id = self._by_attribute("Arn", target, ["AWS::Events::ApiDestination"])
        if destination_id is None:
            raise _Skip(f"target {target} is not an API destination of this stack")
        target_parameters = resolver.resolve(properties.get("TargetParameters") or {})
        http = target_parameters.get("HttpParameters") or {}
        return PipeSpec(
            logical_id=logical_id,
            name=self._attributes[logical_id]["Ref"],
            arn=self._attributes[logical_id]["Arn"],
            table_logical_id=table_id,
            source_arn=source,
            batch_size=batch_size,
            starting_position=starting,
            maximum_retry_attempts=_int(stream.get("MaximumRetryAttempts"), -1),
            maximum_record_age_seconds=_int(stream.get("MaximumRecordAgeInSeconds"), -1),
            dead_letter_arn=dlq_arn,
            dead_letter_url=dlq_url,
            filters=filters,
            input_template=target_parameters.get("InputTemplate"),
            path_parameter_values=tuple(str(v) for v in http.get("PathParameterValues") or []),
            query_parameters={
                str(k): str(v) for k, v in (http.get("QueryStringParameters") or {}).items()
            },
            header_parameters={
                str(k): str(v) for k, v in (http.get("HeaderParameters") or {}).items()
            },
            destination=self._destination(destination_id, resolver),
        )

    def _cache_of(self, pipe: PipeSpec) -> str | None:
        """The Momento cache a pipe calls, read from its rendered endpoint path."""
        try:
            path = urlsplit(self._endpoint_url(pipe)).path
        except TemplateError:
            return None
        parts = [part for part in path.split("/") if part]
        if len(parts) >= 2 and parts[0] in ("cache", "topics"):
            from urllib.parse import unquote

            return unquote(parts[1])
        return None

    # -- pipes -----------------------------------------------------------------------------

    def start_pipes(self) -> None:
        """Start one worker per pipe and shard; LATEST pipes skip what is already there."""
        if self._pipes_started:
            return
        self._pipes_started = True
        for pipe in self.pipes:
            shards = self._streams.describe_stream(StreamArn=pipe.source_arn)[
                "StreamDescription"
            ].get("Shards", [])
            by_id: dict[str, _ShardWorker] = {}
            for shard in shards:
                shard_id = shard["ShardId"]
                last = self._last_sequence(pipe.source_arn, shard_id)
                if pipe.starting_position == "TRIM_HORIZON" or last is None:
                    kind = "TRIM_HORIZON" if pipe.starting_position == "TRIM_HORIZON" else "LATEST"
                    iterator = self._streams.get_shard_iterator(
                        StreamArn=pipe.source_arn, ShardId=shard_id, ShardIteratorType=kind
                    )["ShardIterator"]
                    processed = 0 if kind == "TRIM_HORIZON" or last is None else int(last)
                else:
                    iterator = self._streams.get_shard_iterator(
                        StreamArn=pipe.source_arn,
                        ShardId=shard_id,
                        ShardIteratorType="AFTER_SEQUENCE_NUMBER",
                        SequenceNumber=last,
                    )["ShardIterator"]
                    processed = int(last)
                worker = _ShardWorker(
                    self,
                    pipe,
                    shard_id,
                    iterator,
                    processed,
                    by_id.get(str(shard.get("ParentShardId", ""))),
                )
                by_id[shard_id] = worker
                self._workers.append(worker)
        for worker in self._workers:
            worker.thread.start()

    def _last_sequence(self, stream_arn: str, shard_id: str) -> str | None:
        """The sequence number of the newest record of a shard (``None`` when empty)."""
        iterator: str | None = self._streams.get_shard_iterator(
            StreamArn=stream_arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        last: str | None = None
        for _ in range(100_000):
            if iterator is None:
                break
            response = self._streams.get_records(ShardIterator=iterator, Limit=1000)
            self._forget_iterator(iterator)
            records = response.get("Records", [])
            if not records:
                if response.get("NextShardIterator"):
                    self._forget_iterator(response["NextShardIterator"])
                break
            last = records[-1]["dynamodb"]["SequenceNumber"]
            iterator = response.get("NextShardIterator")
        return last

    def _forget_iterator(self, iterator: str) -> None:
        """moto keeps every shard iterator forever: drop used ones so memory stays flat."""
        try:
            from moto.dynamodbstreams.models import dynamodbstreams_backends

            backend = dynamodbstreams_backends[self.aws.account_id][self.aws.region]
            backend.shard_iterators.pop(iterator, None)
        except Exception:  # pragma: no cover - moto internals changed: only memory is at stake
            pass

    def _normalize(self, raw: Mapping[str, Any], pipe: PipeSpec) -> dict[str, Any]:
        record: dict[str, Any] = _json_safe(raw)
        record["awsRegion"] = self.aws.region
        record["eventSourceARN"] = pipe.source_arn
        return record

    def _endpoint_url(self, pipe: PipeSpec) -> str:
        endpoint = pipe.destination.endpoint
        values = list(pipe.path_parameter_values)
        pieces = endpoint.split("*")
        if len(pieces) - 1 != len(values):
            raise TemplateError(
                f"pipe {pipe.name}: endpoint {endpoint} has {len(pieces) - 1} '*' but "
                f"{len(values)} PathParameterValues"
            )
        url = pieces[0]
        for value, piece in zip(values, pieces[1:], strict=True):
            url += quote(value, safe="") + piece
        return url

    def _target_url(self, pipe: PipeSpec, record: Mapping[str, Any]) -> str:
        parts = urlsplit(self._endpoint_url(pipe))
        base = urlsplit(self._momento_base)
        query = [parts.query] if parts.query else []
        for name, value in pipe.query_parameters.items():
            rendered = render_parameter(value, record)
            query.append(f"{quote(name, safe='')}={quote(rendered, safe='')}")
        return urlunsplit((base.scheme, base.netloc, parts.path, "&".join(query), ""))

    def _invoke(self, pipe: PipeSpec, record: dict[str, Any], attempt: int) -> None:
        sequence = str(record["dynamodb"].get("SequenceNumber", ""))
        keys = _plain_keys(record["dynamodb"].get("Keys") or {})
        event_name = str(record.get("eventName", ""))
        method = pipe.destination.http_method
        try:
            context = PipeContext(
                pipe_arn=pipe.arn,
                pipe_name=pipe.name,
                source_arn=pipe.source_arn,
                target_arn=pipe.destination.arn,
                ingestion_time=_iso(time.time()),
            )
            body = render_input_template(pipe.input_template, record, context)
            url = self._target_url(pipe, record)
            headers = {"Content-Type": _DEFAULT_CONTENT_TYPE, "User-Agent": _USER_AGENT}
            for name, value in pipe.header_parameters.items():
                for existing in [h for h in headers if h.lower() == name.lower()]:
                    del headers[existing]
                headers[name] = render_parameter(value, record)
        except TemplateError as error:
            _LOG.error(
                "pipe %s: cannot render record %s (%s %s): %s; the record is NOT delivered "
                "and goes to the dead-letter queue",
                pipe.name,
                sequence,
                event_name,
                keys,
                error,
            )
            self._emit(pipe, record, "failed", attempt=attempt, error=str(error))
            raise _Failure(str(error), retryable=False) from error
        if pipe.destination.auth_header:
            # Connection parameters win over pipe parameters.
            headers[pipe.destination.auth_header] = pipe.destination.auth_value or ""
        data = body.encode("utf-8") if method not in ("GET", "HEAD") else None
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        status: int | None = None
        try:
            with urllib.request.urlopen(request, timeout=self.http_timeout) as response:
                status = int(response.status)
                response.read()
        except urllib.error.HTTPError as error:
            status = error.code
            detail = error.read().decode("utf-8", errors="replace")[:200]
            retryable = status == 429 or status >= 500
            self._emit(
                pipe,
                record,
                "retrying" if retryable else "failed",
                method=method,
                url=url,
                status=status,
                attempt=attempt,
                body=body,
                error=detail,
            )
            raise _Failure(f"HTTP {status}: {detail}", retryable, status) from error
        except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
            self._emit(
                pipe,
                record,
                "retrying",
                method=method,
                url=url,
                attempt=attempt,
                body=body,
                error=f"request failed: {error}",
            )
            raise _Failure(f"request failed: {error}", retryable=True) from error
        self._emit(
            pipe,
            record,
            "delivered",
            method=method,
            url=url,
            status=status,
            attempt=attempt,
            body=body,
        )

    def _dead_letter(
        self, pipe: PipeSpec, shard_id: str, batch: list[dict[str, Any]], reason: str
    ) -> None:
        first, last = batch[0]["dynamodb"], batch[-1]["dynamodb"]
        message = {
            "context": {"partnerResourceArn": pipe.arn, "condition": "RetryAttemptsExhausted"},
            "version": "1.0",
            "timestamp": _iso(time.time()),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": str(first.get("SequenceNumber")),
                "endSequenceNumber": str(last.get("SequenceNumber")),
                "approximateArrivalOfFirstRecord": _iso(
                    float(first.get("ApproximateCreationDateTime", 0))
                ),
                "approximateArrivalOfLastRecord": _iso(
                    float(last.get("ApproximateCreationDateTime", 0))
                ),
                "batchSize": len(batch),
                "streamArn": pipe.source_arn,
            },
        }
        if pipe.dead_letter_url is None:
            _LOG.error(
                "pipe %s: batch %s failed (%s) and the pipe has no local DLQ",
                pipe.name,
                message["DDBStreamBatchInfo"],
                reason,
            )
            for record in batch:
                self._emit(pipe, record, "failed", error=reason)
            return
        self.aws.sqs().send_message(
            QueueUrl=pipe.dead_letter_url,
            MessageBody=json.dumps(message),
            MessageAttributes={
                "LocalFailureReason": {"DataType": "String", "StringValue": reason[:1000]},
                "LocalPipeName": {"DataType": "String", "StringValue": pipe.name},
            },
        )
        _LOG.error(
            "pipe %s: batch %s-%s sent to the dead-letter queue: %s",
            pipe.name,
            first.get("SequenceNumber"),
            last.get("SequenceNumber"),
            reason,
        )
        for record in batch:
            self._emit(pipe, record, "dead-lettered", error=reason)

    def _emit(self, pipe: PipeSpec, record: Mapping[str, Any], outcome: str, **extra: Any) -> None:
        dynamodb = record.get("dynamodb") or {}
        event = DeliveryEvent(
            pipe=pipe.name,
            outcome=outcome,
            event_name=str(record.get("eventName", "")),
            keys=_plain_keys(dynamodb.get("Keys") or {}),
            sequence_number=str(dynamodb.get("SequenceNumber", "")),
            **extra,
        )
        with self._events_lock:
            self._events.append(event)
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(event)
            except Exception:  # a listener must not break delivery
                _LOG.exception("delivery listener failed")

    # -- public helpers --------------------------------------------------------------------

    def add_listener(self, listener: Callable[[DeliveryEvent], None]) -> None:
        """Call ``listener`` for every :class:`DeliveryEvent` (from worker threads)."""
        with self._events_lock:
            self._listeners.append(listener)

    def events(self, pipe: str | None = None) -> list[DeliveryEvent]:
        """Delivery events so far (the last 10,000), optionally of one pipe (name or ID)."""
        with self._events_lock:
            events = list(self._events)
        if pipe is None:
            return events
        names = {spec.name for spec in self.pipes if pipe in (spec.name, spec.logical_id)}
        return [event for event in events if event.pipe in names or event.pipe == pipe]

    @property
    def dynamodb(self) -> DynamoDBClient:
        """A boto3 DynamoDB client bound to local AWS."""
        return self.aws.dynamodb()

    @property
    def momento(self) -> MomentoHttpClient:
        """A Momento client bound to the Momento the pipes call."""
        if self._momento_client is None:
            raise RuntimeError("the pipeline is not started")
        return self._momento_client

    @property
    def momento_endpoint(self) -> str:
        """Where the pipes' Momento calls go."""
        return self._momento_base

    def table_name(self, logical_id_or_path: str) -> str:
        """The local name of a table, by logical ID or construct path."""
        logical_id = self.stack.logical_id(logical_id_or_path)
        attributes = self._attributes.get(logical_id)
        if attributes is None or logical_id not in dict(
            self.stack.resources_of_type(*_TABLE_TYPES)
        ):
            raise KeyError(f"{logical_id_or_path} is not a table of stack {self.stack.artifact_id}")
        return attributes["Ref"]

    def pipe(self, logical_id_or_path_or_name: str) -> PipeSpec:
        """A resolved pipe by logical ID, construct path or name."""
        for spec in self.pipes:
            if logical_id_or_path_or_name in (spec.logical_id, spec.name):
                return spec
        logical_id = self.stack.logical_id(logical_id_or_path_or_name)
        for spec in self.pipes:
            if spec.logical_id == logical_id:
                return spec
        raise KeyError(logical_id_or_path_or_name)

    def dead_letters(self) -> list[dict[str, Any]]:
        """Every message in the DLQs of the pipes, parsed, oldest sequence first.

        Messages stay in their queues (they are made visible again after reading).
        """
        sqs = self.aws.sqs()
        found: dict[str, dict[str, Any]] = {}
        for url in sorted({p.dead_letter_url for p in self.pipes if p.dead_letter_url}):
            handles: list[str] = []
            for _ in range(1000):
                response = sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=30, WaitTimeSeconds=0
                )
                messages = response.get("Messages", [])
                if not messages:
                    break
                for message in messages:
                    found.setdefault(message["MessageId"], json.loads(message["Body"]))
                    handles.append(message["ReceiptHandle"])
            for handle in handles:
                sqs.change_message_visibility(
                    QueueUrl=url, ReceiptHandle=handle, VisibilityTimeout=0
                )
        return sorted(
            found.values(),
            key=lambda m: (
                int(m["DDBStreamBatchInfo"]["startSequenceNumber"]),
                m["context"]["partnerResourceArn"],
            ),
        )

    def drain(self, timeout: float = 10.0) -> None:
        """Return once every pipe has processed every record written so far.

        Raises:
            TimeoutError: when some pipe is still behind after ``timeout`` seconds.
        """
        deadline = time.monotonic() + timeout
        targets: dict[tuple[str, str], int] = {}
        for worker in self._workers:
            key = (worker.pipe.source_arn, worker.shard_id)
            if key not in targets:
                last = self._last_sequence(*key)
                targets[key] = int(last) if last is not None else 0
        while True:
            behind = [
                worker
                for worker in self._workers
                if worker.processed < targets[(worker.pipe.source_arn, worker.shard_id)]
                and not worker.finished.is_set()
            ]
            if not behind:
                return
            if time.monotonic() >= deadline:
                names = ", ".join(
                    f"{w.pipe.name} at {w.processed} < {targets[(w.pipe.source_arn, w.shard_id)]}"
                    for w in behind
                )
                raise TimeoutError(f"pipes still behind after {timeout} s: {names}")
            time.sleep(0.01)


class _Skip(Exception):
    """A pipe the local runtime does not run (reported, not fatal)."""
