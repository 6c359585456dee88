"""One call of an API destination: the request a pipe renders for a record, and its answer.

Errors are sorted the way EventBridge Pipes sorts them
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-error-troubleshooting.html):
a connection failure or a timeout is a *pipe internal error* (:class:`InternalError`), an
answer of the target outside 2xx is a *customer invocation error* (:class:`InvocationError`).
"""

from __future__ import annotations

import http.client
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable
from urllib.parse import quote, urlsplit, urlunsplit

from publication import publish

from .._aws_names import DEFAULT_CONTENT_TYPE
from ..engine.errors import ReasonedError
from ..engine.templates import PipeContext, render_input_template, render_parameter
from .specs import PipeSpec

__all__ = [
    "DEFAULT_CONTENT_TYPE",
    "BatchTarget",
    "HttpTarget",
    "InternalError",
    "InvocationError",
    "Target",
    "TargetRequest",
]

# Headers API destinations add to every call [doc: eb-api-destinations.html].
_USER_AGENT = "Amazon/EventBridge/ApiDestinations"


class InternalError(Exception):
    """The target could not be reached: connection refused or reset, or no answer in time."""


class InvocationError(ReasonedError):
    """The target answered with a status outside 2xx; ``reason`` is what it answered (or why
    its execution failed)."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(f"HTTP {status}", detail)
        self.status = status


@dataclass(frozen=True)
class TargetRequest:
    """A rendered call: what the pipe sends for one record."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: str


@runtime_checkable
class BatchTarget(Protocol):
    """A target that takes a whole batch in one call (a state machine), unlike an API
    destination (https://docs.aws.amazon.com/eventbridge/latest/userguide/
    eb-pipes-batching-concurrency.html)."""

    def split(self, batch: Sequence[Mapping[str, Any]]) -> list[list[Mapping[str, Any]]]: ...

    def render_batch(
        self, pipe: PipeSpec, batch: Sequence[Mapping[str, Any]], context: PipeContext
    ) -> TargetRequest: ...


class Target(Protocol):
    """What a pipe calls for a record: render the call, then send it."""

    def render(
        self, pipe: PipeSpec, record: Mapping[str, Any], context: PipeContext
    ) -> TargetRequest: ...

    def send(self, request: TargetRequest) -> int: ...


class HttpTarget:
    """Renders and sends the calls of the pipes to the Momento they talk to.

    Args:
        base_url: scheme and host every call goes to (the local or the real Momento); the
            path and query come from the pipe's endpoint and parameters.
        timeout: seconds to wait for an answer (API destinations wait 5 s).
    """

    def __init__(self, base_url: str, timeout: float) -> None:
        self._base = urlsplit(base_url)
        self.timeout = timeout

    def render(
        self, pipe: PipeSpec, record: Mapping[str, Any], context: PipeContext
    ) -> TargetRequest:
        """The call for ``record``.

        Raises:
            TemplateError: when the template or a parameter reads a path the record lacks.
        """
        body = render_input_template(pipe.input_template, record, context)
        headers = {"Content-Type": DEFAULT_CONTENT_TYPE, "User-Agent": _USER_AGENT}
        for name, value in pipe.header_parameters.items():
            for existing in [h for h in headers if h.lower() == name.lower()]:
                del headers[existing]
            headers[name] = render_parameter(value, record)
        if pipe.destination.auth_header:
            # Connection parameters win over pipe parameters.
            headers[pipe.destination.auth_header] = pipe.destination.auth_value or ""
        method = pipe.destination.http_method
        return TargetRequest(method, self._url(pipe, record), headers, body)

    def _url(self, pipe: PipeSpec, record: Mapping[str, Any]) -> str:
        parts = urlsplit(pipe.endpoint_url())
        query = [parts.query] if parts.query else []
        for name, value in pipe.query_parameters.items():
            rendered = render_parameter(value, record)
            query.append(f"{quote(name, safe='')}={quote(rendered, safe='')}")
        return urlunsplit((self._base.scheme, self._base.netloc, parts.path, "&".join(query), ""))

    def send(self, request: TargetRequest) -> int:
        """Send ``request``; return the 2xx status.

        Raises:
            InvocationError: the target answered with another status.
            InternalError: the target could not be reached or did not answer in time.
        """
        data = request.body.encode("utf-8") if request.method not in ("GET", "HEAD") else None
        call = urllib.request.Request(
            request.url, data=data, method=request.method, headers=dict(request.headers)
        )
        try:
            with urllib.request.urlopen(call, timeout=self.timeout) as response:
                response.read()
                return int(response.status)
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", errors="replace")[:200]
            raise InvocationError(error.code, detail) from error
        except (OSError, http.client.HTTPException) as error:  # URLError, timeouts, resets
            raise InternalError(f"request failed: {error}") from error


publish()
