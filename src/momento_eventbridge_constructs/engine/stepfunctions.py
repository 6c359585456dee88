"""A local interpreter for the Step Functions state machines the sync construct emits.

It runs EXPRESS state machines written in JSONata synchronously, the way EventBridge Pipes'
``REQUEST_RESPONSE`` invocation calls StartSyncExecution
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html),
with every side effect injected, so it needs no AWS account and no network::

    from momento_eventbridge_constructs.engine.stepfunctions import (
        StateMachineInterpreter, urllib_transport,
    )

    interpreter = StateMachineInterpreter(
        definition,                                  # dict or JSON text
        http=urllib_transport,                       # or any HttpRequest -> HttpResponse
        connection_headers=lambda arn: {"Authorization": api_key},
        send_message=lambda request: sqs.send_message(**request),
    )
    result = interpreter.start_sync_execution([stream_record])  # Pipes always sends an array
    result.status, result.output_value(), result.error, result.cause

Emulated (ASL spec https://states-language.net/spec.html, JSONata in Step Functions
https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html): top-level
``QueryLanguage: JSONata``; Pass, Task, Choice (``Condition``), Succeed, Fail, inline Map
(``Items``, ``ItemSelector`` with ``$states.context.Map.Item``, ``MaxConcurrency``; see
``_sfn_map``; iterations read the variables of the scope around them, and what they assign
stays inside them); ``Arguments``,
``Output``, ``Assign`` (variables are visible from the next state on: Output and Assign of a
state both see the values from before it,
https://docs.aws.amazon.com/step-functions/latest/dg/workflow-variables.html); ``$states``
(``input``, ``result``, ``errorOutput``, ``context``); Retry and Catch; ``TimeoutSeconds`` of
tasks and of the state machine; the 5-minute limit of EXPRESS executions
(https://docs.aws.amazon.com/step-functions/latest/dg/choosing-workflow-type.html); the
256 KiB limit on a state's output (``States.DataLimitExceeded``,
https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). Tasks: the HTTP
task and SQS SendMessage (see ``_sfn_http`` and ``_sfn_tasks`` for their details).

Not emulated (a definition using them raises :class:`DefinitionError`): JSONPath, Wait,
Parallel, distributed Map, other task resources, ``.sync`` / ``.waitForTaskToken``,
``HeartbeatSeconds``, ``Credentials``, ``InvocationConfig``. Also not emulated: execution
history, logging and X-Ray, IAM (an ``authorize`` callable may check each task's call),
at-most-once delivery, timeouts that interrupt a task (a task is only judged timed out when
it returns; the HTTP transport is given the time it has), the JSONata functions
``$partition``, ``$range`` and seeded ``$random``.
"""

from __future__ import annotations

import copy
import json
import logging
import random
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal

from publication import publish

from .._aws_names import HTTP_INVOKE, SQS_SEND_MESSAGE
from ._sfn_definition import Definition, StateSpec, parse_definition
from ._sfn_errors import (
    DATA_LIMIT_EXCEEDED,
    NO_CHOICE_MATCHED,
    QUERY_EVALUATION,
    TIMEOUT,
    DefinitionError,
    StatesError,
)
from ._sfn_expressions import Expressions
from ._sfn_http import HttpRequest, HttpResponse, urllib_transport
from ._sfn_map import run_iterations
from ._sfn_retry import NO_VALUE, Catcher, find_handler
from ._sfn_tasks import (
    Authorize,
    HttpTransport,
    SendMessage,
    TaskServices,
    run_task,
)

__all__ = [
    "DEFAULT_ROLE_ARN",
    "DefinitionError",
    "ExecutionResult",
    "ExecutionStatus",
    "HttpRequest",
    "HttpResponse",
    "InvalidExecutionInput",
    "StateMachineInterpreter",
    "StatesError",
    "urllib_transport",
]

_LOG = logging.getLogger(__name__)

ExecutionStatus = Literal["SUCCEEDED", "FAILED", "TIMED_OUT"]

