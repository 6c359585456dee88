"""EventBridge event pattern matching, as used by EventBridge Pipes filter criteria.

No maintained pure-Python implementation of the pattern language is published on PyPI (the
``event-ruler`` wheel is a 2023 binary build of a Go port), so this module implements it
itself. The engine behind EventBridge is aws/event-ruler (https://github.com/aws/event-ruler);
where the AWS pages are silent this module follows that engine's rule compiler
(``JsonRuleCompiler.java``) and matcher (``ByteMachine.java``):

* exact values: strings, numbers (compared numerically), ``true``/``false``/``null``;
  a string never matches a number and the other way round;
* ``prefix``/``suffix`` (optionally wrapping ``equals-ignore-case``), ``equals-ignore-case``,
  ``wildcard`` (``*`` any run of characters, ``\\*`` a literal star, ``\\\\`` a backslash,
  any other backslash escape is rejected) and ``cidr`` only match strings;
* ``numeric``: ``["=", n]``, one bound (``<``, ``<=``, ``>``, ``>=``), or a range written
  lower bound first (``[">" or ">=", low, "<" or "<=", high]``) with ``low < high``;
  only JSON numbers match (DynamoDB ``N`` values are strings in stream records); every
  number of ``numeric`` and of a numeric ``anything-but`` must be exactly a 64-bit float as
  written (``ComparableNumber.java``: ``1E-325`` underflows and is rejected, ``1E-320`` is
  a float); this is seen on the JSON text of a pattern (or :class:`~decimal.Decimal`
  values), since a Python float has already rounded;
* ``anything-but`` with a value or a list that is all strings or all numbers matches any
  leaf value except an equal one *of the same type*: ``{"anything-but": [100]}`` matches
  the string ``"100"``, ``{"anything-but": "a"}`` matches the number 1;
  ``anything-but`` with ``prefix``/``suffix`` (non-empty), ``equals-ignore-case`` or
  ``wildcard`` matches any leaf value except a string the inner matcher accepts;
* ``exists`` (leaf nodes only);
* ``$or`` at any object level: a list of at least two non-empty objects, in which no field
  may be named after an operator, and whose expansion may not exceed
  :data:`MAX_OR_COMBINATIONS` sub-patterns.

Every key of a pattern must match; a leaf is a list of alternatives; an event array matches
when any element matches.

EventBridge Pipes does not support every operator: the "Pipe support" column of
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html
says No for ``wildcard`` and for ``anything-but`` with ``prefix``, ``suffix``,
``equals-ignore-case`` or ``wildcard``. Patterns are compiled with the Pipes restriction by
default (the local runtime only runs pipes); pass ``pipes=False`` for an event bus rule.
``cidr`` is not a row of that table; it is accepted in pipes too [unverified].
"""

from __future__ import annotations

import ipaddress
import json
import math
import operator
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from types import MappingProxyType
from typing import Any

from publication import publish

__all__ = [
    "MAX_OR_COMBINATIONS",
    "OPERATORS_PAGE",
    "CompiledPattern",
    "PatternError",
    "UnsupportedByPipesError",
    "compile_pattern",
    "matches",
    "matches_any",
]

_Matcher = Callable[[object], bool]

OPERATORS_PAGE = (
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html"
)

# Unverified: no AWS page or event-ruler source found states this limit; kept because a
# pattern that expands this far is a mistake either way.
MAX_OR_COMBINATIONS = 1000

_MISSING = object()
_COMPARE: Mapping[str, Callable[[float, float], bool]] = MappingProxyType(
    {
        "=": operator.eq,
        "<": operator.lt,
        "<=": operator.le,
        ">": operator.gt,
        ">=": operator.ge,
    }
)
_LOWER_BOUNDS = (">", ">=")
_UPPER_BOUNDS = ("<", "<=")
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
_ANYTHING_BUT_SETS = ("prefix", "suffix", "equals-ignore-case", "wildcard")
# Field names the engine refuses inside "$or" (RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP in
# aws/event-ruler src/main/software/amazon/event/ruler/Constants.java): the operators, the
# numeric comparisons and names it keeps for future operators.
_RESERVED_IN_OR = _OPERATOR_KEYS | frozenset(
    {
        "exactly",
        *_COMPARE,
        "regex",
        "not-wildcard",
        "not-equals-ignore-case",
        "date-after",
        "date-on-or-after",
        "date-before",
        "date-on-or-before",
        "in-date-range",
        "ip-address-in-range",
        "ip-address-not-in-range",
    }
)


