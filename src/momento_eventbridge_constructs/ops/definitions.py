"""What a synthesized stack does to Momento, read from its cloud assembly.

For every table of the stack: the pipes that set, delete or publish through an API destination
(their input template, HTTP parameters, filters, dead-letter queue and log group) and the syncs
(a pipe starting an EXPRESS state machine, with the machine's definition). Everything is read
from the template; intrinsics resolve against the physical IDs and parameter values given, and
whatever stays unknown becomes a marker string (``unresolved:LogicalId.Attribute``): rendering
never needs those values (connection ARNs, queue URLs inside a definition).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from .._asl import every_state
from .._aws_names import HTTP_INVOKE, TABLE_TYPES
from ..local.assembly import AssemblyError, Resolver, StackTemplate, load_stack

__all__ = [
    "PipePath",
    "StackDefinitions",
    "SyncPath",
    "TableDefinition",
    "lenient_resolver",
    "load_definitions",
    "read_definitions",
]

UNRESOLVED = "unresolved:"


class _Attributes(Mapping[str, str]):
    """The attributes of one resource: its known ``Ref``, a marker for anything else."""

    def __init__(self, logical_id: str, ref: str | None) -> None:
        self._logical_id = logical_id
        self._ref = ref

    def __getitem__(self, attribute: str) -> str:
        if attribute == "Ref" and self._ref is not None:
            return self._ref
        return f"{UNRESOLVED}{self._logical_id}.{attribute}"

    def __iter__(self) -> Iterator[str]:
        return iter(["Ref"])

    def __len__(self) -> int:
        return 1


class _LenientAttributes(Mapping[str, Mapping[str, str]]):
    """Every resource resolves: physical IDs where known, markers elsewhere."""

    def __init__(self, stack: StackTemplate, refs: Mapping[str, str]) -> None:
        self._stack = stack
        self._refs = refs

    def __getitem__(self, logical_id: str) -> Mapping[str, str]:
        return _Attributes(logical_id, self._refs.get(logical_id))

    def __iter__(self) -> Iterator[str]:
        return iter(self._stack.resources)

    def __len__(self) -> int:
        return len(self._stack.resources)


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
        """The endpoint's path with each ``*`` replaced by a path parameter value."""
        pieces = urlsplit(self.endpoint).path.split("*")
        if len(pieces) - 1 != len(self.path_values):
            raise AssemblyError(
                f"pipe {self.path}: endpoint {self.endpoint} has {len(pieces) - 1} '*' but "
                f"{len(self.path_values)} PathParameterValues"
            )
        text = pieces[0]
        for value, piece in zip(self.path_values, pieces[1:], strict=True):
            text += quote(value, safe="") + piece
        return text

    @property
    def cache(self) -> str:
        """The Momento cache the pipe calls."""
        return _path_names(self.url_path())[0]

    @property
    def topic(self) -> str | None:
        """The Momento topic a publish pipe calls."""
        names = _path_names(self.url_path())
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

    def _endpoints(self, method: str) -> list[str]:
        return [
            str(state["Arguments"]["ApiEndpoint"])
            for _, state in every_state(self.definition)
            if state.get("Resource") == HTTP_INVOKE
            and str((state.get("Arguments") or {}).get("Method", "")).upper() == method
        ]

    @property
    def cache(self) -> str:
        """The Momento cache the state machine sets and deletes in."""
        for url in self._endpoints("PUT") + self._endpoints("DELETE"):
            names = _path_names(urlsplit(url).path)
            if names:
                return names[0]
        raise AssemblyError(f"sync {self.path}: its state machine calls no /cache/ endpoint")

    @property
    def topic(self) -> str | None:
        """The topic the state machine announces changes on, if any."""
        for url in self._endpoints("POST"):
            names = _path_names(urlsplit(url).path)
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


def _path_names(url_path: str) -> list[str]:
    """``/cache/c`` -> ``["c"]``; ``/topics/c/t`` -> ``["c", "t"]``; else ``[]``."""
    parts = [unquote(part) for part in url_path.split("/") if part]
    if len(parts) == 2 and parts[0] == "cache":
        return [parts[1]]
    if len(parts) == 3 and parts[0] == "topics":
        return parts[1:]
    return []


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


def load_definitions(
    assembly: str | Path,
    stack_name: str | None,
    *,
    refs: Mapping[str, str] | None = None,
    parameters: Mapping[str, str] | None = None,
    account: str = "",
    region: str = "",
) -> StackDefinitions:
    """Read one stack of a cloud assembly (see :func:`read_definitions`)."""
    stack = load_stack(assembly, stack_name)
    return read_definitions(stack, refs=refs, parameters=parameters, account=account, region=region)


def read_definitions(
    stack: StackTemplate,
    *,
    refs: Mapping[str, str] | None = None,
    parameters: Mapping[str, str] | None = None,
    account: str = "",
    region: str = "",
) -> StackDefinitions:
    """The definitions of ``stack``.

    Args:
        refs: physical IDs by logical ID (``Ref`` values), where known.
        parameters: the deployed values of template parameters (else their defaults).
        account, region: for pseudo parameters (default: the stack's environment).
    """
    resolver = lenient_resolver(
        stack, refs=refs, parameters=parameters, account=account, region=region
    )
    return _Reader(stack, resolver).read()


