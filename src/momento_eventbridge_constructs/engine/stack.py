"""One model of a synthesized stack: its tables, its pipes and its syncs, with their paths.

A pipe here is an ``AWS::Pipes::Pipe`` from a table's stream to an API destination (one Momento
call); a sync is a pipe that starts an EXPRESS state machine synchronously. Everything is read
through a :class:`~.assembly.Resolver`. :func:`read_stack` reads the whole model once for the
operating commands, with a lenient resolver that leaves a marker (:data:`UNRESOLVED`) for
whatever stays unknown; the local runtime reads each pipe with the same :class:`PipeProperties`,
:func:`api_destination` and :func:`state_machine_definition`, through the strict resolver bound
to the physical resources it created. The algorithms on the template (a pipe's parameters, ``*``
in an endpoint, the cache and topic of a URL, the HTTP tasks of a definition) are written here
only.

Only the standard library is used.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from publication import publish

from .._asl import every_state
from .._aws_names import HTTP_INVOKE, TABLE_TYPES
from .assembly import AssemblyError, Resolver, StackTemplate
from .templates import TemplateError

__all__ = [
    "UNRESOLVED",
    "PipePath",
    "PipeProperties",
    "StackDefinitions",
    "SyncPath",
    "TableDefinition",
    "TargetParameters",
    "api_destination",
    "fill_path_parameters",
    "http_tasks",
    "momento_names",
    "path_of",
    "read_stack",
    "referenced_id",
    "state_machine_definition",
]

UNRESOLVED = "unresolved:"
"""The prefix of the marker a lenient resolver leaves for an unknown value."""


def referenced_id(expression: Any, resources: Mapping[str, Any]) -> str | None:
    """The logical ID an ``Fn::GetAtt`` or ``Ref`` names (``None``: anything else)."""
    if not isinstance(expression, Mapping) or len(expression) != 1:
        return None
    ((name, argument),) = expression.items()
    target: Any = None
    if name == "Ref":
        target = argument
    elif name == "Fn::GetAtt":
        target = argument.split(".", 1)[0] if isinstance(argument, str) else argument[0]
    return str(target) if target in resources else None


def fill_path_parameters(endpoint: str, values: Sequence[str], where: str) -> str:
    """``endpoint`` with each ``*`` replaced by one of ``values`` (URL-encoded), in order.

    Args:
        endpoint: an API destination's ``InvocationEndpoint``.
        values: the pipe's ``PathParameterValues``.
        where: what the endpoint belongs to, for the error message.

    Raises:
        TemplateError: when the counts of ``*`` and of values differ.
    """
    pieces = endpoint.split("*")
    if len(pieces) - 1 != len(values):
        raise TemplateError(
            f"{where}: endpoint {endpoint} has {len(pieces) - 1} '*' but "
            f"{len(values)} PathParameterValues"
        )
    url = pieces[0]
    for value, piece in zip(values, pieces[1:], strict=True):
        url += quote(value, safe="") + piece
    return url


def momento_names(url_path: str) -> list[str]:
    """``/cache/c`` -> ``["c"]``; ``/topics/c/t`` -> ``["c", "t"]``; else ``[]``."""
    parts = [unquote(part) for part in url_path.split("/") if part]
    if len(parts) == 2 and parts[0] == "cache":
        return [parts[1]]
    if len(parts) == 3 and parts[0] == "topics":
        return parts[1:]
    return []


def http_tasks(definition: Mapping[str, Any]) -> list[tuple[str, str]]:
    """``(Method, ApiEndpoint)`` of every HTTP task of a state machine definition, those in
    Map iterations included."""
    calls = []
    for _, state in every_state(definition):
        if state.get("Resource") == HTTP_INVOKE:
            arguments = state.get("Arguments") or {}
            calls.append((str(arguments.get("Method", "")), str(arguments.get("ApiEndpoint"))))
    return calls


def api_destination(
    resources: Mapping[str, Any], logical_id: str, resolver: Resolver
) -> tuple[str, str]:
    """The ``HttpMethod`` (upper case) and ``InvocationEndpoint`` of an API destination.

    Args:
        resources: the stack's resources by logical ID.
        logical_id: the ``AWS::Events::ApiDestination``.
        resolver: resolves the two properties.
    """
    properties = resources[logical_id].get("Properties") or {}
    method = resolver.resolve_string(properties.get("HttpMethod"), f"{logical_id}.HttpMethod")
    where = f"{logical_id}.InvocationEndpoint"
    return method.upper(), resolver.resolve_string(properties.get("InvocationEndpoint"), where)


def state_machine_definition(
    resources: Mapping[str, Any], logical_id: str, resolver: Resolver
) -> dict[str, Any]:
    """The definition of a state machine: its resolved ``DefinitionString``, parsed.

    Args:
        resources: the stack's resources by logical ID.
        logical_id: the ``AWS::StepFunctions::StateMachine``.
        resolver: resolves the intrinsics the definition string is built of.

    Raises:
        AssemblyError: when the string is not a JSON object.
    """
    properties = resources[logical_id].get("Properties") or {}
    where = f"{logical_id}.DefinitionString"
    text = resolver.resolve_string(properties.get("DefinitionString"), where)
    try:
        definition = json.loads(text)
    except ValueError as error:
        raise AssemblyError(f"{logical_id}: DefinitionString is not JSON: {error}") from error
    if not isinstance(definition, dict):
        raise AssemblyError(f"{logical_id}: DefinitionString is not a JSON object")
    return definition


def _strings(values: Mapping[str, Any] | None) -> dict[str, str]:
    return {str(key): str(value) for key, value in (values or {}).items()}


@dataclass(frozen=True)
class TargetParameters:
    """A pipe's resolved ``TargetParameters``: what it sends, and how it starts a state machine."""

    input_template: str | None
    path_values: tuple[str, ...]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    invocation_type: str | None