class PatternError(ValueError):
    """An event pattern that EventBridge would reject."""


class UnsupportedByPipesError(PatternError):
    """A valid event bus pattern using an operator EventBridge Pipes does not support."""

    def __init__(self, where: str, what: str) -> None:
        super().__init__(
            f"{where}: EventBridge Pipes does not support {what} in filter patterns "
            f"(see the 'Pipe support' column of {OPERATORS_PAGE})"
        )


def _as_number(value: object) -> float | None:
    """The value as a float when it is a JSON number (booleans are not numbers), else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        return None
    return float(value)


def _is_number(value: object) -> bool:
    return _as_number(value) is not None


def _number(value: object, where: str) -> float:
    """A number the engine can compare: the float it is, when that float is exactly it."""
    number = _as_number(value)
    if number is None or not math.isfinite(number):
        raise PatternError(f"{where}: expected a finite number, got {value!r}")
    # event-ruler's ComparableNumber.generate: the float must print back as the same decimal
    # (the shortest form, as repr writes it), or its digits were lost ("Cannot compare").
    if isinstance(value, (int, Decimal)) and Decimal(repr(number)) != Decimal(value):
        raise PatternError(
            f"{where}: {value} cannot be compared as a number: the nearest 64-bit float is "
            f"{number!r} (aws/event-ruler, the engine behind EventBridge, compares numbers as "
            "floats and rejects one that underflows or has more digits than a float holds)"
        )
    return number


def _string(value: object, where: str, name: str) -> str:
    if not isinstance(value, str):
        raise PatternError(f"{where}: {name} needs a string, got {value!r}")
    return value


def _strings(value: object, where: str, name: str) -> list[str]:
    """A string or a list of strings (the operand of an ``anything-but`` set)."""
    values = value if isinstance(value, list) else [value]
    return [_string(item, where, name) for item in values]


def _wildcard_regex(expression: str, where: str) -> re.Pattern[str]:
    """Translate a wildcard expression the way event-ruler's ``WildcardParser`` reads it."""
    parts: list[str] = []
    index = 0
    while index < len(expression):
        char = expression[index]
        if char == "\\":
            escaped = expression[index + 1 : index + 2]
            if escaped not in ("*", "\\") or not escaped:
                raise PatternError(
                    f"{where}: wildcard {expression!r} has an invalid escape at position "
                    f"{index}: only \\* and \\\\ are allowed"
                )
            parts.append(re.escape(escaped))
            index += 2
            continue
        if char == "*":
            if expression[index + 1 : index + 2] == "*":
                raise PatternError(f"{where}: wildcard {expression!r} has consecutive '*'")
            parts.append(".*")
        else:
            parts.append(re.escape(char))
        index += 1
    return re.compile("".join(parts), re.DOTALL)


def _text_test(name: str, texts: Sequence[str], where: str) -> Callable[[str], bool]:
    """The positive test of a ``prefix``/``suffix``/``equals-ignore-case``/``wildcard`` set."""
    if name == "prefix":
        prefixes = tuple(texts)
        return lambda value: value.startswith(prefixes)
    if name == "suffix":
        suffixes = tuple(texts)
        return lambda value: value.endswith(suffixes)
    if name == "equals-ignore-case":
        folded = {text.casefold() for text in texts}
        return lambda value: value.casefold() in folded
    regexes = [_wildcard_regex(text, where) for text in texts]
    return lambda value: any(regex.fullmatch(value) for regex in regexes)


