"""JSONata in the local Step Functions interpreter: each expression parsed once per
interpreter, and evaluations that share a parsed expression kept apart (clock, variables,
threads)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from momento_eventbridge_constructs.engine import _sfn_expressions
from momento_eventbridge_constructs.engine.stepfunctions import StateMachineInterpreter

from .test_local_sfn_map import SlowMomento, machine, map_state, post

START = datetime(2026, 11, 28, 12, 0, 0, tzinfo=timezone.utc)


def interpreter(definition: dict[str, Any], **options: Any) -> StateMachineInterpreter:
    return StateMachineInterpreter(
        definition,
        http=SlowMomento(),
        connection_headers=lambda arn: {"Authorization": "k"},
        sleep=lambda seconds: None,
        **options,
    )


def pass_state(**fields: Any) -> dict[str, Any]:
    return {"Type": "Pass", "End": True, **fields}


def test_each_expression_is_parsed_once_however_many_executions_and_iterations(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parsed: list[str] = []

    class Counting(_sfn_expressions.Jsonata):  # type: ignore[misc]
        def __init__(self, expression: str) -> None:
            parsed.append(expression)
            super().__init__(expression)

    monkeypatch.setattr(_sfn_expressions, "Jsonata", Counting)
    state = map_state(
        {"Twice": pass_state(Output="{% $states.input.v * 2 %}")},
        Items="{% $states.input %}",
        ItemSelector={"v": "{% $states.context.Map.Item.Value %}"},
        MaxConcurrency=4,
    )
    machine_ = interpreter(machine(state))
    for _ in range(3):
        result = machine_.start_sync_execution(list(range(12)))
        assert result.status == "SUCCEEDED", result.cause
        assert result.output_value() == [2 * i for i in range(12)]
    expressions = [" $states.input ", " $states.context.Map.Item.Value ", " $states.input.v * 2 "]
    assert sorted(parsed) == sorted(expressions)


def test_the_clock_functions_read_the_clock_of_each_evaluation() -> None:
    now = [START]
    definition = machine(pass_state(Output={"millis": "{% $millis() %}", "now": "{% $now() %}"}))
    machine_ = interpreter(definition, clock=lambda: now[0])
    first = machine_.start_sync_execution({}).output_value()
    now[0] = START + timedelta(seconds=90)
    second = machine_.start_sync_execution({}).output_value()
    assert first == {"millis": int(START.timestamp() * 1000), "now": "2026-11-28T12:00:00.000Z"}
    assert second == {"millis": first["millis"] + 90_000, "now": "2026-11-28T12:01:30.000Z"}


def test_a_variable_named_like_a_function_still_shadows_it() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Name",
        "States": {
            "Name": {"Type": "Pass", "Assign": {"now": "then"}, "Next": "Read"},
            "Read": pass_state(Output="{% $now %}"),
        },
    }
    assert interpreter(definition).start_sync_execution({}).output_value() == "then"


def test_a_syntax_error_fails_every_execution_the_same_way() -> None:
    machine_ = interpreter(machine(pass_state(Output="{% $states.input. %}")))
    for _ in range(2):
        result = machine_.start_sync_execution({})
        assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError")
        assert "$states.input." in str(result.cause)


def test_concurrent_iterations_of_one_expression_see_only_their_own_variables() -> None:
    # Every iteration assigns its own item and, on odd items only, a second variable; the
    # iterations overlap in the HTTP task, and each evaluates the same parsed expressions.
    iteration = {
        "Mine": {
            "Type": "Pass",
            "Assign": {
                "mine": "{% $states.input %}",
                "odd": "{% $states.input % 2 = 1 ? $states.input : null %}",
            },
            "Next": "Call",
        },
        "Call": post("Read"),
        "Read": pass_state(Output="{% [$mine, $odd] %}"),
    }
    state = map_state(iteration, MaxConcurrency=40)
    momento = SlowMomento(delay=0.01)
    machine_ = StateMachineInterpreter(
        machine(state), http=momento, connection_headers=lambda arn: {"Authorization": "k"}
    )
    for _ in range(3):
        result = machine_.start_sync_execution(list(range(80)))
        assert result.status == "SUCCEEDED", result.cause
        assert result.output_value() == [[i, i if i % 2 else None] for i in range(80)]
    assert momento.most > 1  # the iterations did overlap