class PipeProperties:
    """The properties of one ``AWS::Pipes::Pipe``, read through a resolver.

    Args:
        properties: the resource's ``Properties``.
        resolver: resolves the intrinsics in them.
    """

    def __init__(self, properties: Mapping[str, Any], resolver: Resolver) -> None:
        self.raw = properties
        self._resolver = resolver

    def _stream_raw(self) -> Mapping[str, Any]:
        source = self.raw.get("SourceParameters") or {}
        return source.get("DynamoDBStreamParameters") or {}

    def source(self, where: str) -> str:
        """The resolved ``Source`` (a stream ARN); ``where`` names it in errors."""
        return self._resolver.resolve_string(self.raw.get("Source"), where)

    def target(self, where: str) -> str:
        """The resolved ``Target`` (an API destination or state machine ARN)."""
        return self._resolver.resolve_string(self.raw.get("Target"), where)

    def source_id(self, resources: Mapping[str, Any]) -> str | None:
        """The logical ID ``Source`` references (``None``: not a resource of ``resources``)."""
        return referenced_id(self.raw.get("Source"), resources)

    def target_id(self, resources: Mapping[str, Any]) -> str | None:
        """The logical ID ``Target`` references."""
        return referenced_id(self.raw.get("Target"), resources)

    def dead_letter_id(self, resources: Mapping[str, Any]) -> str | None:
        """The logical ID of the dead-letter queue, when it is a resource of ``resources``."""
        return referenced_id(
            (self._stream_raw().get("DeadLetterConfig") or {}).get("Arn"), resources
        )

    def log_group_id(self, resources: Mapping[str, Any]) -> str | None:
        """The logical ID of the log group the pipe logs to."""
        logs = self.raw.get("LogConfiguration") or {}
        destination = logs.get("CloudwatchLogsLogDestination") or {}
        return referenced_id(destination.get("LogGroupArn"), resources)

    def stream(self) -> Mapping[str, Any]:
        """The resolved ``DynamoDBStreamParameters``."""
        resolved = self._resolver.resolve(self._stream_raw())
        return resolved if isinstance(resolved, Mapping) else {}

    def batch_size(self) -> int:
        """The resolved ``BatchSize``; 1 when unset or not a whole number, as the local runtime
        takes it (the API reference gives no default: https://docs.aws.amazon.com/eventbridge/
        latest/pipes-reference/API_PipeSourceDynamoDBStreamParameters.html; unverified)."""
        value = self.stream().get("BatchSize")
        try:
            return max(1, int(value)) if value is not None else 1
        except (TypeError, ValueError):
            return 1

    def filters(self) -> tuple[Any, ...]:
        """The resolved ``Pattern`` of each filter (JSON text)."""
        criteria = (self.raw.get("SourceParameters") or {}).get("FilterCriteria") or {}
        return tuple(
            self._resolver.resolve(entry.get("Pattern")) for entry in criteria.get("Filters") or []
        )

    def target_parameters(self) -> TargetParameters:
        """The resolved ``TargetParameters``."""
        target = self._resolver.resolve(self.raw.get("TargetParameters") or {})
        http = target.get("HttpParameters") or {}
        machine = target.get("StepFunctionStateMachineParameters") or {}
        return TargetParameters(
            input_template=target.get("InputTemplate"),
            path_values=tuple(str(v) for v in http.get("PathParameterValues") or []),
            query=_strings(http.get("QueryStringParameters")),
            headers=_strings(http.get("HeaderParameters")),
            invocation_type=machine.get("InvocationType"),
        )

    def name(self) -> str | None:
        """The pipe's ``Name`` when the template sets one (else CloudFormation names it)."""
        name = self._resolver.resolve(self.raw.get("Name"))
        return name if isinstance(name, str) else None


