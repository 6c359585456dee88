"""EventBridge event pattern matching, as used by EventBridge Pipes filter criteria.

No maintained pure-Python implementation of the pattern language is published on PyPI (the
``event-ruler`` wheel is a 2023 binary build of a Go port), so this module implements the
documented operators itself:

* exact values (strings, numbers compared numerically, ``true``/``false``, ``null``),
* ``prefix`` and ``suffix`` (optionally with ``equals-ignore-case``),
* ``anything-but`` (a value, a list of values, or a ``prefix``/``suffix``/``wildcard``/
  ``equals-ignore-case`` matcher),
* ``numeric`` (one or two comparisons: ``=``, ``<``, ``<=``, ``>``, ``>=``),
* ``exists`` (leaf nodes only), ``equals-ignore-case``, ``wildcard``, ``cidr``,
* ``$or`` at any object level.

Semantics follow the EventBridge documentation: every key of a pattern must match; a leaf is
a list of alternatives; an event array matches when any element matches; numbers only match
JSON numbers (DynamoDB ``N`` values are strings in stream records, so ``numeric`` never
matches them).
"""

from __future__ import annotations

import ipaddress
import json
import math
import operator
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["PatternError", "compile_pattern", "matches", "matches_any"]

_MISSING = object()
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "=": operator.eq,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}
_NUMERIC_OPERATORS = ("=", "<", "<=", ">", ">=")
_OPERATOR_KEYS = frozenset(
    {
        "prefix",
        "suffix",
        "anything-but",
        "numeric",
        "exists",
        "equals-ignore-case",
        "wildcard",
        "cidr",
    }
)