EXPRESS_MAX_DURATION_SECONDS = 300.0
# "Maximum input or output size for a task, state, or execution": 256 KiB as UTF-8
# (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html); StartSyncExecution
# states the same bound on its input, 262144 bytes in UTF-8
# (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartSyncExecution.html).
PAYLOAD_LIMIT_BYTES = 256 * 1024
DEFAULT_STATE_MACHINE_ARN = "arn:aws:states:us-east-1:123456789012:stateMachine:local"
DEFAULT_ROLE_ARN = "arn:aws:iam::123456789012:role/local-state-machine"
_TASK_TIMEOUT_DEFAULT = 99999999  # ASL: TimeoutSeconds of a task when not given


class InvalidExecutionInput(ValueError):
    """The execution input is not JSON or is larger than 256 KiB."""


@dataclass(frozen=True)
class ExecutionResult:
    """The answer of StartSyncExecution: ``output`` is JSON text, as the API returns it."""

    status: ExecutionStatus
    output: str | None
    error: str | None
    cause: str | None
    execution_arn: str
    name: str
    input: str
    start_date: datetime
    stop_date: datetime

    def output_value(self) -> Any:
        """The output decoded from JSON (``None`` when the execution did not succeed)."""
        return None if self.output is None else json.loads(self.output)


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class StateMachineInterpreter:
    """Runs one state machine definition; each call of :meth:`start_sync_execution` is an
    independent execution, so one interpreter may serve several threads.

    :param definition: the ASL definition (object or JSON text); checked at once, raising
        :class:`DefinitionError` for anything outside the emulated subset.
    :param http: sends the HTTP task's request; required when the definition has one.
    :param connection_headers: the headers an EventBridge connection adds, by connection ARN
        (e.g. ``{"Authorization": "<Momento API key>"}``). Default: none.
    :param send_message: sends an SQS message given SendMessage's request parameters and
        returns its response; required when the definition has an SQS task.
    :param sleep: waits between retries. Default: :func:`time.sleep`.
    :param clock: the current time (timezone-aware). Default: the system clock in UTC.
    :param rng: randomness for ``JitterStrategy: FULL``. Default: a new ``random.Random``.
    :param state_machine_arn: ``$states.context.StateMachine.Id``. Default: a local ARN.
    :param role_arn: ``$states.context.Execution.RoleArn``. Default: a local ARN.
    :param max_duration_seconds: longest execution. Default: 300 (EXPRESS).
    :param payload_limit_bytes: the largest execution input and state output, in UTF-8
        bytes. Default: 256 KiB, Step Functions' limit. ``None`` runs a definition without it,
        for code that only reads what the definition would send (it is not Step Functions).
    :param authorize: called with a task's resource and arguments before the task acts, to
        fail it with a :class:`StatesError` (an IAM check). Default: none.
    """

    def __init__(
        self,
        definition: Mapping[str, Any] | str,
        *,
        http: HttpTransport | None = None,
        connection_headers: Callable[[str], Mapping[str, str]] | None = None,
        send_message: SendMessage | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], datetime] = _utc_now,
        rng: random.Random | None = None,
        state_machine_arn: str = DEFAULT_STATE_MACHINE_ARN,
        role_arn: str = DEFAULT_ROLE_ARN,
        max_duration_seconds: float = EXPRESS_MAX_DURATION_SECONDS,
        payload_limit_bytes: int | None = PAYLOAD_LIMIT_BYTES,
        authorize: Authorize | None = None,
    ) -> None:
        self.definition: Definition = parse_definition(definition)
        self.expressions = Expressions()
        self.services = TaskServices(http, connection_headers, send_message, authorize)
        _check_services(self.definition, self.services)
        self.sleep = sleep
        self.clock = clock
        self.rng = rng or random.Random()
        self.state_machine_arn = state_machine_arn
        self.role_arn = role_arn
        self.max_duration_seconds = max_duration_seconds
        self.payload_limit_bytes = payload_limit_bytes

    def start_sync_execution(self, input: Any, *, name: str | None = None) -> ExecutionResult:
        """Run one execution to its end with ``input`` (a JSON value) and report it."""
        try:
            text = json.dumps(input, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise InvalidExecutionInput(f"the input is not JSON: {error}") from error
        size = len(text.encode("utf-8"))
        if self.payload_limit_bytes is not None and size > self.payload_limit_bytes:
            raise InvalidExecutionInput(
                f"the input is {size} bytes (UTF-8), more than the "
                f"{self.payload_limit_bytes} an execution accepts"
            )
        return _Execution(self, text, name or str(uuid.uuid4())).run()


def _check_services(definition: Definition, services: TaskServices) -> None:
    for spec in definition.every_state():
        resource = spec.fields.get("Resource")
        if resource == HTTP_INVOKE and services.http is None:
            raise ValueError(f"state {spec.name!r} is an HTTP task: pass http=")
        if resource == SQS_SEND_MESSAGE and services.send_message is None:
            raise ValueError(f"state {spec.name!r} sends to SQS: pass send_message=")


class _TimedOut(Exception):
    """The execution ran past its deadline."""


@dataclass
class _Outcome:
    """How a state ended: where to go (``None``: the execution ends) and its output."""

    next: str | None
    output: Any
    assigned: Mapping[str, Any] = field(default_factory=dict)


class _Execution:
    """The mutable state of one execution."""

    def __init__(self, interpreter: StateMachineInterpreter, input_text: str, name: str) -> None:
        self.interpreter = interpreter
        self.input_text = input_text
        self.name = name
        self.arn = _execution_arn(interpreter.state_machine_arn, name)
        self.start = interpreter.clock()
        limit = float(interpreter.max_duration_seconds)
        if interpreter.definition.timeout_seconds is not None:
            limit = min(limit, float(interpreter.definition.timeout_seconds))
        self.limit = limit
        self.variables: dict[str, Any] = {}
        self.context: dict[str, Any] = {}
        # What every state's context shares: expressions read it and never change it.
        self.fixed_context: Mapping[str, Any] = {
            "Execution": {
                "Id": self.arn,
                "Input": json.loads(input_text),
                "Name": name,
                "RoleArn": interpreter.role_arn,
                "StartTime": _timestamp(self.start),
                "RedriveCount": 0,
            },
            "StateMachine": {
                "Id": interpreter.state_machine_arn,
                "Name": interpreter.state_machine_arn.rsplit(":", 1)[-1],
            },
        }

    def run(self) -> ExecutionResult:
        try:
            output = self._run_states(self.interpreter.definition, json.loads(self.input_text))
        except StatesError as error:
            _LOG.debug("execution %s failed: %s", self.name, error)
            return self._result("FAILED", None, error.error or None, error.cause or None)
        except _TimedOut:
            cause = f"the execution ran longer than {self.limit:g} seconds"
            return self._result("TIMED_OUT", None, TIMEOUT, cause)
        return self._result("SUCCEEDED", _dumps(output), None, None)

    def _run_states(self, definition: Definition, state_input: Any) -> Any:
        state_name: str | None = definition.start_at
        while state_name is not None:
            self._check_deadline()
            spec = definition.states[state_name]
            self._enter(spec, retry_count=0)
            outcome = self._step(spec, state_input)
            _check_size(spec.name, outcome.output, self.interpreter.payload_limit_bytes)
            self.variables.update(outcome.assigned)
            state_name, state_input = outcome.next, outcome.output
        return state_input

    def _step(self, spec: StateSpec, state_input: Any) -> _Outcome:
        _LOG.debug("execution %s: entering state %s", self.name, spec.name)
        if spec.type == "Task":
            return self._task(spec, state_input)
        if spec.type == "Choice":
            return self._choice(spec, state_input)
        if spec.type == "Fail":
            raise self._failure(spec, state_input)
        if spec.type == "Map":
            return self._task(spec, state_input, self._map_attempt)
        # Pass and Succeed: Output (default: the input) and, for Pass, Assign.
        return self._finish(spec, spec.fields, spec.next, self._states(state_input))

    def _task(
        self,
        spec: StateSpec,
        state_input: Any,
        attempt: Callable[[StateSpec, Any], _Outcome] | None = None,
    ) -> _Outcome:
        """Run a Task (or a Map: ``attempt``) with its retriers and catchers."""
        used = [0] * len(spec.retriers)
        while True:
            try:
                return (attempt or self._task_attempt)(spec, state_input)
            except StatesError as error:
                index = find_handler(spec.retriers, error.error)
                if index is None or used[index] >= spec.retriers[index].max_attempts:
                    return self._catch(spec, state_input, error)
                delay = spec.retriers[index].delay(used[index], self.interpreter.rng)
                used[index] += 1
                _LOG.debug("state %s: %s; retrying in %.3f s", spec.name, error.error, delay)
                self.interpreter.sleep(delay)
                self._check_deadline()
                self.context["State"]["RetryCount"] = sum(used)

    def _task_attempt(self, spec: StateSpec, state_input: Any) -> _Outcome:
        states = self._states(state_input)
        arguments = self._evaluate(spec.fields.get("Arguments", {}), states, "Arguments")
        timeout = self._task_timeout(spec, states)
        started = self.interpreter.clock()
        result = run_task(spec.fields["Resource"], arguments, self.interpreter.services, timeout)
        if (self.interpreter.clock() - started).total_seconds() > timeout:
            raise StatesError(TIMEOUT, f"the task ran longer than {timeout:g} seconds")
        self._check_deadline()
        return self._finish(spec, spec.fields, spec.next, {**states, "result": result}, result)

    def _map_attempt(self, spec: StateSpec, state_input: Any) -> _Outcome:
        states = self._states(state_input)
        items = self._evaluate(spec.fields.get("Items", "{% $states.input %}"), states, "Items")
        if not isinstance(items, list):
            raise StatesError(QUERY_EVALUATION, f"Items of state {spec.name!r} is not an array")
        concurrency = self._evaluate(spec.fields.get("MaxConcurrency", 0), states, "MaxConcurrency")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 0:
            problem = f"MaxConcurrency {concurrency!r} is not a non-negative integer"
            raise StatesError(QUERY_EVALUATION, problem)
        selector = spec.fields.get("ItemSelector")
        processor = spec.processor
        assert processor is not None, "parse_definition gives every Map state its processor"

        def run_one(index: int) -> Any:
            item = items[index]
            if selector is not None:
                context = {**self.context, "Map": {"Item": {"Index": index, "Value": item}}}
                item = self._evaluate(selector, {**states, "context": context}, "ItemSelector")
            return self._iteration()._run_states(processor, item)

        result = run_iterations(len(items), concurrency, run_one)
        return self._finish(spec, spec.fields, spec.next, {**states, "result": result}, result)

    def _iteration(self) -> _Execution:
        """The execution as one Map iteration sees it: its own variables (starting from
        those around it) and its own context."""
        iteration = copy.copy(self)
        iteration.variables = dict(self.variables)
        iteration.context = dict(self.context)
        return iteration

    def _task_timeout(self, spec: StateSpec, states: Mapping[str, Any]) -> float:
        raw = spec.fields.get("TimeoutSeconds", _TASK_TIMEOUT_DEFAULT)
        value = self._evaluate(raw, states, "TimeoutSeconds")
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problem = f"TimeoutSeconds {value!r} is not a positive integer"
            raise StatesError(QUERY_EVALUATION, problem)
        return float(value)

    def _catch(self, spec: StateSpec, state_input: Any, error: StatesError) -> _Outcome:
        index = find_handler(spec.catchers, error.error)
        if index is None:
            raise error
        catcher: Catcher = spec.catchers[index]
        _LOG.debug("state %s: %s caught, next %s", spec.name, error.error, catcher.next)
        error_output = {"Error": error.error, "Cause": error.cause}
        states = {**self._states(state_input), "errorOutput": error_output}
        fields: dict[str, Any] = {"Assign": catcher.assign} if catcher.assign else {}
        if catcher.output is not NO_VALUE:
            fields["Output"] = catcher.output
        return self._finish(spec, fields, catcher.next, states, error_output)

    def _choice(self, spec: StateSpec, state_input: Any) -> _Outcome:
        states = self._states(state_input)
        for index, rule in enumerate(spec.fields["Choices"]):
            field_name = f"Choices[{index}].Condition"
            matched = self._evaluate(rule["Condition"], states, field_name)
            if not isinstance(matched, bool):
                raise StatesError(QUERY_EVALUATION, f"{field_name} is not a boolean: {matched!r}")
            if matched:
                return self._finish(spec, {**spec.fields, **rule}, str(rule["Next"]), states)
        if "Default" in spec.fields:
            return self._finish(spec, spec.fields, str(spec.fields["Default"]), states)
        raise StatesError(NO_CHOICE_MATCHED, f"no choice rule of state {spec.name!r} matched")

    def _failure(self, spec: StateSpec, state_input: Any) -> StatesError:
        states = self._states(state_input)
        error = self._evaluate(spec.fields.get("Error", ""), states, "Error")
        cause = self._evaluate(spec.fields.get("Cause", ""), states, "Cause")
        return StatesError(str(error), str(cause))

    def _finish(
        self,
        spec: StateSpec,
        fields: Mapping[str, Any],
        next_state: str | None,
        states: Mapping[str, Any],
        default_output: Any = NO_VALUE,
    ) -> _Outcome:
        """Evaluate Output and Assign of a state (or rule, or catcher) against ``states``."""
        if default_output is NO_VALUE:
            default_output = states["input"]
        output = default_output
        if "Output" in fields:
            output = self._evaluate(fields["Output"], states, "Output")
        assigned = self._evaluate(fields.get("Assign") or {}, states, "Assign")
        return _Outcome(next_state, output, assigned)

    def _evaluate(self, value: Any, states: Mapping[str, Any], field_name: str) -> Any:
        bindings = {**self.variables, "states": states}
        return self.interpreter.expressions.evaluate_template(
            value, bindings, field=field_name, now=self.interpreter.clock
        )

    def _states(self, state_input: Any) -> dict[str, Any]:
        return {"input": state_input, "context": self.context}

    def _enter(self, spec: StateSpec, *, retry_count: int) -> None:
        self.context = {
            "Execution": self.fixed_context["Execution"],
            "State": {
                "EnteredTime": _timestamp(self.interpreter.clock()),
                "Name": spec.name,
                "RetryCount": retry_count,
            },
            "StateMachine": self.fixed_context["StateMachine"],
        }

    def _check_deadline(self) -> None:
        if (self.interpreter.clock() - self.start).total_seconds() > self.limit:
            raise _TimedOut()

    def _result(
        self, status: ExecutionStatus, output: str | None, error: str | None, cause: str | None
    ) -> ExecutionResult:
        return ExecutionResult(
            status,
            output,
            error,
            cause,
            self.arn,
            self.name,
            self.input_text,
            self.start,
            self.interpreter.clock(),
        )


def _execution_arn(state_machine_arn: str, name: str) -> str:
    # Express executions: arn:aws:states:<region>:<account>:express:<machine>:<name>:<id>, the
    # reference's "express" resource type (list_awsstepfunctions.html
    # #awsstepfunctions-resources-for-iam-policies).
    parts = state_machine_arn.split(":")
    if len(parts) >= 7:
        prefix = ":".join([*parts[:5], "express", parts[6]])
        return f"{prefix}:{name}:{uuid.uuid4()}"
    return f"{state_machine_arn}:{name}"


def _timestamp(moment: datetime) -> str:
    """ISO 8601 with milliseconds and ``Z``, as in the context object."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _check_size(state: str, output: Any, limit: int | None) -> None:
    if limit is not None and len(_dumps(output).encode("utf-8")) > limit:
        problem = f"the output of state {state!r} exceeds {limit} bytes (UTF-8)"
        raise StatesError(DATA_LIMIT_EXCEEDED, problem)


publish()
