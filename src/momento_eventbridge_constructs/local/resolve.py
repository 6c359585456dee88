"""From a stack's ``AWS::Pipes::Pipe`` resources to the :class:`~.specs.PipeSpec` s to run."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from publication import publish

from .._asl import every_state
from .._aws_names import TABLE_TYPES
from ..engine.assembly import AssemblyError, Resolver
from ..engine.patterns import compile_pattern
from ..engine.stack import PipeProperties, api_destination, state_machine_definition
from .resources import StackResources
from .secret_store import LocalSecrets
from .specs import Destination, PipeSpec, StateMachineSpec

__all__ = ["PipeResolver"]

_LOG = logging.getLogger("momento_eventbridge_constructs.local")

# DynamoDBStreamParameters (https://docs.aws.amazon.com/AWSCloudFormation/latest/
# TemplateReference/aws-properties-pipes-pipe-pipesourcedynamodbstreamparameters.html).
MAX_BATCH_SIZE = 10_000
MAX_BATCHING_WINDOW_SECONDS = 300


class _Skip(Exception):
    """A pipe the local runtime does not run (reported, not fatal)."""


def _int(value: Any, default: int) -> int:
    if value is None:
        return default
    try:
        return int(value)
    except (TypeError, ValueError) as error:
        raise AssemblyError(f"expected an integer, got {value!r}") from error


def _window(logical_id: str, stream: Mapping[str, Any]) -> int:
    window = _int(stream.get("MaximumBatchingWindowInSeconds"), 0)
    if not 0 <= window <= MAX_BATCHING_WINDOW_SECONDS:
        raise AssemblyError(
            f"pipe {logical_id}: MaximumBatchingWindowInSeconds {window} is outside what AWS "
            f"accepts (0 to {MAX_BATCHING_WINDOW_SECONDS})"
        )
    return window


class PipeResolver:
    """Resolves every pipe of a stack whose source is the stream of one of its tables.

    Args:
        resources: the stack's local resources, tables, queues and events resources registered.
        secrets: resolves the API key of the connections.
    """

    def __init__(self, resources: StackResources, secrets: LocalSecrets) -> None:
        self._resources = resources
        self._secrets = secrets

    def resolve_all(self) -> tuple[list[PipeSpec], dict[str, str]]:
        """The pipes to run, and the reason each other pipe is not run (by logical ID)."""
        resolver = self._resources.resolver()
        pipes: list[PipeSpec] = []
        skipped: dict[str, str] = {}
        for logical_id, resource in self._resources.stack.resources_of_type("AWS::Pipes::Pipe"):
            try:
                pipes.append(self._pipe(logical_id, resource.get("Properties") or {}, resolver))
            except _Skip as skip:
                skipped[logical_id] = str(skip)
                _LOG.warning("pipe %s is not run locally: %s", logical_id, skip)
        return pipes, skipped

    def _pipe(self, logical_id: str, properties: Mapping[str, Any], resolver: Resolver) -> PipeSpec:
        if properties.get("DesiredState") == "STOPPED":
            raise _Skip("DesiredState is STOPPED")
        pipe = PipeProperties(properties, resolver)
        source, table_id = self._source(logical_id, pipe)
        stream = pipe.stream()
        batch_size, starting = self._stream_position(logical_id, stream)
        dlq_arn = (stream.get("DeadLetterConfig") or {}).get("Arn")
        dlq_url = self._dead_letter_url(logical_id, dlq_arn)
        filters = tuple(compile_pattern(pattern) for pattern in pipe.filters())
        destination, machine = self._target(logical_id, pipe, resolver)
        if machine is None and batch_size != 1:
            raise AssemblyError(
                f"pipe {logical_id}: BatchSize {batch_size} is rejected by AWS for an API "
                "destination target, which cannot take batches: use 1"
            )
        target = pipe.target_parameters()
        attributes = self._resources.attributes[logical_id]
        return PipeSpec(
            role_arn=self._role_arn(properties, resolver),
            logical_id=logical_id,
            name=attributes["Ref"],
            arn=attributes["Arn"],
            table_logical_id=table_id,
            source_arn=source,
            batch_size=batch_size,
            starting_position=starting,
            maximum_retry_attempts=_int(stream.get("MaximumRetryAttempts"), -1),
            maximum_record_age_seconds=_int(stream.get("MaximumRecordAgeInSeconds"), -1),
            dead_letter_arn=dlq_arn,
            dead_letter_url=dlq_url,
            filters=filters,
            input_template=target.input_template,
            path_parameter_values=target.path_values,
            query_parameters=target.query,
            header_parameters=target.headers,
            destination=destination,
            state_machine=machine,
            maximum_batching_window_seconds=_window(logical_id, stream),
        )

    def _source(self, logical_id: str, pipe: PipeProperties) -> tuple[str, str]:
        """The source stream ARN and the logical ID of its table."""
        try:
            source = pipe.source(f"{logical_id}.Source")
        except AssemblyError as error:
            raise _Skip(f"source is not a table of this stack ({error})") from error
        table_id = self._resources.find("StreamArn", source, TABLE_TYPES)
        if table_id is None:
            raise _Skip(f"source {source} is not the stream of a table of this stack")
        return source, table_id

    @staticmethod
    def _stream_position(logical_id: str, stream: Mapping[str, Any]) -> tuple[int, str]:
        """The batch size and starting position, checked against what AWS accepts (batch
        sizes above 1 only for a target that takes batches: see :meth:`_pipe`)."""
        batch_size = _int(stream.get("BatchSize"), 1)
        if not 1 <= batch_size <= MAX_BATCH_SIZE:
            raise AssemblyError(
                f"pipe {logical_id}: BatchSize {batch_size} is outside what AWS accepts for a "
                f"DynamoDB stream (1 to {MAX_BATCH_SIZE})"
            )
        if stream.get("ParallelizationFactor") not in (None, 1):
            _LOG.warning("pipe %s: ParallelizationFactor is ignored locally", logical_id)
        starting = str(stream.get("StartingPosition") or "LATEST")
        if starting not in ("LATEST", "TRIM_HORIZON"):
            raise AssemblyError(f"pipe {logical_id}: unsupported StartingPosition {starting}")
        return batch_size, starting

    def _dead_letter_url(self, logical_id: str, arn: str | None) -> str | None:
        if not arn:
            return None
        queue_id = self._resources.find("Arn", arn, ["AWS::SQS::Queue"])
        if queue_id is None:
            _LOG.warning(
                "pipe %s: DLQ %s is not a queue of this stack; failures are only logged",
                logical_id,
                arn,
            )
            return None
        return self._resources.attributes[queue_id]["Ref"]

    def _target(
        self, logical_id: str, pipe: PipeProperties, resolver: Resolver
    ) -> tuple[Destination, StateMachineSpec | None]:
        target = pipe.target(f"{logical_id}.Target")
        destination_id = self._resources.find("Arn", target, ["AWS::Events::ApiDestination"])
        if destination_id is not None:
            return self._destination(destination_id, resolver), None
        machine_id = self._resources.find("Arn", target, ["AWS::StepFunctions::StateMachine"])
        if machine_id is None:
            raise _Skip(f"target {target} is not an API destination or state machine of this stack")
        invocation = pipe.target_parameters().invocation_type
        if invocation != "REQUEST_RESPONSE":
            raise _Skip(
                f"state machine target with InvocationType {invocation}: only "
                "REQUEST_RESPONSE is run locally"
            )
        machine = self._state_machine(machine_id, resolver)
        stand_in = Destination(machine_id, machine.arn, "StartSyncExecution", "", None, None)
        return stand_in, machine

    def _state_machine(self, logical_id: str, resolver: Resolver) -> StateMachineSpec:
        properties = self._resources.stack.resources[logical_id].get("Properties") or {}
        if properties.get("StateMachineType") != "EXPRESS":
            raise _Skip(f"state machine {logical_id} is not EXPRESS (synchronous start needs it)")
        definition = state_machine_definition(self._resources.stack.resources, logical_id, resolver)
        connections: dict[str, tuple[str, str]] = {}
        for _, state in every_state(definition):
            arn = ((state.get("Arguments") or {}).get("Authentication") or {}).get("ConnectionArn")
            connection_id = self._resources.find("Arn", str(arn), ["AWS::Events::Connection"])
            if arn and connection_id is not None and arn not in connections:
                header, value = self._api_key(connection_id, resolver)
                if header and value:
                    connections[arn] = (header, value)
        arn = self._resources.attributes[logical_id]["Arn"]
        secrets: dict[str, str] = {}
        for connection in connections:
            connection_id = self._resources.find("Arn", connection, ["AWS::Events::Connection"])
            if connection_id is not None:
                secret = self._resources.attributes[connection_id].get("SecretArn")
                if secret:
                    secrets[connection] = secret
        return StateMachineSpec(
            logical_id,
            arn,
            definition,
            connections,
            role_arn=self._role_arn(properties, resolver),
            connection_secrets=secrets,
            queue_arns=self._queue_arns(definition),
        )

    @staticmethod
    def _role_arn(properties: Mapping[str, Any], resolver: Resolver) -> str:
        """The resource's ``RoleArn``; empty when it does not resolve locally (an import)."""
        try:
            role = resolver.resolve(properties.get("RoleArn"))
        except AssemblyError:
            return ""
        return role if isinstance(role, str) else ""

    def _queue_arns(self, definition: Mapping[str, Any]) -> dict[str, str]:
        """The ARN of each local queue an SQS task of the definition sends to, by URL."""
        found: dict[str, str] = {}
        for _, state in every_state(definition):
            url = (state.get("Arguments") or {}).get("QueueUrl")
            queue_id = self._resources.find("Ref", str(url), ["AWS::SQS::Queue"])
            if isinstance(url, str) and queue_id is not None:
                found[url] = self._resources.attributes[queue_id]["Arn"]
        return found

    def _destination(self, logical_id: str, resolver: Resolver) -> Destination:
        properties = self._resources.stack.resources[logical_id].get("Properties") or {}
        method, endpoint = api_destination(self._resources.stack.resources, logical_id, resolver)
        connection_arn = resolver.resolve_string(
            properties.get("ConnectionArn"), f"{logical_id}.ConnectionArn"
        )
        connection_id = self._resources.find("Arn", connection_arn, ["AWS::Events::Connection"])
        header: str | None = None
        value: str | None = None
        if connection_id is None:
            _LOG.warning(
                "API destination %s: connection %s is not in the stack", logical_id, connection_arn
            )
        else:
            header, value = self._api_key(connection_id, resolver)
        arn = self._resources.attributes[logical_id]["Arn"]
        return Destination(logical_id, arn, method, endpoint, header, value)

    def _api_key(self, connection_id: str, resolver: Resolver) -> tuple[str | None, str | None]:
        """The header and value an API-key connection adds (``None, None`` for other auth)."""
        connection = self._resources.stack.resources[connection_id].get("Properties") or {}
        api_key = (connection.get("AuthParameters") or {}).get("ApiKeyAuthParameters")
        if connection.get("AuthorizationType") != "API_KEY" or not api_key:
            return None, None
        header = resolver.resolve_string(api_key.get("ApiKeyName"), "ApiKeyName")
        raw = resolver.resolve_string(api_key.get("ApiKeyValue"), "ApiKeyValue")
        return header, self._secrets.resolve(raw)


publish()
