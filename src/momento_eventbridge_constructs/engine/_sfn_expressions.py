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

Each expression is parsed once, on first use, by the :class:`Expressions` of its definition,
and the parsed form is shared by every evaluation after it (threads included); an evaluation
works on its own shallow copy with its own variable frame, so concurrent evaluations of one
expression never see each other's variables.

Numbers: JSONata has one number type, so an integral float (``100.0``) comes back as ``100``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from types import MappingProxyType
from typing import Any

from jsonata import Jsonata
from jsonata.utils import Utils

from ._sfn_errors import QUERY_EVALUATION, StatesError

__all__ = ["Expressions", "is_expression"]

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


# jsonata-python looks up an entry and an exit callback by these names for every node it
# evaluates, through every frame up to the root; found here, in the frame of the bindings,
# each look-up ends there (None: no callback, what it finds when none is bound anywhere).
_NO_CALLBACKS: Mapping[str, None] = MappingProxyType(
    {"__evaluate_entry": None, "__evaluate_exit": None}
)


class Expressions:
    """The JSONata expressions of one definition, each parsed once and kept as long as this
    object (the interpreter of that definition) lives."""

    def __init__(self) -> None:
        self._parsed: dict[str, _Parsed] = {}
        self._lock = threading.Lock()

    def evaluate_template(
        self,
        value: Any,
        bindings: Mapping[str, Any],
        *,
        field: str,
        now: Callable[[], datetime],
    ) -> Any:
        """Evaluate every expression in ``value`` (a field of a state) and return plain JSON."""
        if is_expression(value):
            return self._evaluate(value[2:-2], bindings, field, now)
        if isinstance(value, Mapping):
            return {
                key: self.evaluate_template(item, bindings, field=f"{field}.{key}", now=now)
                for key, item in value.items()
            }
        if isinstance(value, list):
            return [
                self.evaluate_template(item, bindings, field=f"{field}[{index}]", now=now)
                for index, item in enumerate(value)
            ]
        return value

    def _evaluate(
        self, expression: str, bindings: Mapping[str, Any], field: str, now: Callable[[], datetime]
    ) -> Any:
        try:
            result = self._parse(expression).evaluate(bindings, now())
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

    def _parse(self, expression: str) -> _Parsed:
        parsed = self._parsed.get(expression)
        if parsed is None:
            with self._lock:
                parsed = self._parsed.get(expression)
                if parsed is None:
                    # A syntax error raises here and is not kept: each evaluation reports it.
                    parsed = self._parsed[expression] = _Parsed(expression)
        return parsed


class _Parsed:
    """One parsed expression with the functions Step Functions adds that do not read the
    clock; :meth:`evaluate` is safe to call from several threads at once."""

    def __init__(self, expression: str) -> None:
        compiled = Jsonata(expression)
        compiled.set_output_convert_nulls(False)
        compiled.register_lambda("eval", _no_eval)
        compiled.register_lambda("parse", _parse)
        compiled.register_lambda("uuid", lambda: str(uuid.uuid4()))
        compiled.register_lambda("hash", _hash)
        compiled.register_lambda("toMillis", _to_millis)
        self._compiled = compiled
        # jsonata-python points an instance's environment at the frame being evaluated while
        # the instance evaluates, so each evaluation starts from this frame, kept apart.
        self._environment = compiled.environment

    def evaluate(self, bindings: Mapping[str, Any], moment: datetime) -> Any:
        evaluation = copy.copy(self._compiled)
        evaluation.environment = self._environment
        # Variables shadow the functions, as a frame's bindings shadow its parent's.
        frame = {**_clock_functions(moment), **_frame(bindings), **_NO_CALLBACKS}
        return evaluation.evaluate(None, frame)


def _frame(bindings: Mapping[str, Any]) -> dict[str, Any]:
    # jsonata-python treats a variable bound to None as undefined; JSON null is its NULL_VALUE.
    return {name: Utils.NULL_VALUE if value is None else value for name, value in bindings.items()}


def _clock_functions(moment: datetime) -> dict[str, Any]:
    """``$millis`` and ``$now``: the moment the evaluation started."""
    millis = int(moment.timestamp() * 1000)
    stamp = moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")
    return {
        "millis": Jsonata.JLambda(lambda: millis),
        "now": Jsonata.JLambda(lambda: stamp.replace("+00:00", "Z")),
    }


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
