"""Error names of the Amazon States Language and how Retry/Catch match them.

Sources: the ASL spec (https://states-language.net/spec.html, "Errors") and the Step Functions
guide (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):

* ``States.Runtime`` is never retried or caught: it always fails the execution.
* ``States.ALL`` matches every other error name except ``States.DataLimitExceeded``, which
  only a retrier or catcher naming it handles.
* ``States.TaskFailed`` acts as a wildcard for every error name except ``States.Timeout``
  (and the two above).
* Any other name matches only itself.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = [
    "ALL",
    "DATA_LIMIT_EXCEEDED",
    "HTTP_SOCKET",
    "NO_CHOICE_MATCHED",
    "PERMISSIONS",
    "QUERY_EVALUATION",
    "RUNTIME",
    "TASK_FAILED",
    "TIMEOUT",
    "DefinitionError",
    "StatesError",
    "error_matches",
    "http_status_error",
]

ALL = "States.ALL"
TASK_FAILED = "States.TaskFailed"
TIMEOUT = "States.Timeout"
RUNTIME = "States.Runtime"
DATA_LIMIT_EXCEEDED = "States.DataLimitExceeded"
QUERY_EVALUATION = "States.QueryEvaluationError"
NO_CHOICE_MATCHED = "States.NoChoiceMatched"
# "A Task state failed because it had insufficient privileges to execute the specified code"
# (ASL spec); what Step Functions raises for a denied HTTP task or SQS call is not documented.
PERMISSIONS = "States.Permissions"
# "The HTTP task timed out after 60 seconds" (concepts-error-handling).
HTTP_SOCKET = "States.Http.Socket"

_NOT_WILDCARDED = frozenset({RUNTIME, DATA_LIMIT_EXCEEDED})


def http_status_error(status: int) -> str:
    """The error name of an HTTP task answered with a non-2xx status (call-https-apis)."""
    return f"States.Http.StatusCode.{status}"


class StatesError(Exception):
    """A state failed with an ASL error name and a cause.

    Injected task callables may raise it to fail their task with a chosen error name; any
    other exception they raise fails the task with ``States.TaskFailed``.
    """

    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(f"{error}: {cause}" if cause else error)
        self.error = error
        self.cause = cause


class DefinitionError(ValueError):
    """A state machine definition that is invalid or outside the emulated subset.

    The message names the state (or the top level) and the field.
    """

    def __init__(self, where: str, field: str, problem: str) -> None:
        super().__init__(f"{where}: field {field!r}: {problem}")
        self.where = where
        self.field = field


def error_matches(error: str, error_equals: Sequence[str]) -> bool:
    """Whether a retrier or catcher whose ``ErrorEquals`` is given handles ``error``."""
    if error == RUNTIME:
        return False
    if error in error_equals:
        return True
    if error in _NOT_WILDCARDED:
        return False
    return ALL in error_equals or (TASK_FAILED in error_equals and error != TIMEOUT)