def _only_strings(test: Callable[[str], bool]) -> _Matcher:
    return lambda value: isinstance(value, str) and test(value)


def _compile_affix(name: str, operand: object, where: str) -> _Matcher:
    """``prefix``/``suffix``: a string, or ``{"equals-ignore-case": string}``."""
    if isinstance(operand, Mapping):
        if set(operand) != {"equals-ignore-case"}:
            raise PatternError(f"{where}: {name} takes a string or {{'equals-ignore-case': ...}}")
        folded = _string(operand["equals-ignore-case"], where, name).casefold()
        if name == "prefix":
            return _only_strings(lambda value: value.casefold().startswith(folded))
        return _only_strings(lambda value: value.casefold().endswith(folded))
    return _only_strings(_text_test(name, [_string(operand, where, name)], where))


def _compile_numeric(operand: object, where: str) -> _Matcher:
    """One comparison, or a range written lower bound first (``JsonRuleCompiler.java``)."""
    if not isinstance(operand, list) or len(operand) not in (2, 4):
        raise PatternError(f"{where}: numeric needs [operator, number] or a range, got {operand!r}")
    checks: list[tuple[str, float]] = []
    for position in range(0, len(operand), 2):
        name = operand[position]
        if name not in _COMPARE:
            raise PatternError(f"{where}: unknown numeric operator {name!r}")
        checks.append((name, _number(operand[position + 1], where)))
    if len(checks) == 2:
        (low_op, low), (high_op, high) = checks
        if low_op not in _LOWER_BOUNDS or high_op not in _UPPER_BOUNDS:
            raise PatternError(
                f"{where}: a numeric range is written ['>' or '>=', low, '<' or '<=', high], "
                f"got {operand!r}"
            )
        if not low < high:
            raise PatternError(f"{where}: numeric range {operand!r} is empty (low >= high)")

    def check(value: object) -> bool:
        number = _as_number(value)
        if number is None:
            return False
        return all(_COMPARE[name](number, bound) for name, bound in checks)

    return check


def _compile_cidr(operand: object, where: str) -> _Matcher:
    text = _string(operand, where, "cidr")
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError as error:
        raise PatternError(f"{where}: invalid cidr {text!r}") from error

    def check(value: object) -> bool:
        if not isinstance(value, str):
            return False
        try:
            return ipaddress.ip_address(value) in network
        except ValueError:
            return False

    return check


def _exact(expected: object) -> _Matcher:
    target = _as_number(expected)
    if target is not None:
        return lambda value: _as_number(value) == target
    if expected is None:
        return lambda value: value is None
    if isinstance(expected, bool):
        return lambda value: isinstance(value, bool) and value is expected
    return lambda value: isinstance(value, str) and value == expected


def _compile_anything_but_set(operand: Mapping[str, Any], where: str, pipes: bool) -> _Matcher:
    """``anything-but`` wrapping ``prefix``/``suffix``/``equals-ignore-case``/``wildcard``."""
    if len(operand) != 1:
        raise PatternError(f"{where}: anything-but takes exactly one nested matcher")
    ((name, inner),) = operand.items()
    if name not in _ANYTHING_BUT_SETS:
        raise PatternError(f"{where}: anything-but does not support {name!r}")
    if pipes:
        raise UnsupportedByPipesError(where, f"anything-but with {name}")
    texts = _strings(inner, where, f"anything-but/{name}")
    if name in ("prefix", "suffix") and "" in texts:
        raise PatternError(f"{where}: anything-but/{name} does not take an empty string")
    positive = _text_test(name, texts, where)
    # Only a string the inner matcher accepts is excluded: numbers, booleans and null match.
    return lambda value: not (isinstance(value, str) and positive(value))