@dataclass(frozen=True)
class TableDefinition:
    """A table of the stack: its key, stream view and DynamoDB TTL attribute."""

    logical_id: str
    path: str
    keys: tuple[tuple[str, str], ...]
    """(attribute, type code) of the partition key, then the sort key."""
    view_type: str | None
    ttl_attribute: str | None
    """The attribute DynamoDB's TTL reads (epoch seconds), when enabled in the template."""

    @property
    def key_names(self) -> tuple[str, ...]:
        """The key attribute names, partition key first."""
        return tuple(name for name, _ in self.keys)


@dataclass(frozen=True)
class PipePath:
    """A pipe from a table's stream to one Momento call through an API destination."""

    logical_id: str
    path: str
    kind: str
    """``"set"`` (PUT /cache/..), ``"delete"`` (DELETE /cache/..), ``"publish"`` (POST
    /topics/../..) or ``"other"``."""
    table_id: str
    method: str
    endpoint: str
    path_values: tuple[str, ...]
    query: Mapping[str, str]
    headers: Mapping[str, str]
    input_template: str | None
    filters: tuple[str, ...]
    dead_letter_id: str | None
    log_group_id: str | None
    name: str | None = None
    """The pipe's ``Name`` when the template sets one (else CloudFormation names it)."""

    def url_path(self) -> str:
        """The endpoint's path with each ``*`` replaced by a path parameter value.

        Raises:
            AssemblyError: when the counts of ``*`` and of values differ.
        """
        try:
            url = fill_path_parameters(self.endpoint, self.path_values, f"pipe {self.path}")
        except TemplateError as error:
            raise AssemblyError(str(error)) from error
        return urlsplit(url).path

    @property
    def cache(self) -> str:
        """The Momento cache the pipe calls."""
        return momento_names(self.url_path())[0]

    @property
    def topic(self) -> str | None:
        """The Momento topic a publish pipe calls."""
        names = momento_names(self.url_path())
        return names[1] if len(names) > 1 else None


@dataclass(frozen=True)
class SyncPath:
    """A pipe starting an EXPRESS state machine that applies each record (the sync)."""

    pipe_id: str
    path: str
    machine_id: str
    table_id: str
    definition: Mapping[str, Any]
    dead_letter_id: str | None
    log_group_ids: tuple[str, ...]
    name: str | None = None
    batch_size: int = 1
    """The pipe's ``BatchSize``: above 1, one execution applies a batch of records."""

    def _endpoints(self, method: str) -> list[str]:
        return [url for verb, url in http_tasks(self.definition) if verb.upper() == method]

    @property
    def cache(self) -> str:
        """The Momento cache the state machine sets and deletes in."""
        for url in self._endpoints("PUT") + self._endpoints("DELETE"):
            names = momento_names(urlsplit(url).path)
            if names:
                return names[0]
        raise AssemblyError(f"sync {self.path}: its state machine calls no /cache/ endpoint")

    @property
    def topic(self) -> str | None:
        """The topic the state machine announces changes on, if any."""
        for url in self._endpoints("POST"):
            names = momento_names(urlsplit(url).path)
            if len(names) == 2:
                return names[1]
        return None

    @property
    def endpoint(self) -> str | None:
        """The Momento base URL the HTTP tasks call."""
        for url in self._endpoints("PUT") + self._endpoints("DELETE") + self._endpoints("POST"):
            return _base_url(url)
        return None