class PatternError(ValueError):
    """An event pattern that EventBridge would reject."""


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _wildcard_regex(expression: str) -> re.Pattern[str]:
    """Translate a wildcard expression (``*`` = any run of characters, ``\\*`` a literal star)."""
    parts: list[str] = []
    index = 0
    while index < len(expression):
        char = expression[index]
        if char == "\\" and index + 1 < len(expression) and expression[index + 1] in "*\\":
            parts.append(re.escape(expression[index + 1]))
            index += 2
            continue
        if char == "*":
            if expression[index + 1 : index + 2] == "*":
                raise PatternError(f"wildcard {expression!r} has consecutive '*' characters")
            parts.append(".*")
        else:
            parts.append(re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def _string_operand(name: str, operand: object) -> str:
    if not isinstance(operand, str):
        raise PatternError(f"{name} needs a string, got {operand!r}")
    return operand


def _compile_text_matcher(name: str, operand: object) -> Any:
    """Compile ``prefix``/``suffix`` operands, which may wrap ``equals-ignore-case``."""
    ignore_case = False
    if isinstance(operand, Mapping):
        if set(operand) != {"equals-ignore-case"}:
            raise PatternError(f"{name} only accepts a string or {{'equals-ignore-case': ...}}")
        operand = operand["equals-ignore-case"]
        ignore_case = True
    text = _string_operand(name, operand)
    if ignore_case:
        folded = text.casefold()
        if name == "prefix":
            return lambda v: isinstance(v, str) and v.casefold().startswith(folded)
        return lambda v: isinstance(v, str) and v.casefold().endswith(folded)
    if name == "prefix":
        return lambda v: isinstance(v, str) and v.startswith(text)
    return lambda v: isinstance(v, str) and v.endswith(text)


def _compile_numeric(operand: object) -> Any:
    if not isinstance(operand, list) or len(operand) not in (2, 4):
        raise PatternError(f"numeric needs one or two [operator, number] pairs, got {operand!r}")
    checks: list[tuple[str, float]] = []
    for position in range(0, len(operand), 2):
        operator, number = operand[position], operand[position + 1]
        if operator not in _NUMERIC_OPERATORS:
            raise PatternError(f"unknown numeric operator {operator!r}")
        if not _is_number(number) or not math.isfinite(float(number)):
            raise PatternError(f"numeric operand must be a finite number, got {number!r}")
        checks.append((str(operator), float(number)))
    if len(checks) == 2 and ("=" in (checks[0][0], checks[1][0])):
        raise PatternError("numeric '=' cannot be combined with another comparison")

    def check(value: object) -> bool:
        if not _is_number(value):
            return False
        number = float(value)  # type: ignore[arg-type]
        return all(_COMPARE[operator](number, bound) for operator, bound in checks)

    return check


def _compile_cidr(operand: object) -> Any:
    text = _string_operand("cidr", operand)
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as error:
        raise PatternError(f"invalid cidr {text!r}") from error

    def check(value: object) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return check


def _exact(expected: object) -> Any:
    if _is_number(expected):
        target = float(expected)  # type: ignore[arg-type]
        return lambda v: _is_number(v) and float(v) == target
    if expected is None:
        return lambda v: v is None
    if isinstance(expected, bool):
        return lambda v: isinstance(v, bool) and v is expected
    return lambda v: isinstance(v, str) and v == expected


def _compile_anything_but(operand: object) -> Any:
    if isinstance(operand, Mapping):
        if len(operand) != 1:
            raise PatternError("anything-but accepts exactly one nested matcher")
        ((name, inner),) = operand.items()
        positive: Callable[[object], bool]
        if name in ("prefix", "suffix"):
            positive = _compile_text_matcher(name, inner)
        elif name == "wildcard":
            expressions = inner if isinstance(inner, list) else [inner]
            regexes = [_wildcard_regex(_string_operand("wildcard", w)) for w in expressions]

            def positive(v: object) -> bool:
                return isinstance(v, str) and any(r.fullmatch(v) for r in regexes)

        elif name == "equals-ignore-case":
            values = inner if isinstance(inner, list) else [inner]
            folded = {_string_operand("equals-ignore-case", x).casefold() for x in values}

            def positive(v: object) -> bool:
                return isinstance(v, str) and v.casefold() in folded

        else:
            raise PatternError(f"anything-but does not support {name!r}")
        return lambda v: isinstance(v, str) and not positive(v)
    values = operand if isinstance(operand, list) else [operand]
    for value in values:
        if isinstance(value, (Mapping, list)) or value is None or isinstance(value, bool):
            raise PatternError(f"anything-but values must be strings or numbers, got {value!r}")
    exacts = [_exact(value) for value in values]
    numeric = any(_is_number(value) for value in values)

    def check(value: object) -> bool:
        if numeric and not _is_number(value):
            return False
        if not numeric and not isinstance(value, str):
            return False
        return not any(exact(value) for exact in exacts)

    return check


class _Leaf:
    """A compiled list of alternatives for one field."""

    __slots__ = ("exists", "matchers")

    def __init__(self, alternatives: object, where: str) -> None:
        if not isinstance(alternatives, list):
            raise PatternError(f"{where}: a pattern leaf must be a list, got {alternatives!r}")
        if not alternatives:
            raise PatternError(f"{where}: a pattern leaf must not be empty")
        self.matchers: list[Any] = []
        self.exists: bool | None = None
        for alternative in alternatives:
            if isinstance(alternative, Mapping):
                self._add_operator(alternative, where)
            elif isinstance(alternative, list):
                raise PatternError(f"{where}: nested lists are not allowed")
            else:
                self.matchers.append(_exact(alternative))

    def _add_operator(self, operator: Mapping[str, Any], where: str) -> None:
        if len(operator) != 1:
            raise PatternError(f"{where}: one operator per object, got {dict(operator)!r}")
        ((name, operand),) = operator.items()
        if name not in _OPERATOR_KEYS:
            raise PatternError(f"{where}: unknown operator {name!r}")
        if name in ("prefix", "suffix"):
            self.matchers.append(_compile_text_matcher(name, operand))
        elif name == "anything-but":
            self.matchers.append(_compile_anything_but(operand))
        elif name == "numeric":
            self.matchers.append(_compile_numeric(operand))
        elif name == "exists":
            if not isinstance(operand, bool):
                raise PatternError(f"{where}: exists needs true or false")
            self.exists = operand
        elif name == "equals-ignore-case":
            folded = _string_operand(name, operand).casefold()
            self.matchers.append(lambda v: isinstance(v, str) and v.casefold() == folded)
        elif name == "wildcard":
            regex = _wildcard_regex(_string_operand(name, operand))
            self.matchers.append(lambda v: isinstance(v, str) and regex.fullmatch(v) is not None)
        else:  # cidr
            self.matchers.append(_compile_cidr(operand))

    def test(self, value: object) -> bool:
        if value is _MISSING or isinstance(value, Mapping):
            # exists only looks at leaves: an object is not a leaf value.
            return self.exists is False
        if self.exists is True:
            return True
        values = value if isinstance(value, list) else [value]
        return any(matcher(item) for item in values for matcher in self.matchers)


class _Node:
    """A compiled pattern object: every field must match, plus any ``$or`` alternatives."""

    __slots__ = ("alternatives", "fields")

    def __init__(self, pattern: Mapping[str, Any], where: str) -> None:
        self.fields: list[tuple[str, _Node | _Leaf]] = []
        self.alternatives: list[list[_Node]] = []
        for key, value in pattern.items():
            path = f"{where}.{key}" if where else key
            if key == "$or":
                if not isinstance(value, list) or len(value) < 2:
                    raise PatternError(f"{path}: $or needs a list of at least two patterns")
                branches: list[_Node] = []
                for branch in value:
                    if not isinstance(branch, Mapping) or not branch:
                        raise PatternError(f"{path}: every $or branch must be a non-empty object")
                    branches.append(_Node(branch, where))
                self.alternatives.append(branches)
            elif isinstance(value, Mapping):
                if not value:
                    raise PatternError(f"{path}: empty object in pattern")
                self.fields.append((key, _Node(value, path)))
            else:
                self.fields.append((key, _Leaf(value, path)))

    def test(self, event: object) -> bool:
        if isinstance(event, list):
            return any(self.test(item) for item in event)
        if not isinstance(event, Mapping):
            return False
        for key, child in self.fields:
            value = event.get(key, _MISSING)
            if isinstance(child, _Node):
                if value is _MISSING:
                    # A missing object can still satisfy leaves that only ask for absence.
                    if not child.test({}):
                        return False
                elif not child.test(value):
                    return False
            elif not child.test(value):
                return False
        return all(any(branch.test(event) for branch in group) for group in self.alternatives)


class CompiledPattern:
    """A validated event pattern, ready to test events against."""

    __slots__ = ("_root", "source")

    def __init__(self, pattern: Mapping[str, Any] | str) -> None:
        if isinstance(pattern, str):
            try:
                parsed = json.loads(pattern)
            except json.JSONDecodeError as error:
                raise PatternError(f"pattern is not JSON: {error}") from error
        else:
            parsed = pattern
        if not isinstance(parsed, Mapping):
            raise PatternError("an event pattern must be a JSON object")
        self.source: Mapping[str, Any] = parsed
        self._root = _Node(parsed, "")

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` matches this pattern."""
        return self._root.test(event)


def compile_pattern(pattern: Mapping[str, Any] | str) -> CompiledPattern:
    """Validate and compile an event pattern (a JSON string or an already parsed object)."""
    return CompiledPattern(pattern)


def matches(pattern: Mapping[str, Any] | str, event: Mapping[str, Any]) -> bool:
    """Whether ``event`` matches the EventBridge ``pattern``."""
    return CompiledPattern(pattern).matches(event)


def matches_any(patterns: Sequence[CompiledPattern], event: Mapping[str, Any]) -> bool:
    """Pipes filter semantics: no filters lets everything through, otherwise filters are ORed."""
    return not patterns or any(pattern.matches(event) for pattern in patterns)