def _compile_anything_but(operand: object, where: str, pipes: bool) -> _Matcher:
    """``anything-but``: a value or a list, all strings or all numbers (``AnythingBut.java``)."""
    if isinstance(operand, Mapping):
        return _compile_anything_but_set(operand, where, pipes)
    values = operand if isinstance(operand, list) else [operand]
    if any(not isinstance(value, str) and not _is_number(value) for value in values):
        raise PatternError(f"{where}: anything-but values must be strings or numbers: {operand!r}")
    numbers = [_number(value, where) for value in values if _is_number(value)]
    if not values or len(numbers) not in (0, len(values)):
        raise PatternError(
            f"{where}: anything-but needs values that are all strings or all numbers, "
            f"got {operand!r}"
        )
    if numbers:
        excluded_numbers = frozenset(numbers)
        # A string (even "100") is never excluded by a numeric anything-but.
        return lambda value: _as_number(value) not in excluded_numbers
    excluded = frozenset(values)
    return lambda value: not (isinstance(value, str) and value in excluded)


def _scalars(value: object) -> Iterator[object]:
    """The leaf values under ``value``: nested arrays are flattened, objects are not leaves."""
    if isinstance(value, list):
        for item in value:
            yield from _scalars(item)
    elif not isinstance(value, Mapping):
        yield value


class _Leaf:
    """A compiled list of alternatives for one field."""

    __slots__ = ("exists", "matchers")

    def __init__(self, alternatives: object, where: str, pipes: bool) -> None:
        if not isinstance(alternatives, list):
            raise PatternError(f"{where}: a pattern leaf must be a list, got {alternatives!r}")
        if not alternatives:
            raise PatternError(f"{where}: a pattern leaf must not be empty")
        self.matchers: list[_Matcher] = []
        self.exists: bool | None = None
        for alternative in alternatives:
            if isinstance(alternative, Mapping):
                self._add_operator(alternative, where, pipes)
            elif isinstance(alternative, list):
                raise PatternError(f"{where}: nested lists are not allowed")
            else:
                if _is_number(alternative):
                    _number(alternative, where)
                self.matchers.append(_exact(alternative))

    def _add_operator(self, expression: Mapping[str, Any], where: str, pipes: bool) -> None:
        if len(expression) != 1:
            raise PatternError(f"{where}: one operator per object, got {dict(expression)!r}")
        ((name, operand),) = expression.items()
        if name not in _OPERATOR_KEYS:
            raise PatternError(f"{where}: unknown operator {name!r}")
        if name == "exists":
            if not isinstance(operand, bool):
                raise PatternError(f"{where}: exists needs true or false")
            self.exists = operand
        elif name in ("prefix", "suffix"):
            self.matchers.append(_compile_affix(name, operand, where))
        elif name == "anything-but":
            self.matchers.append(_compile_anything_but(operand, where, pipes))
        elif name == "numeric":
            self.matchers.append(_compile_numeric(operand, where))
        elif name == "equals-ignore-case":
            text = _string(operand, where, name)
            self.matchers.append(_only_strings(_text_test(name, [text], where)))
        elif name == "wildcard":
            if pipes:
                raise UnsupportedByPipesError(where, "wildcard")
            text = _string(operand, where, name)
            self.matchers.append(_only_strings(_text_test(name, [text], where)))
        else:  # cidr
            self.matchers.append(_compile_cidr(operand, where))

    def test(self, value: object) -> bool:
        if value is _MISSING or isinstance(value, Mapping):
            # exists only looks at leaves: an object is not a leaf value.
            return self.exists is False
        if self.exists is True:
            return True
        return any(matcher(item) for item in _scalars(value) for matcher in self.matchers)


