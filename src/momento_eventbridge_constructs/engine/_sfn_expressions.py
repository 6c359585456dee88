"""JSONata in state fields, evaluated with the pure-Python ``jsonata-python`` package.

Rules (https://docs.aws.amazon.com/step-functions/latest/dg/transforming-data.html):

* A string value that starts with ``{%`` and ends with ``%}`` is a JSONata expression; every
  other value is a literal. Objects and arrays are walked, so expressions may sit at any depth.
* Expressions see ``$states`` (``input``, ``result``, ``errorOutput``, ``context``, as far as
  the field allows) and the workflow variables (``$name``).
* ``$eval`` is not available; Step Functions adds ``$parse``, ``$uuid`` and ``$hash`` (the
  other added functions, ``$partition``, ``$range`` and ``$random`` with a seed, are not
  emulated).
* An expression that fails, or whose value is undefined (JSONata's "nothing", e.g. a path
  that does not exist), fails the state with ``States.QueryEvaluationError``. For a nested
  value inside an object or array this is what the local interpreter does; whether AWS drops
  the key instead is unverified.
* ``$now()`` and ``$millis()`` read the interpreter's injected clock.

Numbers: JSONata has one number type, so an integral float (``100.0``) comes back as ``100``.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from jsonata import Jsonata
from jsonata.utils import Utils

from ._sfn_errors import QUERY_EVALUATION, StatesError

__all__ = ["evaluate_template", "is_expression"]

_HASH_ALGORITHMS: Mapping[str, str] = {
    "MD5": "md5",
    "SHA-1": "sha1",
    "SHA-256": "sha256",
    "SHA-384": "sha384",
    "SHA-512": "sha512",
}


def is_expression(value: Any) -> bool:
    """Whether a field value is a JSONata expression (``"{% ... %}"``)."""
    return isinstance(value, str) and len(value) >= 4 and value[:2] == "{%" and value[-2:] == "%}"


def evaluate_template(
    value: Any,
    bindings: Mapping[str, Any],
    *,
    field: str,
    now: Callable[[], datetime],
) -> Any:
    """Evaluate every expression in ``value`` (a field of a state) and return plain JSON."""
    if is_expression(value):
        return _evaluate(value[2:-2], bindings, field, now)
    if isinstance(value, Mapping):
        return {
            key: evaluate_template(item, bindings, field=f"{field}.{key}", now=now)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [
            evaluate_template(item, bindings, field=f"{field}[{index}]", now=now)
            for index, item in enumerate(value)
        ]
    return value


def _evaluate(
    expression: str, bindings: Mapping[str, Any], field: str, now: Callable[[], datetime]
) -> Any:
    try:
        compiled = Jsonata(expression)
        compiled.set_output_convert_nulls(False)
        _bind_functions(compiled, now())
        result = compiled.evaluate(None, _frame(bindings))
    except StatesError:
        raise
    except Exception as error:  # jsonata-python raises several exception types
        raise StatesError(
            QUERY_EVALUATION, f"field {field}: expression {{%{expression}%}} failed: {error}"
        ) from error
    if result is None:
        raise StatesError(
            QUERY_EVALUATION,
            f"field {field}: expression {{%{expression}%}} returned nothing (undefined)",
        )
    return _plain(result)


def _frame(bindings: Mapping[str, Any]) -> dict[str, Any]:
    # jsonata-python treats a variable bound to None as undefined; JSON null is its NULL_VALUE.
    return {name: Utils.NULL_VALUE if value is None else value for name, value in bindings.items()}


def _bind_functions(compiled: Jsonata, moment: datetime) -> None:
    millis = int(moment.timestamp() * 1000)
    stamp = moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    compiled.register_lambda("millis", lambda: millis)
    compiled.register_lambda("now", lambda: stamp.replace("+00:00", "Z"))
    compiled.register_lambda("eval", _no_eval)
    compiled.register_lambda("parse", _parse)
    compiled.register_lambda("uuid", lambda: str(uuid.uuid4()))
    compiled.register_lambda("hash", _hash)
    compiled.register_lambda("toMillis", _to_millis)


def _to_millis(timestamp: Any, picture: Any = None) -> Any:
    """``$toMillis`` of an ISO 8601 timestamp such as ``$states.context.Execution.StartTime``.

    jsonata-python parses with ``datetime.fromisoformat``, which before Python 3.11 rejects the
    ``Z`` suffix Step Functions writes; a picture string is not supported locally.
    """
    if timestamp is None:
        return None
    if picture is not None or not isinstance(timestamp, str):
        raise StatesError(QUERY_EVALUATION, "$toMillis: only an ISO 8601 string is supported")
    text = timestamp[:-1] + "+00:00" if timestamp.endswith("Z") else timestamp
    try:
        return int(datetime.fromisoformat(text).timestamp() * 1000)
    except ValueError as error:
        raise StatesError(QUERY_EVALUATION, f"$toMillis: {error}") from error


def _no_eval(*_: Any) -> Any:
    raise StatesError(QUERY_EVALUATION, "$eval is not available in Step Functions; use $parse")


def _parse(text: Any) -> Any:
    if not isinstance(text, str):
        raise StatesError(QUERY_EVALUATION, "$parse expects a string")
    return json.loads(text)


def _hash(value: Any, algorithm: Any) -> str:
    name = _HASH_ALGORITHMS.get(str(algorithm))
    if name is None or not isinstance(value, str):
        raise StatesError(QUERY_EVALUATION, f"$hash: unsupported input or algorithm {algorithm}")
    return hashlib.new(name, value.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    """JSONata's result as plain JSON types (lists, dicts, None, int for integral floats)."""
    if value is Utils.NULL_VALUE:
        return None
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value