def lenient_resolver(
    stack: StackTemplate,
    *,
    refs: Mapping[str, str] | None = None,
    parameters: Mapping[str, str] | None = None,
    account: str = "",
    region: str = "",
) -> Resolver:
    """A resolver of the stack's intrinsics that never fails on an unknown attribute: it
    yields ``unresolved:LogicalId.Attribute`` instead (arguments as for
    :func:`read_definitions`)."""
    return Resolver(
        stack,
        account or stack.account or f"{UNRESOLVED}AWS::AccountId",
        region or stack.region or f"{UNRESOLVED}AWS::Region",
        _LenientAttributes(stack, refs or {}),
        parameters,
    )


class _Reader:
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
            properties = resource.get("Properties") or {}
            reason = self._unsupported(properties, tables)
            if reason is not None:
                skipped[logical_id] = reason
                continue
            target_id = referenced_id(properties.get("Target"), self._resources)
            assert target_id is not None
            target_type = self._resources[target_id].get("Type")
            if target_type == "AWS::Events::ApiDestination":
                pipes.append(self._pipe(logical_id, properties, target_id))
            else:
                syncs.append(self._sync(logical_id, properties, target_id))
        return StackDefinitions(self._stack, tables, tuple(pipes), tuple(syncs), skipped)

    def _unsupported(self, properties: Mapping[str, Any], tables: Mapping[str, Any]) -> str | None:
        table_id = referenced_id(properties.get("Source"), self._resources)
        if table_id not in tables:
            return "its source is not the stream of a table of this stack"
        target_id = referenced_id(properties.get("Target"), self._resources)
        kind = None if target_id is None else self._resources[target_id].get("Type")
        if kind == "AWS::Events::ApiDestination":
            return None
        if kind == "AWS::StepFunctions::StateMachine":
            parameters = (properties.get("TargetParameters") or {}).get(
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

    def _stream_ids(self, properties: Mapping[str, Any]) -> tuple[str, str | None]:
        """The table and the dead-letter queue of a pipe."""
        table_id = referenced_id(properties.get("Source"), self._resources)
        assert table_id is not None
        stream = (properties.get("SourceParameters") or {}).get("DynamoDBStreamParameters") or {}
        queue = (stream.get("DeadLetterConfig") or {}).get("Arn")
        return table_id, referenced_id(queue, self._resources)

    def _log_group(self, properties: Mapping[str, Any]) -> str | None:
        destination = (properties.get("LogConfiguration") or {}).get(
            "CloudwatchLogsLogDestination"
        ) or {}
        return referenced_id(destination.get("LogGroupArn"), self._resources)

    def _name(self, properties: Mapping[str, Any]) -> str | None:
        name = self._resolver.resolve(properties.get("Name"))
        return name if isinstance(name, str) else None

    def _pipe(self, logical_id: str, properties: Mapping[str, Any], target_id: str) -> PipePath:
        destination = self._resources[target_id].get("Properties") or {}
        resolve = self._resolver.resolve_string
        endpoint = resolve(destination.get("InvocationEndpoint"), f"{target_id}.InvocationEndpoint")
        method = resolve(destination.get("HttpMethod"), f"{target_id}.HttpMethod").upper()
        target = self._resolver.resolve(properties.get("TargetParameters") or {})
        http = target.get("HttpParameters") or {}
        source = properties.get("SourceParameters") or {}
        filters = tuple(
            str(self._resolver.resolve(entry.get("Pattern")))
            for entry in (source.get("FilterCriteria") or {}).get("Filters") or []
        )
        table_id, queue_id = self._stream_ids(properties)
        path_values = tuple(str(v) for v in http.get("PathParameterValues") or [])
        pipe = PipePath(
            logical_id=logical_id,
            path=self._path(logical_id),
            kind="other",
            table_id=table_id,
            method=method,
            endpoint=endpoint,
            path_values=path_values,
            query={str(k): str(v) for k, v in (http.get("QueryStringParameters") or {}).items()},
            headers={str(k): str(v) for k, v in (http.get("HeaderParameters") or {}).items()},
            input_template=target.get("InputTemplate"),
            filters=filters,
            dead_letter_id=queue_id,
            log_group_id=self._log_group(properties),
            name=self._name(properties),
        )
        return _with_kind(pipe)

    def _sync(self, logical_id: str, properties: Mapping[str, Any], machine_id: str) -> SyncPath:
        machine = self._resources[machine_id].get("Properties") or {}
        text = self._resolver.resolve_string(
            machine.get("DefinitionString"), f"{machine_id}.DefinitionString"
        )
        try:
            definition = json.loads(text)
        except ValueError as error:
            raise AssemblyError(f"{machine_id}: DefinitionString is not JSON: {error}") from error
        table_id, queue_id = self._stream_ids(properties)
        groups = [self._log_group(properties)]
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
            dead_letter_id=queue_id,
            log_group_ids=unique,
            name=self._name(properties),
        )


def _with_kind(pipe: PipePath) -> PipePath:
    try:
        names = _path_names(pipe.url_path())
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