class _Node:
    """A compiled pattern object: every field must match, plus any ``$or`` alternatives."""

    __slots__ = ("alternatives", "fields")

    def __init__(self, pattern: Mapping[str, Any], where: str, pipes: bool, in_or: bool) -> None:
        if not pattern:
            raise PatternError(f"{where or 'pattern'}: empty objects are not allowed")
        self.fields: list[tuple[str, _Node | _Leaf]] = []
        self.alternatives: list[list[_Node]] = []
        for key, value in pattern.items():
            path = f"{where}.{key}" if where else key
            if key == "$or":
                self.alternatives.append(self._branches(value, where, pipes))
                continue
            if in_or and key in _RESERVED_IN_OR:
                raise PatternError(
                    f"{path}: {key!r} is an operator name, not allowed as a field inside $or"
                )
            if isinstance(value, Mapping):
                self.fields.append((key, _Node(value, path, pipes, in_or)))
            else:
                self.fields.append((key, _Leaf(value, path, pipes)))

    @staticmethod
    def _branches(value: object, where: str, pipes: bool) -> list[_Node]:
        path = f"{where}.$or" if where else "$or"
        if not isinstance(value, list) or len(value) < 2:
            raise PatternError(f"{path}: $or needs a list of at least two patterns")
        if not all(isinstance(branch, Mapping) for branch in value):
            raise PatternError(f"{path}: every $or branch must be an object")
        return [_Node(branch, where, pipes, in_or=True) for branch in value]

    def combinations(self) -> int:
        """How many plain sub-patterns this node expands to once every ``$or`` is unfolded."""
        total = 1
        for _, child in self.fields:
            if isinstance(child, _Node):
                total *= child.combinations()
        for group in self.alternatives:
            total *= sum(branch.combinations() for branch in group)
        return total

    def test(self, event: object) -> bool:
        if isinstance(event, list):
            return any(self.test(item) for item in event)
        if not isinstance(event, Mapping):
            return False
        for key, child in self.fields:
            value = event.get(key, _MISSING)
            if isinstance(child, _Node) and value is _MISSING:
                # A missing object can still satisfy leaves that only ask for absence.
                value = {}
            if not child.test(value):
                return False
        return all(any(branch.test(event) for branch in group) for group in self.alternatives)


class CompiledPattern:
    """A validated event pattern, ready to test events against."""

    __slots__ = ("_root", "combinations", "source")

    def __init__(self, pattern: Mapping[str, Any] | str, *, pipes: bool = True) -> None:
        if isinstance(pattern, str):
            try:
                parsed = json.loads(pattern)
                # Numbers as written: whether a float holds one exactly is a rule of the engine.
                exact = json.loads(pattern, parse_float=Decimal)
            except json.JSONDecodeError as error:
                raise PatternError(f"pattern is not JSON: {error}") from error
        else:
            parsed = exact = pattern
        if not isinstance(parsed, Mapping):
            raise PatternError("an event pattern must be a JSON object")
        self.source: Mapping[str, Any] = parsed
        self._root = _Node(exact, "", pipes, in_or=False)
        # How many plain sub-patterns the engine compiles this into (one per $or path).
        self.combinations = self._root.combinations()
        if self.combinations > MAX_OR_COMBINATIONS:
            raise PatternError(
                f"pattern expands to {self.combinations} combinations through $or, more than "
                f"{MAX_OR_COMBINATIONS}"
            )

    def matches(self, event: Mapping[str, Any]) -> bool:
        """Whether ``event`` matches this pattern."""
        return self._root.test(event)


def compile_pattern(pattern: Mapping[str, Any] | str, *, pipes: bool = True) -> CompiledPattern:
    """Validate and compile an event pattern (a JSON string or an already parsed object).

    ``pipes`` (default) rejects the operators EventBridge Pipes does not support with
    :class:`UnsupportedByPipesError`; ``pipes=False`` accepts what an event bus rule accepts.
    """
    return CompiledPattern(pattern, pipes=pipes)


def matches(
    pattern: Mapping[str, Any] | str, event: Mapping[str, Any], *, pipes: bool = True
) -> bool:
    """Whether ``event`` matches the EventBridge ``pattern``."""
    return CompiledPattern(pattern, pipes=pipes).matches(event)


def matches_any(patterns: Sequence[CompiledPattern], event: Mapping[str, Any]) -> bool:
    """Pipes filter semantics: no filters lets everything through, otherwise filters are ORed."""
    return not patterns or any(pattern.matches(event) for pattern in patterns)


publish()
