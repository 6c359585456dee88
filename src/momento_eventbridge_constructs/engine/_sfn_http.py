"""The HTTP task (``arn:aws:states:::http:invoke``): request building and result shape.

Source: https://docs.aws.amazon.com/step-functions/latest/dg/call-https-apis.html

* Arguments: ``ApiEndpoint``, ``Method`` (GET, POST, PUT, DELETE, PATCH, OPTIONS, HEAD) and
  ``Authentication.ConnectionArn`` are required; ``Headers``, ``QueryParameters``,
  ``RequestBody`` and ``Transform`` (``RequestBodyEncoding`` NONE | URL_ENCODED,
  ``RequestEncodingOptions.ArrayFormat`` INDICES | REPEAT | COMMAS | BRACKETS) are optional.
  ``InvocationConfig`` (private APIs) is not emulated.
* The connection's authorization (e.g. ``Authorization: <API key>``) is added to the request;
  on a header set both by the connection and the task, the connection wins here
  (unverified: the page's "merging" section is the source to check).
* Result: ``{"Headers", "ResponseBody", "StatusCode", "StatusText"}``; a JSON response body
  is parsed. A status outside 2xx fails the task with ``States.Http.StatusCode.<code>``.
* The request times out after 60 s (``States.Http.Socket``); a shorter ``TimeoutSeconds``
  of the state fires first (``States.Timeout``).

Unverified details, chosen here and kept consistent: response ``Headers`` map each name to a
list of values; an empty body gives ``"ResponseBody": ""``; an object ``RequestBody`` is sent
as compact JSON with ``Content-Type: application/json`` unless the task sets one, a string
body as it is with no Content-Type added; query values are percent-encoded (``#`` -> ``%23``,
space -> ``%20``); the failure ``Cause`` is a JSON object with the status and body; a failed
connection (refused, reset) is ``States.Http.Socket`` like a timeout.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from ._sfn_errors import RUNTIME, StatesError, http_status_error

__all__ = [
    "HTTP_TIMEOUT_SECONDS",
    "HttpRequest",
    "HttpResponse",
    "build_request",
    "check_arguments",
    "http_result",
    "urllib_transport",
]

HTTP_TIMEOUT_SECONDS = 60.0
_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"})
_FIELDS = frozenset(
    {
        "ApiEndpoint",
        "Method",
        "Authentication",
        "Headers",
        "QueryParameters",
        "RequestBody",
        "Transform",
    }
)
_ARRAY_FORMATS = frozenset({"INDICES", "REPEAT", "COMMAS", "BRACKETS"})


@dataclass(frozen=True)
class HttpRequest:
    """One HTTP call of an HTTP task, as handed to the injected transport."""

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | None
    connection_arn: str
    timeout: float


@dataclass(frozen=True)
class HttpResponse:
    """What the transport got back. ``headers`` may repeat a name."""

    status: int
    reason: str = ""
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""


def check_arguments(arguments: Mapping[str, Any]) -> str | None:
    """The first problem with the (static part of the) arguments of an HTTP task, if any."""
    for name in arguments:
        if name not in _FIELDS:
            return f"Arguments.{name} is not supported by the local HTTP task"
    for name in ("ApiEndpoint", "Method", "Authentication"):
        if name not in arguments:
            return f"Arguments.{name} is required"
    return None


def build_request(
    arguments: Any, connection_headers: Mapping[str, str], timeout: float
) -> HttpRequest:
    """The request an HTTP task with these (evaluated) arguments sends."""
    if not isinstance(arguments, Mapping) or (problem := check_arguments(arguments)):
        raise StatesError(RUNTIME, problem or "HTTP task Arguments must be an object")
    method = _string(arguments, "Method").upper()
    if method not in _METHODS:
        raise StatesError(RUNTIME, f"HTTP task Method {method!r} is not one of {sorted(_METHODS)}")
    authentication = arguments["Authentication"]
    if not isinstance(authentication, Mapping):
        raise StatesError(RUNTIME, "HTTP task Authentication must be an object")
    connection_arn = _string(authentication, "ConnectionArn")
    array_format, url_encoded = _transform(arguments.get("Transform"))
    headers = _string_map(arguments.get("Headers"), "Headers")
    body = _body(arguments.get("RequestBody"), headers, url_encoded, array_format)
    for name, value in connection_headers.items():
        _set_header(headers, name, value)
    url = _with_query(_string(arguments, "ApiEndpoint"), arguments.get("QueryParameters"))
    return HttpRequest(method, url, headers, body, connection_arn, timeout)


def http_result(response: HttpResponse) -> dict[str, Any]:
    """The task result for a response; raises ``States.Http.StatusCode.<code>`` outside 2xx."""
    headers: dict[str, list[str]] = {}
    for name, value in response.headers:
        headers.setdefault(name, []).append(value)
    result = {
        "Headers": headers,
        "ResponseBody": _response_body(response),
        "StatusCode": response.status,
        "StatusText": response.reason,
    }
    if not 200 <= response.status < 300:
        cause = {key: result[key] for key in ("StatusCode", "StatusText", "ResponseBody")}
        raise StatesError(http_status_error(response.status), json.dumps(cause))
    return result


def urllib_transport(request: HttpRequest) -> HttpResponse:
    """A transport over the standard library (``urllib``) for real or local servers.

    Raises :class:`TimeoutError` when the request times out and :class:`OSError` when no
    answer arrives; every HTTP status, 4xx/5xx included, is returned as a response.
    """
    prepared = urllib.request.Request(
        request.url, data=request.body, method=request.method, headers=dict(request.headers)
    )
    try:
        with urllib.request.urlopen(prepared, timeout=request.timeout) as answer:
            return HttpResponse(
                int(answer.status), str(answer.reason), list(answer.headers.items()), answer.read()
            )
    except urllib.error.HTTPError as error:
        return HttpResponse(
            error.code, str(error.reason), list(error.headers.items()), error.read()
        )
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise TimeoutError(str(error.reason)) from error
        raise


def _response_body(response: HttpResponse) -> Any:
    text = response.body.decode("utf-8", errors="replace")
    content_type = next(
        (value for name, value in response.headers if name.lower() == "content-type"), ""
    )
    if text and "json" in content_type.lower():
        try:
            return json.loads(text)
        except ValueError:
            return text
    return text


def _transform(raw: Any) -> tuple[str, bool]:
    if raw is None:
        return "INDICES", False
    if not isinstance(raw, Mapping):
        raise StatesError(RUNTIME, "HTTP task Transform must be an object")
    encoding = raw.get("RequestBodyEncoding", "NONE")
    options = raw.get("RequestEncodingOptions") or {}
    array_format = options.get("ArrayFormat", "INDICES") if isinstance(options, Mapping) else None
    if encoding not in ("NONE", "URL_ENCODED") or array_format not in _ARRAY_FORMATS:
        raise StatesError(RUNTIME, f"HTTP task Transform {raw!r} is not valid")
    return str(array_format), encoding == "URL_ENCODED"


def _body(raw: Any, headers: dict[str, str], url_encoded: bool, array_format: str) -> bytes | None:
    if raw is None:
        return None
    if url_encoded:
        if not isinstance(raw, Mapping):
            raise StatesError(RUNTIME, "a URL_ENCODED RequestBody must be an object")
        _set_default_header(headers, "Content-Type", "application/x-www-form-urlencoded")
        return _form(raw, array_format).encode("utf-8")
    if isinstance(raw, str):
        return raw.encode("utf-8")
    _set_default_header(headers, "Content-Type", "application/json")
    return json.dumps(raw, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _form(values: Mapping[str, Any], array_format: str) -> str:
    pairs: list[tuple[str, str]] = []
    for name, value in values.items():
        if isinstance(value, list):
            pairs.extend(_array_pairs(name, [_scalar(item) for item in value], array_format))
        else:
            pairs.append((name, _scalar(value)))
    return "&".join(f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in pairs)


def _array_pairs(name: str, items: list[str], array_format: str) -> list[tuple[str, str]]:
    if array_format == "COMMAS":
        return [(name, ",".join(items))]
    if array_format == "REPEAT":
        return [(name, item) for item in items]
    if array_format == "BRACKETS":
        return [(f"{name}[]", item) for item in items]
    return [(f"{name}[{index}]", item) for index, item in enumerate(items)]


def _with_query(endpoint: str, raw: Any) -> str:
    parameters = _string_map(raw, "QueryParameters")
    if not parameters:
        return endpoint
    query = "&".join(
        f"{quote(name, safe='')}={quote(value, safe='')}" for name, value in parameters.items()
    )
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def _string_map(raw: Any, name: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        raise StatesError(RUNTIME, f"HTTP task {name} must be an object")
    return {str(key): _scalar(value) for key, value in raw.items()}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int, float)):
        return str(value)
    raise StatesError(RUNTIME, f"the local HTTP task cannot encode {value!r} as a parameter")


def _string(mapping: Mapping[str, Any], name: str) -> str:
    value = mapping.get(name)
    if not isinstance(value, str) or not value:
        raise StatesError(RUNTIME, f"HTTP task {name} must be a non-empty string")
    return value


def _set_header(headers: dict[str, str], name: str, value: str) -> None:
    for existing in [key for key in headers if key.lower() == name.lower()]:
        del headers[existing]
    headers[name] = value


def _set_default_header(headers: dict[str, str], name: str, value: str) -> None:
    if not any(key.lower() == name.lower() for key in headers):
        headers[name] = value
