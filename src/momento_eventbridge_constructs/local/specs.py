"""What the local runtime runs: a resolved pipe and the API destination it calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from publication import publish

from ..engine.patterns import CompiledPattern
from ..engine.stack import fill_path_parameters, http_tasks, momento_names
from ..engine.templates import TemplateError

__all__ = ["Destination", "PipeSpec", "StateMachineSpec"]


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
class StateMachineSpec:
    """A resolved ``AWS::StepFunctions::StateMachine`` a pipe starts synchronously.

    ``connections`` maps each connection ARN its HTTP tasks use to the header and value the
    connection adds (the API key); ``connection_secrets`` each to its ``SecretArn``;
    ``queue_arns`` maps the URL of each queue its SQS tasks send to to the queue's ARN.
    """

    logical_id: str
    arn: str
    definition: Mapping[str, Any]
    connections: Mapping[str, tuple[str, str]]
    role_arn: str = ""
    connection_secrets: Mapping[str, str] = field(default_factory=dict)
    queue_arns: Mapping[str, str] = field(default_factory=dict)

    def http_calls(self) -> list[tuple[str, str]]:
        """``(method, ApiEndpoint)`` of every HTTP task of the definition."""
        return http_tasks(self.definition)


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
    """The API destination; for a pipe whose target is a state machine, a stand-in naming it
    (``http_method`` ``"StartSyncExecution"``, no endpoint)."""
    state_machine: StateMachineSpec | None = None
    """The state machine the pipe starts (``REQUEST_RESPONSE``), if that is its target."""
    maximum_batching_window_seconds: int = 0
    """How long a shard's reader may wait to fill a batch (``MaximumBatchingWindowInSeconds``)."""
    role_arn: str = ""
    """The role the pipe assumes (empty when it cannot be resolved locally)."""

    def endpoint_url(self) -> str:
        """The destination's endpoint with each ``*`` replaced by a ``PathParameterValues`` item.

        Raises:
            TemplateError: when the counts of ``*`` and of values differ.
        """
        endpoint = self.destination.endpoint
        return fill_path_parameters(endpoint, self.path_parameter_values, f"pipe {self.name}")

    def calls(self) -> list[tuple[str, str]]:
        """``(method, deployed URL)`` of every Momento call the pipe (or its state machine)
        makes; an unrenderable endpoint gives no call."""
        if self.state_machine is not None:
            return self.state_machine.http_calls()
        try:
            return [(self.destination.http_method, self.endpoint_url())]
        except TemplateError:
            return []

    def cache_name(self) -> str | None:
        """The Momento cache the pipe calls, read from its endpoint path (``None``: unknown)."""
        names = self.cache_names()
        return names[0] if names else None

    def cache_names(self) -> list[str]:
        """Every Momento cache the pipe (or its state machine) calls."""
        names: list[str] = []
        for _, url in self.calls():
            for name in momento_names(urlsplit(url).path)[:1]:
                if name not in names:
                    names.append(name)
        return names

    def api_keys(self) -> list[str]:
        """The API keys the pipe's calls carry."""
        if self.state_machine is not None:
            return [value for _, value in self.state_machine.connections.values() if value]
        return [self.destination.auth_value] if self.destination.auth_value else []


publish()
