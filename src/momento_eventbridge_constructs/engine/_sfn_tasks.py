"""Task resources the local interpreter runs, through injected callables.

* ``arn:aws:states:::http:invoke``: see :mod:`._sfn_http`.
* ``arn:aws:states:::sqs:sendMessage`` (request-response): the arguments are SendMessage's
  request parameters (https://docs.aws.amazon.com/step-functions/latest/dg/connect-sqs.html);
  a ``MessageBody`` that is not a string is sent as its JSON text (unverified for JSONata
  states), and the result is the SendMessage response (``MessageId``, ``MD5OfMessageBody``).

Any other resource, and the ``.sync`` / ``.waitForTaskToken`` patterns, are not emulated.
An exception from a callable fails the task: :class:`StatesError` with its own name, a
timeout with ``States.Timeout`` (or ``States.Http.Socket`` for the HTTP task's own 60 s
limit), a failed connection with ``States.Http.Socket``, anything else with
``States.TaskFailed``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .._aws_names import HTTP_INVOKE, SQS_SEND_MESSAGE
from ._sfn_errors import HTTP_SOCKET, RUNTIME, TASK_FAILED, TIMEOUT, StatesError
from ._sfn_http import (
    HTTP_TIMEOUT_SECONDS,
    HttpRequest,
    HttpResponse,
    build_request,
    check_arguments,
    http_result,
)

__all__ = [
    "SUPPORTED_RESOURCES",
    "Authorize",
    "HttpTransport",
    "SendMessage",
    "TaskServices",
    "check_task_arguments",
    "run_task",
]

SUPPORTED_RESOURCES = (HTTP_INVOKE, SQS_SEND_MESSAGE)

HttpTransport = Callable[[HttpRequest], HttpResponse]
SendMessage = Callable[[dict[str, Any]], Mapping[str, Any]]
Authorize = Callable[[str, Mapping[str, Any]], None]
"""Called with a task's resource and its checked arguments before the task acts; raises
:class:`StatesError` (e.g. ``States.Permissions``) to fail it."""

_SEND_MESSAGE_FIELDS = frozenset(
    {
        "QueueUrl",
        "MessageBody",
        "DelaySeconds",
        "MessageAttributes",
        "MessageSystemAttributes",
        "MessageDeduplicationId",
        "MessageGroupId",
    }
)


@dataclass(frozen=True)
class TaskServices:
    """The side effects a task may have, all injected."""

    http: HttpTransport | None = None
    connection_headers: Callable[[str], Mapping[str, str]] | None = None
    send_message: SendMessage | None = None
    authorize: Authorize | None = None


def check_task_arguments(resource: str, arguments: Mapping[str, Any]) -> str | None:
    """The first problem with the static arguments of a task of ``resource``, if any."""
    if resource == HTTP_INVOKE:
        return check_arguments(arguments)
    for name in arguments:
        if name not in _SEND_MESSAGE_FIELDS:
            return f"Arguments.{name} is not a SendMessage parameter"
    return None


def run_task(resource: str, arguments: Any, services: TaskServices, timeout: float) -> Any:
    """Run one attempt of a task and return its result; raises :class:`StatesError`."""
    try:
        if resource == HTTP_INVOKE:
            return _http_invoke(arguments, services, timeout)
        return _send_message(arguments, services)
    except StatesError:
        raise
    except TimeoutError as error:
        raise StatesError(_timeout_error(resource, timeout), f"timed out: {error}") from error
    except OSError as error:
        if resource == HTTP_INVOKE:
            raise StatesError(HTTP_SOCKET, f"connection failed: {error}") from error
        raise StatesError(TASK_FAILED, f"{type(error).__name__}: {error}") from error
    except Exception as error:
        raise StatesError(TASK_FAILED, f"{type(error).__name__}: {error}") from error


def _timeout_error(resource: str, timeout: float) -> str:
    # A state TimeoutSeconds shorter than the HTTP task's own 60 s limit fires first.
    if resource == HTTP_INVOKE and timeout >= HTTP_TIMEOUT_SECONDS:
        return HTTP_SOCKET
    return TIMEOUT


def _http_invoke(arguments: Any, services: TaskServices, timeout: float) -> Any:
    if services.http is None:
        raise StatesError(RUNTIME, "no HTTP transport was given to the interpreter")
    connection_arn = ""
    if isinstance(arguments, Mapping) and isinstance(arguments.get("Authentication"), Mapping):
        connection_arn = str(arguments["Authentication"].get("ConnectionArn", ""))
    lookup = services.connection_headers
    headers = lookup(connection_arn) if lookup is not None and connection_arn else {}
    request = build_request(arguments, headers, min(timeout, HTTP_TIMEOUT_SECONDS))
    if services.authorize is not None:
        services.authorize(HTTP_INVOKE, {**arguments, "Method": request.method})
    return http_result(services.http(request))


def _send_message(arguments: Any, services: TaskServices) -> Any:
    if services.send_message is None:
        raise StatesError(RUNTIME, "no SQS send_message callable was given to the interpreter")
    if not isinstance(arguments, Mapping):
        raise StatesError(RUNTIME, "sqs:sendMessage Arguments must be an object")
    problem = check_task_arguments(SQS_SEND_MESSAGE, arguments)
    if problem:
        raise StatesError(RUNTIME, problem)
    if not isinstance(arguments.get("QueueUrl"), str) or "MessageBody" not in arguments:
        raise StatesError(RUNTIME, "sqs:sendMessage needs QueueUrl and MessageBody")
    if services.authorize is not None:
        services.authorize(SQS_SEND_MESSAGE, arguments)
    request = dict(arguments)
    body = request["MessageBody"]
    if not isinstance(body, str):
        request["MessageBody"] = json.dumps(body, separators=(",", ":"), ensure_ascii=False)
    response = services.send_message(request)
    return {key: value for key, value in response.items() if key != "ResponseMetadata"}
