"""A state machine definition, checked against the subset the local interpreter emulates.

The fields allowed per state type follow AWS's own ASL validation schema
(aws/amazon-states-language-service, ``src/validation/validationSchema.ts``), restricted to
JSONata: ``QueryLanguage`` must be ``JSONata`` at the top level, and the JSONPath-only fields
(``InputPath``, ``Parameters``, ``ResultSelector``, ``ResultPath``, ``OutputPath``, ``Result``,
``ErrorPath``, ``CausePath``, ``*Path``) are rejected. State types: Pass, Task, Choice,
Succeed, Fail, and Map in inline mode (``ItemProcessor`` with ``ProcessorConfig.Mode``
``INLINE``, ``Items``, ``ItemSelector``, ``MaxConcurrency``:
https://docs.aws.amazon.com/step-functions/latest/dg/state-map-inline.html). State names are
unique across the whole definition, iterations included. Anything else raises
:class:`DefinitionError` naming the state and the field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ._sfn_errors import DefinitionError
from ._sfn_expressions import is_expression
from ._sfn_retry import Catcher, Retrier, parse_catchers, parse_retriers
from ._sfn_tasks import SUPPORTED_RESOURCES, check_task_arguments

__all__ = ["Definition", "StateSpec", "parse_definition"]

_ROOT_FIELDS = frozenset({"StartAt", "States", "Comment", "QueryLanguage", "TimeoutSeconds"})
_ROOT_FIELDS_IGNORED = frozenset({"Version"})
_COMMON_FIELDS = frozenset({"Type", "Comment", "QueryLanguage"})
_STATE_FIELDS: Mapping[str, frozenset[str]] = {
    "Pass": frozenset({"Next", "End", "Output", "Assign"}),
    "Task": frozenset(
        {"Next", "End", "Output", "Assign", "Resource", "Arguments", "TimeoutSeconds"}
        | {"Retry", "Catch"}
    ),
    "Choice": frozenset({"Choices", "Default", "Output", "Assign"}),
    "Succeed": frozenset({"Output"}),
    "Fail": frozenset({"Error", "Cause"}),
    "Map": frozenset(
        {"Next", "End", "Output", "Assign", "Items", "ItemSelector", "MaxConcurrency"}
        | {"ItemProcessor", "Retry", "Catch"}
    ),
}
_TRANSITIONING = frozenset({"Pass", "Task", "Map"})
_PROCESSOR_FIELDS = frozenset({"ProcessorConfig", "StartAt", "States", "Comment"})
_RULE_FIELDS = frozenset({"Condition", "Next", "Output", "Assign", "Comment"})
_JSONPATH_FIELDS = frozenset(
    {"InputPath", "OutputPath", "ResultPath", "Parameters", "ResultSelector", "Result"}
)
_VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class StateSpec:
    """One checked state: its fields as written plus parsed Retry/Catch."""

    name: str
    type: str
    fields: Mapping[str, Any]
    next: str | None = None
    retriers: tuple[Retrier, ...] = ()
    catchers: tuple[Catcher, ...] = ()
    processor: Definition | None = None  # a Map state's iterations


@dataclass(frozen=True)
class Definition:
    """A checked state machine definition."""

    start_at: str
    states: Mapping[str, StateSpec]
    timeout_seconds: int | None = None

    def every_state(self) -> list[StateSpec]:
        """Every state, those of Map iterations included."""
        found: list[StateSpec] = []
        for spec in self.states.values():
            found.append(spec)
            if spec.processor is not None:
                found.extend(spec.processor.every_state())
        return found


def parse_definition(raw: Mapping[str, Any] | str) -> Definition:
    """Check a definition (an object or its JSON text) and return it parsed."""
    definition = json.loads(raw) if isinstance(raw, str) else raw
    if not isinstance(definition, Mapping):
        raise DefinitionError("definition", "(root)", "must be a JSON object")
    _check_root(definition)
    parsed = _parse_states(definition["StartAt"], definition["States"])
    names = [spec.name for spec in parsed.every_state()]
    for name in names:
        if names.count(name) > 1:
            raise DefinitionError(_where(name), "(name)", "is used by more than one state")
    return Definition(parsed.start_at, parsed.states, definition.get("TimeoutSeconds"))


def _parse_states(start_at: str, raw: Mapping[str, Any]) -> Definition:
    """States of one scope (the machine, or a Map's iterations): transitions stay inside it."""
    states = {name: _parse_state(name, fields) for name, fields in dict(raw).items()}
    for spec in states.values():
        for target in _targets(spec):
            if target not in states:
                raise DefinitionError(_where(spec.name), "Next", f"no state is named {target!r}")
    return Definition(start_at, states)


def _parse_processor(where: str, processor: Any) -> Definition:
    """A Map state's ``ItemProcessor``: inline only."""
    if not isinstance(processor, Mapping):
        raise DefinitionError(where, "ItemProcessor", "must be an object")
    for name in processor:
        if name not in _PROCESSOR_FIELDS:
            raise DefinitionError(where, f"ItemProcessor.{name}", "is not emulated locally")
    mode = (processor.get("ProcessorConfig") or {}).get("Mode", "INLINE")
    if mode != "INLINE":
        raise DefinitionError(where, "ItemProcessor.ProcessorConfig", f"{mode} is not emulated")
    states = processor.get("States")
    if not isinstance(states, Mapping) or not states:
        raise DefinitionError(where, "ItemProcessor.States", "must be a non-empty object")
    if processor.get("StartAt") not in states:
        raise DefinitionError(where, "ItemProcessor.StartAt", "must name a state")
    return _parse_states(str(processor["StartAt"]), states)


def _check_root(definition: Mapping[str, Any]) -> None:
    for name in definition:
        if name not in _ROOT_FIELDS | _ROOT_FIELDS_IGNORED:
            raise DefinitionError("definition", name, "is not supported by the local interpreter")
    if definition.get("QueryLanguage") != "JSONata":
        raise DefinitionError("definition", "QueryLanguage", "must be JSONata")
    states = definition.get("States")
    if not isinstance(states, Mapping) or not states:
        raise DefinitionError("definition", "States", "must be a non-empty object")
    if definition.get("StartAt") not in states:
        raise DefinitionError("definition", "StartAt", "must name a state")
    timeout = definition.get("TimeoutSeconds")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, int)):
        raise DefinitionError("definition", "TimeoutSeconds", "must be a positive integer")
    if timeout is not None and timeout < 1:
        raise DefinitionError("definition", "TimeoutSeconds", "must be a positive integer")


