"""Secret values kept out of the SDK's debug logs, for one Secrets Manager client.

botocore logs, at DEBUG, every request it makes with its body and every response body it
parses: with debug logging on, a secret created or read would be printed. The hooks here sit
on one client's own event system, so no logger, handler or level of the process changes:

- before the request is serialized, the secret leaves the parameters for the request's
  context, in a wrapper whose repr hides it (the logged request carries a placeholder), and
  comes back into the body when the request object is created, after the log line and before
  signing;
- before the response is parsed (and its body logged), the secret leaves the body and is put
  back into the parsed response.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from publication import publish

__all__ = ["PLACEHOLDER", "redact_secret_values"]

PLACEHOLDER = "<secret value>"
_FIELD = "SecretString"
_CONTEXT_KEY = "momento_eventbridge_constructs.secret_string"


@dataclass(frozen=True)
class _Hidden:
    """A value the request's context carries; botocore logs the context, so its repr hides it."""

    value: str = field(repr=False)


def redact_secret_values(events: Any) -> None:
    """Register the hooks on a Secrets Manager client's event system (``client.meta.events``).

    Args:
        events: the client's botocore event emitter.
    """
    events.register("before-parameter-build.secrets-manager", _hide_request_secret)
    events.register_first("request-created.secrets-manager", _restore_request_secret)
    events.register("before-parse.secrets-manager", _hide_response_secret)


def _hide_request_secret(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    if isinstance(params.get(_FIELD), str):
        context[_CONTEXT_KEY] = _Hidden(params[_FIELD])
        params[_FIELD] = PLACEHOLDER


def _restore_request_secret(request: Any, **_: Any) -> None:
    hidden = (getattr(request, "context", None) or {}).get(_CONTEXT_KEY)
    if not isinstance(hidden, _Hidden):
        return
    body = json.loads(request.data)
    body[_FIELD] = hidden.value
    request.data = json.dumps(body).encode("utf-8")


def _hide_response_secret(
    response_dict: dict[str, Any], customized_response_dict: dict[str, Any], **_: Any
) -> None:
    body = response_dict.get("body")
    if response_dict.get("status_code") != 200 or not body:
        return
    try:
        parsed = json.loads(body)
    except ValueError:
        return
    if isinstance(parsed, dict) and isinstance(parsed.get(_FIELD), str):
        customized_response_dict[_FIELD] = parsed.pop(_FIELD)
        response_dict["body"] = json.dumps(parsed).encode("utf-8")


publish()