def path_of(stack: StackTemplate, logical_id: str) -> str:
    """The construct path of a resource (without ``/Resource``), else its logical ID."""
    paths = [p for p, lid in stack.construct_paths.items() if lid == logical_id]
    if not paths:
        return logical_id
    return min(paths, key=len).removesuffix("/Resource")


def _base_url(url: str) -> str | None:
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc or UNRESOLVED in url:
        return None
    return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class StackDefinitions:
    """Everything the operating commands need to know about one stack."""

    stack: StackTemplate
    tables: Mapping[str, TableDefinition]
    pipes: tuple[PipePath, ...]
    syncs: tuple[SyncPath, ...]
    skipped: Mapping[str, str] = field(default_factory=dict)
    """Pipes the commands do not handle, with the reason, by logical ID."""

    def path_of(self, logical_id: str) -> str:
        """A resource's construct path (without ``/Resource``), else its logical ID."""
        return path_of(self.stack, logical_id)

    def pipes_of(self, table_id: str, kind: str) -> list[PipePath]:
        """The pipes of one kind reading one table."""
        return [p for p in self.pipes if p.table_id == table_id and p.kind == kind]

    def syncs_of(self, table_id: str) -> list[SyncPath]:
        """The syncs reading one table."""
        return [s for s in self.syncs if s.table_id == table_id]

    def cache_tables(self) -> list[str]:
        """Logical IDs of the tables something writes to a cache from, in template order."""
        used = {p.table_id for p in self.pipes if p.kind in ("set", "delete")}
        used |= {s.table_id for s in self.syncs}
        return [table_id for table_id in self.tables if table_id in used]

    def dead_letter_ids(self) -> list[str]:
        """Logical IDs of the stack's queues that pipes or syncs send dead letters to."""
        found: list[str] = []
        for queue_id in [p.dead_letter_id for p in self.pipes] + [
            s.dead_letter_id for s in self.syncs
        ]:
            if queue_id is not None and queue_id not in found:
                found.append(queue_id)
        return found

    @property
    def endpoint(self) -> str | None:
        """The Momento base URL the stack calls (``None`` when it cannot be read)."""
        for pipe in self.pipes:
            base = _base_url(pipe.endpoint)
            if base is not None:
                return base
        for sync in self.syncs:
            if sync.endpoint is not None:
                return sync.endpoint
        return None

    def connection_ids(self) -> list[str]:
        """Logical IDs of the stack's EventBridge connections."""
        return [lid for lid, _ in self.stack.resources_of_type("AWS::Events::Connection")]


def read_stack(stack: StackTemplate, resolver: Resolver) -> StackDefinitions:
    """The tables, pipes and syncs of ``stack``, their intrinsics resolved by ``resolver``."""
    return _Reader(stack, resolver).read()