def _parse_state(name: str, fields: Any) -> StateSpec:
    where = _where(name)
    if not isinstance(fields, Mapping):
        raise DefinitionError(where, "(state)", "must be an object")
    state_type = fields.get("Type")
    if not isinstance(state_type, str) or state_type not in _STATE_FIELDS:
        raise DefinitionError(where, "Type", f"{state_type!r} is not emulated locally")
    _check_fields(where, state_type, fields)
    if "Assign" in fields:
        _check_assign(where, "Assign", fields["Assign"])
    if state_type == "Choice":
        _check_choice(where, fields)
    if state_type == "Task":
        _check_task(where, fields)
    processor = None
    if state_type == "Map":
        processor = _parse_processor(where, fields.get("ItemProcessor"))
        _check_concurrency(where, fields.get("MaxConcurrency"))
    catchers = parse_catchers(where, fields.get("Catch"))
    for index, catcher in enumerate(catchers):
        if catcher.assign is not None:
            _check_assign(where, f"Catch[{index}].Assign", catcher.assign)
    retriers = parse_retriers(where, fields.get("Retry"))
    return StateSpec(
        name,
        state_type,
        fields,
        _transition(where, state_type, fields),
        retriers,
        catchers,
        processor,
    )


def _check_concurrency(where: str, value: Any) -> None:
    if value is None or is_expression(value):
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise DefinitionError(where, "MaxConcurrency", "must be a non-negative integer")


def _check_fields(where: str, state_type: str, fields: Mapping[str, Any]) -> None:
    allowed = _STATE_FIELDS[state_type] | _COMMON_FIELDS
    for name in fields:
        if name in _JSONPATH_FIELDS or name.endswith("Path"):
            raise DefinitionError(where, name, "is a JSONPath field; use Arguments/Output")
        if name not in allowed:
            raise DefinitionError(where, name, f"is not emulated locally for a {state_type} state")
    language = fields.get("QueryLanguage", "JSONata")
    if language != "JSONata":
        raise DefinitionError(where, "QueryLanguage", "only JSONata states are emulated")


def _transition(where: str, state_type: str, fields: Mapping[str, Any]) -> str | None:
    if state_type not in _TRANSITIONING:
        return None
    target, end = fields.get("Next"), fields.get("End", False)
    if end is True and target is None:
        return None
    if end is False and isinstance(target, str) and target:
        return target
    raise DefinitionError(where, "Next", "exactly one of Next or End: true is required")


def _check_assign(where: str, field: str, assign: Any) -> None:
    if not isinstance(assign, Mapping):
        raise DefinitionError(where, field, "must be an object")
    for name in assign:
        if not _VARIABLE_NAME.match(name) or name == "states":
            raise DefinitionError(where, f"{field}.{name}", "is not a valid variable name")


def _check_choice(where: str, fields: Mapping[str, Any]) -> None:
    rules = fields.get("Choices")
    if not isinstance(rules, list) or not rules:
        raise DefinitionError(where, "Choices", "must be a non-empty array")
    for index, rule in enumerate(rules):
        field = f"Choices[{index}]"
        if not isinstance(rule, Mapping) or "Condition" not in rule or "Next" not in rule:
            raise DefinitionError(where, field, "must be an object with Condition and Next")
        for name in rule:
            if name not in _RULE_FIELDS:
                raise DefinitionError(where, f"{field}.{name}", "is not emulated locally")
            if name in ("Output", "Assign") and name in fields:
                raise DefinitionError(
                    where, f"{field}.{name}", f"and the state's {name} together are not emulated"
                )
        if "Assign" in rule:
            _check_assign(where, f"{field}.Assign", rule["Assign"])


def _check_task(where: str, fields: Mapping[str, Any]) -> None:
    resource = fields.get("Resource")
    if resource not in SUPPORTED_RESOURCES:
        raise DefinitionError(
            where, "Resource", f"{resource!r} is not emulated (only {list(SUPPORTED_RESOURCES)})"
        )
    arguments = fields.get("Arguments")
    if isinstance(arguments, Mapping):
        problem = check_task_arguments(resource, arguments)
        if problem:
            raise DefinitionError(where, "Arguments", problem)
    elif arguments is not None and not is_expression(arguments):
        raise DefinitionError(where, "Arguments", "must be an object or a JSONata expression")
    timeout = fields.get("TimeoutSeconds")
    if timeout is None or is_expression(timeout):
        return
    if isinstance(timeout, bool) or not isinstance(timeout, int) or timeout < 1:
        raise DefinitionError(where, "TimeoutSeconds", "must be a positive integer")


def _targets(spec: StateSpec) -> list[str]:
    targets = [spec.next] if spec.next else []
    targets += [catcher.next for catcher in spec.catchers]
    if spec.type == "Choice":
        targets += [str(rule["Next"]) for rule in spec.fields["Choices"]]
        if "Default" in spec.fields:
            targets.append(str(spec.fields["Default"]))
    return targets


def _where(name: str) -> str:
    return f"state {name!r}"
