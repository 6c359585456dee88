"""A pipe whose target is a Step Functions EXPRESS state machine, started synchronously.

The pipe passes the batch (a JSON array, one record with batch size 1) as the execution input
and waits for the result (``REQUEST_RESPONSE``). An execution that fails or times out is a
*customer invocation error* ("logic errors of a synchronously invoked Step Functions
workflow", https://docs.aws.amazon.com/eventbridge/latest/userguide/
eb-pipes-error-troubleshooting.html): the pipe retries it up to ``MaximumRetryAttempts``.
The state machine runs in :class:`~.stepfunctions.StateMachineInterpreter`; its HTTP tasks go
to the Momento the runtime uses, with the API key of their connection, and its SQS tasks to
the local queues.

Two limits bound what reaches the state machine: Pipes sends a Step Functions target at most
262,144 characters (https://docs.aws.amazon.com/eventbridge/latest/userguide/
eb-pipes-batching-concurrency.html), and an execution's input is at most 256 KiB of UTF-8
(https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). What Pipes does
with a record over either is not documented; here it is a customer invocation error like a
failed execution (the target refuses the call), so the pipe retries it up to
``MaximumRetryAttempts`` and then dead-letters it, and the shard moves on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from publication import publish

from .._aws_names import HTTP_INVOKE, SQS_SEND_MESSAGE
from ..engine._sfn_errors import PERMISSIONS
from ..engine.stepfunctions import (
    DEFAULT_ROLE_ARN,
    HttpRequest,
    HttpResponse,
    InvalidExecutionInput,
    StateMachineInterpreter,
    StatesError,
    urllib_transport,
)
from ..engine.templates import PipeContext
from .authorizer import AccessDenied, RoleGuard, both_forms
from .aws import LocalAws
from .specs import PipeSpec, StateMachineSpec
from .target import InternalError, InvocationError, TargetRequest

__all__ = ["PIPES_STATE_MACHINE_PAYLOAD_CHARACTERS", "STATES_PRINCIPAL", "StateMachineTarget"]

STATES_PRINCIPAL = "states.amazonaws.com"

PIPES_STATE_MACHINE_PAYLOAD_CHARACTERS = 262_144
"""The largest payload Pipes sends a Step Functions target (the batching page)."""
# StartSyncExecution refuses a longer input with a validation error, HTTP 400 (the API's
# length constraint and common errors); the status is what the pipe's error reports.
_REFUSED = 400


class StateMachineTarget:
    """Runs the state machine of one pipe for each batch (one record with batch size 1).

    Args:
        machine: the state machine.
        base_url: scheme and host the HTTP tasks' calls go to (the local or the real Momento).
        aws: the local AWS its SQS tasks send to.
        stop: set when the runtime stops; retry waits end early then.
        retry_scale: factor on the state machine's Retry waits (1.0: as written).
        clock: wall-clock seconds (``$states.context.Execution.StartTime``).
        guard: checks the calls made for the state machine's role (default: none).
    """

    def __init__(
        self,
        machine: StateMachineSpec,
        base_url: str,
        aws: LocalAws,
        stop: threading.Event,
        retry_scale: float,
        clock: Callable[[], float],
        guard: RoleGuard | None = None,
    ) -> None:
        self._machine = machine
        self._base = urlsplit(base_url)
        self._aws = aws
        self._guard = guard or RoleGuard(None, None, "")
        self._interpreter = StateMachineInterpreter(
            machine.definition,
            http=self._http,
            connection_headers=self._connection_headers,
            send_message=self._send_message,
            sleep=lambda seconds: _wait(stop, seconds * retry_scale),
            clock=lambda: datetime.fromtimestamp(clock(), tz=timezone.utc),
            state_machine_arn=machine.arn,
            role_arn=machine.role_arn or DEFAULT_ROLE_ARN,
            authorize=self._authorize if self._guard.active else None,
        )

    def render(
        self, pipe: PipeSpec, record: Mapping[str, Any], context: PipeContext
    ) -> TargetRequest:
        """The execution input: the batch as a JSON array (batch size 1: one record)."""
        body = json.dumps([record], separators=(",", ":"), ensure_ascii=False)
        return TargetRequest("StartSyncExecution", self._machine.arn, {}, body)

    def split(self, batch: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]:
        """The batch in consecutive parts that each fit the payload Pipes sends (a record
        alone over it stays a part of its own, and is refused by :meth:`send`).

        Whether Pipes cuts a batch to the payload cap or fails it is not documented; the
        local runtime cuts it, as Lambda's pollers do for their 6 MB (unverified here).
        """
        parts: list[list[Mapping[str, Any]]] = []
        length = 1  # the closing bracket
        for record in batch:
            size = len(_json(record)) + 1  # the opening bracket or a comma
            if parts and length + size <= PIPES_STATE_MACHINE_PAYLOAD_CHARACTERS:
                parts[-1].append(record)
                length += size
            else:
                parts.append([record])
                length = 1 + size
        return parts

    def render_batch(
        self, pipe: PipeSpec, batch: Sequence[Mapping[str, Any]], context: PipeContext
    ) -> TargetRequest:
        """The execution input: the records as one JSON array, in stream order."""
        body = "[" + ",".join(_json(record) for record in batch) + "]"
        return TargetRequest("StartSyncExecution", self._machine.arn, {}, body)

    def send(self, request: TargetRequest) -> int:
        """Run one execution; 200 when it succeeded.

        Raises:
            InvocationError: the payload is over a limit, or the execution failed or timed
                out.
        """
        length = len(request.body)
        if length > PIPES_STATE_MACHINE_PAYLOAD_CHARACTERS:
            raise InvocationError(
                _REFUSED,
                f"the payload is {length} characters, more than the "
                f"{PIPES_STATE_MACHINE_PAYLOAD_CHARACTERS} Pipes sends a Step Functions target",
            )
        try:
            self._guard.assume(STATES_PRINCIPAL, self._machine.arn)
        except AccessDenied as error:
            # What StartSyncExecution reports when Step Functions cannot assume the role is
            # not documented; locally the execution fails, a customer invocation error.
            raise InvocationError(500, f"execution FAILED: {error}") from error
        try:
            result = self._interpreter.start_sync_execution(json.loads(request.body))
        except InvalidExecutionInput as error:
            raise InvocationError(_REFUSED, f"StartSyncExecution refused it: {error}") from error
        if result.status != "SUCCEEDED":
            raise InvocationError(500, f"execution {result.status}: {result.error}: {result.cause}")
        return 200

    def _http(self, request: HttpRequest) -> HttpResponse:
        parts = urlsplit(request.url)
        url = urlunsplit((self._base.scheme, self._base.netloc, parts.path, parts.query, ""))
        try:
            return urllib_transport(
                HttpRequest(
                    request.method,
                    url,
                    request.headers,
                    request.body,
                    request.connection_arn,
                    request.timeout,
                )
            )
        except ConnectionError as error:  # refused or reset: the task's States.Http.Socket
            raise OSError(str(error)) from error

    def _authorize(self, resource: str, arguments: Mapping[str, Any]) -> None:
        """What the state machine's role must be allowed before a task acts (call-https-apis
        and connect-sqs pages): its connection, the connection's secret and the HTTP call;
        the queue of an SQS send."""
        try:
            if resource == HTTP_INVOKE:
                connection = str(arguments["Authentication"]["ConnectionArn"])
                self._guard.require("events:RetrieveConnectionCredentials", *both_forms(connection))
                secret = self._machine.connection_secrets.get(connection)
                if secret:
                    self._guard.require("secretsmanager:GetSecretValue", secret)
                    self._guard.require("secretsmanager:DescribeSecret", secret)
                self._guard.require(
                    "states:InvokeHTTPEndpoint",
                    self._machine.arn,
                    **{
                        "states:HTTPEndpoint": str(arguments["ApiEndpoint"]),
                        "states:HTTPMethod": str(arguments["Method"]),
                    },
                )
            elif resource == SQS_SEND_MESSAGE:
                queue = self._machine.queue_arns.get(str(arguments.get("QueueUrl")))
                if queue:
                    self._guard.require("sqs:SendMessage", queue)
        except AccessDenied as error:
            raise StatesError(PERMISSIONS, str(error)) from error

    def _connection_headers(self, arn: str) -> Mapping[str, str]:
        found = self._machine.connections.get(arn)
        if found is None:
            raise InternalError(f"connection {arn} is not a connection of this stack")
        header, value = found
        return {header: value}

    def _send_message(self, request: dict[str, Any]) -> Mapping[str, Any]:
        response = self._aws.sqs().send_message(**request)
        return {
            "MessageId": response["MessageId"],
            "MD5OfMessageBody": response["MD5OfMessageBody"],
        }


def _json(record: Mapping[str, Any]) -> str:
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def _wait(stop: threading.Event, seconds: float) -> None:
    stop.wait(seconds)


publish()
