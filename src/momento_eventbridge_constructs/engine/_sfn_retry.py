"""Retriers and catchers of a Task state: parsing, matching order and backoff.

Rules (ASL spec https://states-language.net/spec.html "Retrying after error" and "Fallback
states"; https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):

* Retriers and catchers are scanned in array order; the first whose ``ErrorEquals`` matches
  the error is the one used. A retrier that has used up its ``MaxAttempts`` does not hand
  the error to a later retrier: the catchers are tried next.
* Each retrier counts its own attempts.
* The n-th retry (0-based) of a retrier waits ``IntervalSeconds * BackoffRate**n`` seconds,
  capped at ``MaxDelaySeconds``; ``JitterStrategy`` ``FULL`` waits a random time between zero
  and that delay. Defaults: IntervalSeconds 1, MaxAttempts 3, BackoffRate 2.0, no cap,
  JitterStrategy NONE. ``MaxAttempts`` 0 never retries.
* ``States.ALL`` must be alone in its ``ErrorEquals`` and in the last retrier/catcher.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._sfn_errors import ALL, DefinitionError, error_matches

__all__ = ["NO_VALUE", "Catcher", "Retrier", "find_handler", "parse_catchers", "parse_retriers"]

NO_VALUE: Any = object()
"""Marks a field that is absent (distinct from a JSON ``null``)."""

_RETRIER_FIELDS = frozenset(
    {
        "ErrorEquals",
        "IntervalSeconds",
        "MaxAttempts",
        "BackoffRate",
        "MaxDelaySeconds",
        "JitterStrategy",
        "Comment",
    }
)
_CATCHER_FIELDS = frozenset({"ErrorEquals", "Next", "Output", "Assign", "Comment"})


@dataclass(frozen=True)
class Retrier:
    """One element of a ``Retry`` array."""

    error_equals: tuple[str, ...]
    interval_seconds: int = 1
    max_attempts: int = 3
    backoff_rate: float = 2.0
    max_delay_seconds: int | None = None
    full_jitter: bool = False

    def delay(self, retries_done: int, rng: random.Random) -> float:
        """Seconds to wait before this retrier's next attempt."""
        delay = self.interval_seconds * self.backoff_rate**retries_done
        if self.max_delay_seconds is not None:
            delay = min(delay, float(self.max_delay_seconds))
        return rng.uniform(0.0, delay) if self.full_jitter else delay


@dataclass(frozen=True)
class Catcher:
    """One element of a ``Catch`` array (JSONata form: ``Output`` and ``Assign``)."""

    error_equals: tuple[str, ...]
    next: str
    output: Any = NO_VALUE
    assign: Mapping[str, Any] | None = None


def find_handler(handlers: Sequence[Retrier | Catcher], error: str) -> int | None:
    """Index of the first retrier or catcher that handles ``error``."""
    for index, handler in enumerate(handlers):
        if error_matches(error, handler.error_equals):
            return index
    return None


def parse_retriers(state: str, raw: Any) -> tuple[Retrier, ...]:
    """The ``Retry`` field of ``state``; raises :class:`DefinitionError` when invalid."""
    items = _handler_list(state, "Retry", raw, _RETRIER_FIELDS)
    return tuple(_parse_retrier(state, f"Retry[{i}]", item) for i, item in enumerate(items))


def parse_catchers(state: str, raw: Any) -> tuple[Catcher, ...]:
    """The ``Catch`` field of ``state``; raises :class:`DefinitionError` when invalid."""
    items = _handler_list(state, "Catch", raw, _CATCHER_FIELDS)
    catchers = []
    for index, item in enumerate(items):
        where = f"Catch[{index}]"
        target = item.get("Next")
        if not isinstance(target, str) or not target:
            raise DefinitionError(state, f"{where}.Next", "must name a state")
        assign = item.get("Assign")
        if assign is not None and not isinstance(assign, Mapping):
            raise DefinitionError(state, f"{where}.Assign", "must be an object")
        error_equals = tuple(item["ErrorEquals"])
        catchers.append(Catcher(error_equals, target, item.get("Output", NO_VALUE), assign))
    return tuple(catchers)


def _handler_list(
    state: str, field: str, raw: Any, allowed: frozenset[str]
) -> list[Mapping[str, Any]]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise DefinitionError(state, field, "must be an array")
    for index, item in enumerate(raw):
        where = f"{field}[{index}]"
        if not isinstance(item, Mapping):
            raise DefinitionError(state, where, "must be an object")
        for name in item:
            if name not in allowed:
                raise DefinitionError(state, f"{where}.{name}", "is not supported")
        _check_error_equals(state, where, item.get("ErrorEquals"), last=index == len(raw) - 1)
    return raw


def _check_error_equals(state: str, where: str, names: Any, *, last: bool) -> None:
    field = f"{where}.ErrorEquals"
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        raise DefinitionError(state, field, "must be a non-empty array of error names")
    if ALL in names and (len(names) != 1 or not last):
        raise DefinitionError(state, field, f"{ALL} must be alone and in the last element")


def _parse_retrier(state: str, where: str, item: Mapping[str, Any]) -> Retrier:
    interval = _integer(state, f"{where}.IntervalSeconds", item.get("IntervalSeconds", 1), 1)
    attempts = _integer(state, f"{where}.MaxAttempts", item.get("MaxAttempts", 3), 0)
    rate = item.get("BackoffRate", 2.0)
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or rate < 1.0:
        raise DefinitionError(state, f"{where}.BackoffRate", "must be a number >= 1.0")
    max_delay = item.get("MaxDelaySeconds")
    if max_delay is not None:
        max_delay = _integer(state, f"{where}.MaxDelaySeconds", max_delay, 1)
    jitter = item.get("JitterStrategy", "NONE")
    if jitter not in ("FULL", "NONE"):
        raise DefinitionError(state, f"{where}.JitterStrategy", "must be FULL or NONE")
    names = tuple(item["ErrorEquals"])
    return Retrier(names, interval, attempts, float(rate), max_delay, jitter == "FULL")


def _integer(state: str, field: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise DefinitionError(state, field, f"must be an integer >= {minimum}")
    return int(value)
