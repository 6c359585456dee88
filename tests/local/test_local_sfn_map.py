"""The inline Map state of the local Step Functions interpreter: items, selector, concurrency,
iteration scope, failures, and the definition checks that come with it."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest

from momento_eventbridge_constructs.engine.stepfunctions import (
    DefinitionError,
    HttpRequest,
    HttpResponse,
    StateMachineInterpreter,
)

ENDPOINT = "https://api.cache.example.com"
CONNECTION_ARN = "arn:aws:events:us-west-2:123456789012:connection/m/1"


class SlowMomento:
    """Answers each call after ``delay`` seconds; records the calls and the most in flight."""

    def __init__(self, delay: float = 0.0, fail: frozenset[str] = frozenset()) -> None:
        self.delay = delay
        self.fail = fail
        self.calls: list[str] = []
        self.in_flight = 0
        self.most = 0
        self._lock = threading.Lock()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        body = request.body.decode() if isinstance(request.body, bytes) else str(request.body)
        with self._lock:
            self.calls.append(body)
            self.in_flight += 1
            self.most = max(self.most, self.in_flight)
        time.sleep(self.delay)
        with self._lock:
            self.in_flight -= 1
        return HttpResponse(400 if body in self.fail else 204, "")


def post(next_state: str | None = None, **fields: Any) -> dict[str, Any]:
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::http:invoke",
        "Arguments": {
            "ApiEndpoint": f"{ENDPOINT}/topics/c/t",
            "Method": "POST",
            "Authentication": {"ConnectionArn": CONNECTION_ARN},
            "RequestBody": "{% $string($states.input) %}",
        },
        "Output": {},
        **fields,
    }
    if next_state is None:
        state["End"] = True
    else:
        state["Next"] = next_state
    return state


def map_state(states: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "Type": "Map",
        "ItemProcessor": {
            "ProcessorConfig": {"Mode": "INLINE"},
            "StartAt": next(iter(states)),
            "States": states,
        },
        "End": True,
        **fields,
    }


def machine(state: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": "Each", "States": {"Each": state}, **top}


def run(definition: dict[str, Any], payload: Any, momento: SlowMomento | None = None) -> Any:
    interpreter = StateMachineInterpreter(
        definition,
        http=momento or SlowMomento(),
        connection_headers=lambda arn: {"Authorization": "k"},
        sleep=lambda seconds: None,
    )
    return interpreter.start_sync_execution(payload)


def test_items_and_item_selector_give_each_iteration_its_input_in_item_order() -> None:
    selector = {
        "at": "{% $states.context.Map.Item.Index %}",
        "v": "{% $states.context.Map.Item.Value %}",
    }
    state = map_state(
        {
            "Echo": {
                "Type": "Pass",
                "Output": "{% $states.input.v & '@' & $string($states.input.at) %}",
                "End": True,
            }
        },
        Items="{% $states.input.list %}",
        ItemSelector=selector,
    )
    result = run(machine(state), {"list": ["a", "b", "c"]})
    assert result.status == "SUCCEEDED", result.cause
    assert result.output_value() == ["a@0", "b@1", "c@2"]


def test_without_items_the_input_array_is_mapped() -> None:
    state = map_state({"Same": {"Type": "Pass", "End": True}})
    assert run(machine(state), [1, 2]).output_value() == [1, 2]


def test_max_concurrency_one_keeps_array_order() -> None:
    momento = SlowMomento(delay=0.01)
    state = map_state({"Publish": post()}, MaxConcurrency=1)
    result = run(machine(state), [f"m{i}" for i in range(6)], momento)
    assert result.status == "SUCCEEDED", result.cause
    assert momento.calls == [f"m{i}" for i in range(6)]
    assert momento.most == 1


def test_max_concurrency_bounds_the_iterations_running_at_once() -> None:
    momento = SlowMomento(delay=0.05)
    state = map_state({"Publish": post()}, MaxConcurrency=3)
    started = time.monotonic()
    result = run(machine(state), list(range(9)), momento)
    assert result.status == "SUCCEEDED", result.cause
    assert momento.most == 3
    assert sorted(momento.calls) == sorted(str(i) for i in range(9))
    assert time.monotonic() - started < 9 * 0.05  # they did overlap


def test_iterations_read_outer_variables_and_keep_their_own() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"prefix": "p-", "mine": "outer"}, "Next": "Each"},
            "Each": map_state(
                {
                    "Own": {
                        "Type": "Pass",
                        "Assign": {"mine": "{% $states.input %}"},
                        "Next": "Show",
                    },
                    "Show": {"Type": "Pass", "Output": "{% $prefix & $mine %}", "End": True},
                },
                MaxConcurrency=2,
                End=False,
                Next="After",
            ),
            "After": {
                "Type": "Pass",
                "Output": "{% {'all': $states.input, 'mine': $mine} %}",
                "End": True,
            },
        },
    }
    result = run(definition, ["a", "b", "c"])
    assert result.status == "SUCCEEDED", result.cause
    assert result.output_value() == {"all": ["p-a", "p-b", "p-c"], "mine": "outer"}


def test_a_failed_iteration_fails_the_map_and_no_later_item_starts() -> None:
    momento = SlowMomento(fail=frozenset({"bad"}))
    state = map_state(
        {"Publish": post()},
        MaxConcurrency=1,
        Catch=[
            {
                "ErrorEquals": ["States.ALL"],
                "Output": "{% $states.errorOutput.Error %}",
                "Next": "Caught",
            }
        ],
        End=False,
        Next="Caught",
    )
    definition = machine(state)
    definition["States"]["Caught"] = {"Type": "Succeed"}
    result = run(definition, ["ok", "bad", "never"], momento)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output_value() == "States.Http.StatusCode.400"
    assert momento.calls == ["ok", "bad"]


def test_an_uncaught_failed_iteration_fails_the_execution() -> None:
    momento = SlowMomento(fail=frozenset({"bad"}))
    result = run(machine(map_state({"Publish": post()}, MaxConcurrency=4)), ["bad", "ok"], momento)
    assert result.status == "FAILED"
    assert result.error == "States.Http.StatusCode.400"


def test_items_that_are_not_an_array_fail_with_a_query_evaluation_error() -> None:
    state = map_state({"Same": {"Type": "Pass", "End": True}}, Items="{% 'text' %}")
    result = run(machine(state), {})
    assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError")


@pytest.mark.parametrize(
    ("definition", "where", "field"),
    [
        (
            machine(map_state({"Each": {"Type": "Pass", "End": True}})),
            "state 'Each'",
            "(name)",
        ),
        (
            machine(
                {
                    **map_state({"Inner": {"Type": "Pass", "End": True}}),
                    "ItemProcessor": {
                        "ProcessorConfig": {"Mode": "DISTRIBUTED"},
                        "StartAt": "Inner",
                        "States": {"Inner": {"Type": "Pass", "End": True}},
                    },
                }
            ),
            "state 'Each'",
            "ItemProcessor.ProcessorConfig",
        ),
        (
            machine(map_state({"Inner": {"Type": "Pass", "Next": "Each"}})),
            "state 'Inner'",
            "Next",
        ),
        (
            machine(map_state({"Inner": {"Type": "Pass", "End": True}}, MaxConcurrency=-1)),
            "state 'Each'",
            "MaxConcurrency",
        ),
        (
            machine(map_state({"Inner": {"Type": "Pass", "End": True}}, ItemsPath="$.x")),
            "state 'Each'",
            "ItemsPath",
        ),
    ],
)
def test_map_definitions_the_interpreter_refuses(
    definition: dict[str, Any], where: str, field: str
) -> None:
    """Names unique across scopes, inline mode only, transitions inside their scope."""
    with pytest.raises(DefinitionError) as raised:
        StateMachineInterpreter(definition, http=SlowMomento())
    assert (raised.value.where, raised.value.field) == (where, field)