class _Reader:
    """Reads the tables, pipes and syncs of one stack."""

    def __init__(self, stack: StackTemplate, resolver: Resolver) -> None:
        self._stack = stack
        self._resolver = resolver
        self._resources = stack.resources

    def _path(self, logical_id: str) -> str:
        return path_of(self._stack, logical_id)

    def read(self) -> StackDefinitions:
        tables = {
            logical_id: self._table(logical_id, resource.get("Properties") or {})
            for logical_id, resource in self._stack.resources_of_type(*TABLE_TYPES)
        }
        pipes: list[PipePath] = []
        syncs: list[SyncPath] = []
        skipped: dict[str, str] = {}
        for logical_id, resource in self._stack.resources_of_type("AWS::Pipes::Pipe"):
            pipe = PipeProperties(resource.get("Properties") or {}, self._resolver)
            reason = self._unsupported(pipe, tables)
            if reason is not None:
                skipped[logical_id] = reason
                continue
            target_id = pipe.target_id(self._resources)
            assert target_id is not None
            target_type = self._resources[target_id].get("Type")
            if target_type == "AWS::Events::ApiDestination":
                pipes.append(self._pipe(logical_id, pipe, target_id))
            else:
                syncs.append(self._sync(logical_id, pipe, target_id))
        return StackDefinitions(self._stack, tables, tuple(pipes), tuple(syncs), skipped)

    def _unsupported(self, pipe: PipeProperties, tables: Mapping[str, Any]) -> str | None:
        """Why the commands do not handle a pipe (read before resolving anything of it)."""
        if pipe.source_id(self._resources) not in tables:
            return "its source is not the stream of a table of this stack"
        target_id = pipe.target_id(self._resources)
        kind = None if target_id is None else self._resources[target_id].get("Type")
        if kind == "AWS::Events::ApiDestination":
            return None
        if kind == "AWS::StepFunctions::StateMachine":
            parameters = (pipe.raw.get("TargetParameters") or {}).get(
                "StepFunctionStateMachineParameters"
            ) or {}
            machine = self._resources[str(target_id)].get("Properties") or {}
            if machine.get("StateMachineType") != "EXPRESS":
                return "its state machine is not EXPRESS"
            if parameters.get("InvocationType") != "REQUEST_RESPONSE":
                return "its state machine is not started synchronously (REQUEST_RESPONSE)"
            return None
        return "its target is not an API destination or state machine of this stack"

    def _table(self, logical_id: str, properties: Mapping[str, Any]) -> TableDefinition:
        types = {
            str(d["AttributeName"]): str(d["AttributeType"])
            for d in properties.get("AttributeDefinitions") or []
        }
        schema = sorted(properties.get("KeySchema") or [], key=lambda k: k.get("KeyType") != "HASH")
        keys = tuple(
            (str(k["AttributeName"]), types.get(str(k["AttributeName"]), "S")) for k in schema
        )
        stream = properties.get("StreamSpecification") or {}
        ttl = properties.get("TimeToLiveSpecification") or {}
        ttl_attribute = ttl.get("AttributeName") if ttl.get("Enabled", True) else None
        return TableDefinition(
            logical_id=logical_id,
            path=self._path(logical_id),
            keys=keys,
            view_type=stream.get("StreamViewType"),
            ttl_attribute=str(ttl_attribute) if isinstance(ttl_attribute, str) else None,
        )

    def _pipe(self, logical_id: str, pipe: PipeProperties, target_id: str) -> PipePath:
        method, endpoint = api_destination(self._resources, target_id, self._resolver)
        target = pipe.target_parameters()
        table_id = pipe.source_id(self._resources)
        assert table_id is not None
        path = PipePath(
            logical_id=logical_id,
            path=self._path(logical_id),
            kind="other",
            table_id=table_id,
            method=method,
            endpoint=endpoint,
            path_values=target.path_values,
            query=target.query,
            headers=target.headers,
            input_template=target.input_template,
            filters=tuple(str(pattern) for pattern in pipe.filters()),
            dead_letter_id=pipe.dead_letter_id(self._resources),
            log_group_id=pipe.log_group_id(self._resources),
            name=pipe.name(),
        )
        return _with_kind(path)

    def _sync(self, logical_id: str, pipe: PipeProperties, machine_id: str) -> SyncPath:
        machine = self._resources[machine_id].get("Properties") or {}
        definition = state_machine_definition(self._resources, machine_id, self._resolver)
        table_id = pipe.source_id(self._resources)
        assert table_id is not None
        groups = [pipe.log_group_id(self._resources)]
        for destination in (machine.get("LoggingConfiguration") or {}).get("Destinations") or []:
            group = (destination.get("CloudWatchLogsLogGroup") or {}).get("LogGroupArn")
            groups.append(referenced_id(group, self._resources))
        unique = tuple(dict.fromkeys(g for g in groups if g is not None))
        return SyncPath(
            pipe_id=logical_id,
            path=self._path(logical_id),
            machine_id=machine_id,
            table_id=table_id,
            definition=definition,
            dead_letter_id=pipe.dead_letter_id(self._resources),
            log_group_ids=unique,
            name=pipe.name(),
            batch_size=pipe.batch_size(),
        )


def _with_kind(pipe: PipePath) -> PipePath:
    try:
        names = momento_names(pipe.url_path())
    except AssemblyError:
        return pipe
    kind = "other"
    if len(names) == 1 and pipe.method == "PUT":
        kind = "set"
    elif len(names) == 1 and pipe.method == "DELETE":
        kind = "delete"
    elif len(names) == 2 and pipe.method == "POST":
        kind = "publish"
    return replace(pipe, kind=kind)


publish()
