"""The local Step Functions interpreter on definitions shaped like the sync construct's.

The definitions below are written by hand (independent of the construct): one EXPRESS state
machine in JSONata that routes a DynamoDB stream record on ``eventName``, sets or deletes the
item in Momento through HTTP tasks, announces the change on a topic, retries throttling and
server errors, and turns a change that still fails into an SQS dead letter naming its keys.

A pipe always starts the execution with a JSON array, even with batch size 1
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html),
so the definitions read ``$states.input[0]``.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from momento_eventbridge_constructs.engine._sfn_errors import error_matches
from momento_eventbridge_constructs.engine._sfn_http import build_request
from momento_eventbridge_constructs.engine.stepfunctions import (
    DefinitionError,
    ExecutionResult,
    HttpRequest,
    HttpResponse,
    InvalidExecutionInput,
    StateMachineInterpreter,
    StatesError,
    urllib_transport,
)
from momento_eventbridge_constructs.local.momento_server import LocalMomentoServer

START = datetime(2026, 11, 28, 12, 0, 0, 250_000, tzinfo=timezone.utc)
START_EPOCH = int(START.timestamp())
CONNECTION_ARN = "arn:aws:events:us-west-2:123456789012:connection/momento/0a1b2c"
API_KEY = "test-api-key"
ENDPOINT = "https://api.cache.cell-4-us-west-2-1.prod.a.momentohq.com"
CACHE = "weather-cache"
TOPIC = "weather-topic"
QUEUE_URL = "https://sqs.us-west-2.amazonaws.com/123456789012/sync-dlq"

RECORD = "$states.input[0]"
KEY = "{% $join([$record.dynamodb.Keys.pk.S, $record.dynamodb.Keys.sk.S], '#') %}"
EXPIRES = f"$number({RECORD}.dynamodb.NewImage.expiresAt.N)"
STARTED = "$floor($toMillis($states.context.Execution.StartTime) / 1000)"
RETRYABLE = [
    "States.Http.StatusCode.429",
    "States.Http.StatusCode.500",
    "States.Http.StatusCode.502",
    "States.Http.StatusCode.503",
    "States.Http.StatusCode.504",
    "States.Http.Socket",
    "States.Timeout",
]
RETRY = [
    {
        "ErrorEquals": RETRYABLE,
        "IntervalSeconds": 1,
        "BackoffRate": 2.0,
        "MaxAttempts": 3,
        "MaxDelaySeconds": 3,
    }
]
CATCH = [
    {
        "ErrorEquals": ["States.ALL"],
        "Next": "DeadLetter",
        "Assign": {"failure": "{% $states.errorOutput %}"},
    }
]
AUTH = {"ConnectionArn": CONNECTION_ARN}


def _http_task(method: str, path: str, next_state: str, **arguments: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::http:invoke",
        "Arguments": {
            "ApiEndpoint": f"{ENDPOINT}{path}",
            "Method": method,
            "Authentication": AUTH,
            **arguments,
        },
        "TimeoutSeconds": 10,
        "Retry": RETRY,
        "Catch": CATCH,
        "Next": next_state,
    }


SYNC_DEFINITION: dict[str, Any] = {
    "Comment": "Set or delete one changed item in Momento, then announce it",
    "QueryLanguage": "JSONata",
    "StartAt": "Route",
    "States": {
        "Route": {
            "Type": "Choice",
            "Assign": {"record": f"{{% {RECORD} %}}"},
            "Choices": [
                {"Condition": f"{{% {RECORD}.eventName = 'REMOVE' %}}", "Next": "Delete"},
                {"Condition": f"{{% {EXPIRES} <= {STARTED} %}}", "Next": "Delete"},
            ],
            "Default": "Set",
        },
        "Set": _http_task(
            "PUT",
            f"/cache/{CACHE}",
            "Publish",
            QueryParameters={
                "key": KEY,
                "ttl_seconds": f"{{% $string($min([{EXPIRES} - {STARTED}, 86400])) %}}",
            },
            RequestBody="{% $record.dynamodb.NewImage %}",
        ),
        "Delete": _http_task("DELETE", f"/cache/{CACHE}", "Publish", QueryParameters={"key": KEY}),
        "Publish": _http_task(
            "POST",
            f"/topics/{CACHE}/{TOPIC}",
            "Done",
            Headers={"Content-Type": "text/plain"},
            RequestBody={
                "eventName": "{% $record.eventName %}",
                "key": KEY,
                "sequenceNumber": "{% $record.dynamodb.SequenceNumber %}",
            },
        ),
        "DeadLetter": {
            "Type": "Task",
            "Resource": "arn:aws:states:::sqs:sendMessage",
            "Arguments": {
                "QueueUrl": QUEUE_URL,
                "MessageBody": {
                    "table": "weather",
                    "keys": "{% $record.dynamodb.Keys %}",
                    "eventName": "{% $record.eventName %}",
                    "sequenceNumber": "{% $record.dynamodb.SequenceNumber %}",
                    "error": "{% $failure.Error %}",
                    "cause": "{% $failure.Cause %}",
                },
            },
            "Output": {"deadLettered": True},
            "Next": "Done",
        },
        "Done": {"Type": "Succeed"},
    },
}


def record(event_name: str, *, expires_at: int | None = None) -> dict[str, Any]:
    """A stream record of a table with keys ``pk`` (S) and ``sk`` (S)."""
    keys = {"pk": {"S": "station-7"}, "sk": {"S": "2026-11-28"}}
    dynamodb: dict[str, Any] = {"Keys": keys, "SequenceNumber": "4200000000000000001"}
    if event_name != "REMOVE":
        image = {**keys, "maxTemp": {"N": "21"}}
        if expires_at is not None:
            image["expiresAt"] = {"N": str(expires_at)}
        dynamodb["NewImage"] = image
    return {"eventName": event_name, "eventSource": "aws:dynamodb", "dynamodb": dynamodb}


@dataclass
class FakeTime:
    """A clock that moves only when the interpreter sleeps or a fake call takes time."""

    now: datetime = START
    sleeps: list[float] = field(default_factory=list)

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)


@dataclass
class FakeMomento:
    """An HTTP transport that keeps items and messages; answers may be scripted per method."""

    time: FakeTime
    items: dict[str, tuple[bytes, int]] = field(default_factory=dict)
    messages: list[bytes] = field(default_factory=list)
    requests: list[HttpRequest] = field(default_factory=list)
    scripted: dict[str, list[int | Exception]] = field(default_factory=dict)
    call_seconds: float = 0.0

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        self.time.now += timedelta(seconds=self.call_seconds)
        script = self.scripted.get(request.method)
        if script:
            answer = script.pop(0)
            if isinstance(answer, Exception):
                raise answer
            return HttpResponse(answer, "Scripted", [("Content-Type", "text/plain")], b"nope")
        return self._serve(request)

    def _serve(self, request: HttpRequest) -> HttpResponse:
        parts = urlsplit(request.url)
        query = {name: values[0] for name, values in parse_qs(parts.query).items()}
        if request.method == "PUT":
            self.items[query["key"]] = (request.body or b"", int(query["ttl_seconds"]))
        elif request.method == "DELETE":
            self.items.pop(query["key"], None)
        elif request.method == "POST":
            self.messages.append(request.body or b"")
        return HttpResponse(204, "No Content")

    def calls(self, method: str) -> list[HttpRequest]:
        return [request for request in self.requests if request.method == method]


@dataclass
class Harness:
    time: FakeTime
    momento: FakeMomento
    dead_letters: list[dict[str, Any]]
    interpreter_for: Callable[..., StateMachineInterpreter]

    def run(self, payload: Any, definition: Mapping[str, Any] = SYNC_DEFINITION) -> ExecutionResult:
        return self.interpreter_for(definition).start_sync_execution(payload)


@pytest.fixture()
def harness() -> Iterator[Harness]:
    time = FakeTime()
    momento = FakeMomento(time)
    dead_letters: list[dict[str, Any]] = []

    def send_message(request: dict[str, Any]) -> Mapping[str, Any]:
        dead_letters.append(request)
        return {"MessageId": f"m-{len(dead_letters)}", "ResponseMetadata": {"HTTPStatusCode": 200}}

    def interpreter_for(definition: Mapping[str, Any], **options: Any) -> StateMachineInterpreter:
        return StateMachineInterpreter(
            definition,
            http=momento,
            connection_headers=lambda arn: (
                {"Authorization": API_KEY} if arn == CONNECTION_ARN else {}
            ),
            send_message=send_message,
            sleep=time.sleep,
            clock=time.clock,
            **options,
        )

    yield Harness(time, momento, dead_letters, interpreter_for)


def minimal(states: dict[str, Any], **top: Any) -> dict[str, Any]:
    """A JSONata definition starting at the first of ``states``."""
    return {"QueryLanguage": "JSONata", "StartAt": next(iter(states)), "States": states, **top}


# -- the sync definition ------------------------------------------------------------------


def test_insert_sets_the_item_under_its_composite_key_for_the_time_left(harness: Harness) -> None:
    result = harness.run([record("INSERT", expires_at=START_EPOCH + 120)])

    assert result.status == "SUCCEEDED", result.cause
    (put,) = harness.momento.calls("PUT")
    assert "key=station-7%232026-11-28" in put.url  # '#' must not start a URL fragment
    assert put.headers["Authorization"] == API_KEY
    assert put.connection_arn == CONNECTION_ARN
    assert put.timeout == 10  # the state's TimeoutSeconds, below the HTTP task's 60 s
    body, ttl = harness.momento.items["station-7#2026-11-28"]
    assert ttl == 120
    assert (
        json.loads(body) == record("INSERT", expires_at=START_EPOCH + 120)["dynamodb"]["NewImage"]
    )
    (message,) = harness.momento.messages
    assert json.loads(message) == {
        "eventName": "INSERT",
        "key": "station-7#2026-11-28",
        "sequenceNumber": "4200000000000000001",
    }
    assert harness.momento.calls("POST")[0].headers["Content-Type"] == "text/plain"


def test_remove_deletes_the_item_and_announces_it(harness: Harness) -> None:
    harness.momento.items["station-7#2026-11-28"] = (b"old", 60)

    result = harness.run([record("REMOVE")])

    assert result.status == "SUCCEEDED", result.cause
    assert harness.momento.items == {}
    assert [request.method for request in harness.momento.requests] == ["DELETE", "POST"]
    assert json.loads(harness.momento.messages[0])["eventName"] == "REMOVE"


def test_an_item_whose_epoch_ttl_has_passed_is_deleted_not_set(harness: Harness) -> None:
    harness.momento.items["station-7#2026-11-28"] = (b"old", 60)

    result = harness.run([record("MODIFY", expires_at=START_EPOCH - 1)])

    assert result.status == "SUCCEEDED", result.cause
    assert harness.momento.calls("PUT") == []
    assert harness.momento.items == {}


def test_a_throttled_set_is_retried_with_backoff_then_succeeds(harness: Harness) -> None:
    harness.momento.scripted["PUT"] = [429, 429]

    result = harness.run([record("INSERT", expires_at=START_EPOCH + 600)])

    assert result.status == "SUCCEEDED", result.cause
    assert len(harness.momento.calls("PUT")) == 3
    assert harness.time.sleeps == [1.0, 2.0]
    # The time left is computed from the execution's start, not from the retry's.
    assert harness.momento.items["station-7#2026-11-28"][1] == 600
    assert harness.dead_letters == []


def test_a_change_still_failing_after_its_retries_becomes_a_dead_letter(harness: Harness) -> None:
    harness.momento.scripted["PUT"] = [503, 503, 503, 503]

    result = harness.run([record("MODIFY", expires_at=START_EPOCH + 60)])

    assert result.status == "SUCCEEDED", result.cause
    assert result.output_value() == {"deadLettered": True}
    assert len(harness.momento.calls("PUT")) == 4  # the first attempt and MaxAttempts 3
    assert harness.time.sleeps == [1.0, 2.0, 3.0]  # 4 s capped by MaxDelaySeconds
    assert harness.momento.calls("POST") == []  # nothing is announced for a failed change
    (letter,) = harness.dead_letters
    assert letter["QueueUrl"] == QUEUE_URL
    body = json.loads(letter["MessageBody"])
    assert body["table"] == "weather"
    assert body["keys"] == {"pk": {"S": "station-7"}, "sk": {"S": "2026-11-28"}}
    assert body["eventName"] == "MODIFY"
    assert body["sequenceNumber"] == "4200000000000000001"
    assert body["error"] == "States.Http.StatusCode.503"
    assert json.loads(body["cause"])["StatusCode"] == 503


def test_a_failed_announcement_is_caught_and_the_item_stays_set(harness: Harness) -> None:
    harness.momento.scripted["POST"] = [400]  # not retryable

    result = harness.run([record("INSERT", expires_at=START_EPOCH + 60)])

    assert result.status == "SUCCEEDED", result.cause
    assert "station-7#2026-11-28" in harness.momento.items
    assert len(harness.momento.calls("POST")) == 1
    (letter,) = harness.dead_letters
    assert json.loads(letter["MessageBody"])["error"] == "States.Http.StatusCode.400"


def test_a_slow_call_times_out_and_is_retried(harness: Harness) -> None:
    harness.momento.call_seconds = 11  # above the task's TimeoutSeconds of 10

    result = harness.run([record("REMOVE")])

    assert result.status == "SUCCEEDED"
    assert len(harness.momento.calls("DELETE")) == 4
    assert json.loads(harness.dead_letters[0]["MessageBody"])["error"] == "States.Timeout"


@pytest.mark.parametrize(
    ("timeout_seconds", "error"), [(10, "States.Timeout"), (90, "States.Http.Socket")]
)
def test_a_transport_timeout_is_named_after_the_limit_that_fired(
    harness: Harness, timeout_seconds: int, error: str
) -> None:
    definition = copy.deepcopy(SYNC_DEFINITION)
    definition["States"]["Delete"]["TimeoutSeconds"] = timeout_seconds
    definition["States"]["Delete"]["Retry"] = []
    harness.momento.scripted["DELETE"] = [TimeoutError("read timed out")]

    result = harness.run([record("REMOVE")], definition)

    (delete,) = harness.momento.calls("DELETE")
    assert delete.timeout == min(timeout_seconds, 60)
    assert json.loads(harness.dead_letters[0]["MessageBody"])["error"] == error
    assert result.status == "SUCCEEDED"


def test_a_refused_connection_is_an_http_socket_error(harness: Harness) -> None:
    harness.momento.scripted["DELETE"] = [ConnectionRefusedError("refused")] * 4

    harness.run([record("REMOVE")])

    assert len(harness.momento.calls("DELETE")) == 4
    assert json.loads(harness.dead_letters[0]["MessageBody"])["error"] == "States.Http.Socket"


# -- states, expressions and errors -------------------------------------------------------


def test_a_fail_state_fails_the_execution_with_its_error_and_cause(harness: Harness) -> None:
    definition = minimal(
        {
            "Check": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $count($states.input) = 1 %}", "Next": "Ok"}],
                "Default": "Reject",
            },
            "Ok": {"Type": "Succeed"},
            "Reject": {
                "Type": "Fail",
                "Error": "Sync.BatchTooLarge",
                "Cause": "{% 'got ' & $string($count($states.input)) & ' records' %}",
            },
        }
    )

    result = harness.run([record("INSERT"), record("REMOVE")], definition)

    assert (result.status, result.error, result.cause) == (
        "FAILED",
        "Sync.BatchTooLarge",
        "got 2 records",
    )
    assert result.output is None
    assert harness.run([record("INSERT")], definition).status == "SUCCEEDED"


def test_no_matching_choice_without_default_fails(harness: Harness) -> None:
    definition = minimal(
        {
            "Route": {"Type": "Choice", "Choices": [{"Condition": "{% false %}", "Next": "End"}]},
            "End": {"Type": "Succeed"},
        }
    )

    result = harness.run([], definition)

    assert (result.status, result.error) == ("FAILED", "States.NoChoiceMatched")


def test_a_path_missing_from_the_record_is_a_query_evaluation_error(harness: Harness) -> None:
    definition = minimal(
        {
            "Body": {
                "Type": "Pass",
                "Output": "{% $states.input[0].dynamodb.NewImage %}",
                "End": True,
            }
        }
    )

    result = harness.run([record("REMOVE")], definition)

    assert (result.status, result.error) == ("FAILED", "States.QueryEvaluationError")
    assert "Output" in (result.cause or "")


def test_variables_are_visible_from_the_next_state_on(harness: Harness) -> None:
    definition = minimal(
        {
            "First": {"Type": "Pass", "Assign": {"count": 1}, "Next": "Second"},
            "Second": {
                "Type": "Pass",
                # Every expression of Assign and Output sees the values from before the state.
                "Assign": {"before": "{% $count %}", "count": 5, "nothing": None},
                "Output": {"seen": "{% $count %}"},
                "Next": "Third",
            },
            "Third": {
                "Type": "Succeed",
                "Output": {
                    "seen": "{% $states.input.seen %}",
                    "before": "{% $before %}",
                    "count": "{% $count %}",
                    "nothingIsNull": "{% $nothing = null %}",
                },
            },
        }
    )

    result = harness.run({}, definition)

    assert result.output_value() == {"seen": 1, "before": 1, "count": 5, "nothingIsNull": True}


def test_a_matching_choice_rule_brings_its_own_output_and_assign(harness: Harness) -> None:
    definition = minimal(
        {
            "Route": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Condition": "{% $states.input[0].eventName = 'REMOVE' %}",
                        "Assign": {"route": "delete"},
                        "Output": {"keys": "{% $states.input[0].dynamodb.Keys %}"},
                        "Next": "End",
                    }
                ],
                "Default": "End",
            },
            "End": {
                "Type": "Succeed",
                "Output": {"route": "{% $route %}", "in": "{% $states.input %}"},
            },
        }
    )

    result = harness.run([record("REMOVE")], definition)

    assert result.output_value() == {
        "route": "delete",
        "in": {"keys": record("REMOVE")["dynamodb"]["Keys"]},
    }


def test_context_and_clock_functions_read_the_injected_clock(harness: Harness) -> None:
    definition = minimal(
        {
            "Now": {
                "Type": "Pass",
                "Output": {
                    "millis": "{% $millis() %}",
                    "now": "{% $now() %}",
                    "start": "{% $states.context.Execution.StartTime %}",
                    "state": "{% $states.context.State.Name %}",
                    "input": "{% $states.context.Execution.Input %}",
                },
                "End": True,
            }
        }
    )

    result = harness.run([1], definition)

    assert result.output_value() == {
        "millis": int(START.timestamp() * 1000),
        "now": "2026-11-28T12:00:00.250Z",
        "start": "2026-11-28T12:00:00.250Z",
        "state": "Now",
        "input": [1],
    }
    assert ":express:local:" in result.execution_arn


def test_the_http_result_has_the_documented_shape(harness: Harness) -> None:
    def answer(request: HttpRequest) -> HttpResponse:
        headers = [("Content-Type", "application/json"), ("Set-Cookie", "a"), ("Set-Cookie", "b")]
        return HttpResponse(200, "OK", headers, b'{"value": 1}')

    definition = minimal(
        {
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::http:invoke",
                "Arguments": {"ApiEndpoint": ENDPOINT, "Method": "GET", "Authentication": AUTH},
                "Output": "{% $states.result %}",
                "End": True,
            }
        }
    )
    interpreter = StateMachineInterpreter(definition, http=answer)

    result = interpreter.start_sync_execution([])

    assert result.output_value() == {
        "Headers": {"Content-Type": ["application/json"], "Set-Cookie": ["a", "b"]},
        "ResponseBody": {"value": 1},
        "StatusCode": 200,
        "StatusText": "OK",
    }


def test_a_catcher_without_output_passes_the_error_output_on(harness: Harness) -> None:
    harness.momento.scripted["DELETE"] = [404]
    definition = minimal(
        {
            "Delete": {
                **_http_task("DELETE", f"/cache/{CACHE}", "Done"),
                "Catch": [
                    {"ErrorEquals": ["States.Http.StatusCode.500"], "Next": "Wrong"},
                    {"ErrorEquals": ["States.TaskFailed"], "Next": "Done"},
                ],
                "Arguments": {"ApiEndpoint": ENDPOINT, "Method": "DELETE", "Authentication": AUTH},
            },
            "Wrong": {"Type": "Fail", "Error": "Wrong"},
            "Done": {"Type": "Succeed"},
        }
    )

    result = harness.run([], definition)

    output = result.output_value()
    assert output["Error"] == "States.Http.StatusCode.404"
    assert json.loads(output["Cause"])["ResponseBody"] == "nope"


def test_the_execution_times_out_after_its_timeout_seconds(harness: Harness) -> None:
    harness.momento.scripted["DELETE"] = [503] * 4
    definition = copy.deepcopy(SYNC_DEFINITION)
    definition["TimeoutSeconds"] = 2

    result = harness.run([record("REMOVE")], definition)

    assert (result.status, result.error) == ("TIMED_OUT", "States.Timeout")
    assert harness.time.sleeps == [1.0, 2.0]  # the deadline passes during the second wait
    assert harness.dead_letters == []


def test_an_output_over_256_kib_fails_even_with_a_catch_all(harness: Harness) -> None:
    definition = minimal(
        {
            "Big": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Arguments": {"QueueUrl": QUEUE_URL, "MessageBody": "x"},
                "Output": "{% $pad('', 300000, 'x') %}",
                "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Done"}],
                "Next": "Done",
            },
            "Done": {"Type": "Succeed"},
        }
    )

    result = harness.run([], definition)

    assert (result.status, result.error) == ("FAILED", "States.DataLimitExceeded")


def test_full_jitter_waits_a_random_part_of_the_delay(harness: Harness) -> None:
    harness.momento.scripted["DELETE"] = [500, 500, 500]
    definition = copy.deepcopy(SYNC_DEFINITION)
    definition["States"]["Delete"]["Retry"][0]["JitterStrategy"] = "FULL"

    harness.interpreter_for(definition, rng=random.Random(7)).start_sync_execution(
        [record("REMOVE")]
    )

    expected = random.Random(7)
    assert harness.time.sleeps == [expected.uniform(0, d) for d in (1.0, 2.0, 3.0)]
    assert all(0 <= s < d for s, d in zip(harness.time.sleeps, (1.0, 2.0, 3.0), strict=True))


def test_a_callable_may_name_its_error(harness: Harness) -> None:
    definition = minimal(
        {
            "Send": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Arguments": {"QueueUrl": QUEUE_URL, "MessageBody": {"a": 1}},
                "End": True,
            }
        }
    )

    def refuse(request: dict[str, Any]) -> Mapping[str, Any]:
        raise StatesError("SQS.QueueDoesNotExist", "no queue")

    def crash(request: dict[str, Any]) -> Mapping[str, Any]:
        raise RuntimeError("boom")

    named = StateMachineInterpreter(definition, send_message=refuse).start_sync_execution([])
    unnamed = StateMachineInterpreter(definition, send_message=crash).start_sync_execution([])

    assert (named.error, named.cause) == ("SQS.QueueDoesNotExist", "no queue")
    assert (unnamed.error, unnamed.cause) == ("States.TaskFailed", "RuntimeError: boom")


@pytest.mark.parametrize(
    ("error", "error_equals", "handled"),
    [
        ("States.Http.StatusCode.429", ["States.ALL"], True),
        ("States.Http.StatusCode.429", ["States.TaskFailed"], True),
        ("States.Timeout", ["States.TaskFailed"], False),
        ("States.Timeout", ["States.ALL"], True),
        ("States.Runtime", ["States.ALL"], False),
        ("States.Runtime", ["States.Runtime"], False),
        ("States.DataLimitExceeded", ["States.ALL"], False),
        ("States.DataLimitExceeded", ["States.DataLimitExceeded"], True),
        ("States.Http.StatusCode.404", ["States.Http.StatusCode.429"], False),
    ],
)
def test_error_name_matching(error: str, error_equals: list[str], handled: bool) -> None:
    assert error_matches(error, error_equals) is handled


def test_a_url_encoded_body_follows_the_array_format() -> None:
    request = build_request(
        {
            "ApiEndpoint": f"{ENDPOINT}/form?x=1",
            "Method": "post",
            "Authentication": AUTH,
            "QueryParameters": {"q": "a b"},
            "RequestBody": {"ids": [1, 2], "name": "n&m", "ok": True},
            "Transform": {
                "RequestBodyEncoding": "URL_ENCODED",
                "RequestEncodingOptions": {"ArrayFormat": "BRACKETS"},
            },
        },
        {"Authorization": API_KEY},
        60,
    )

    assert request.method == "POST"
    assert request.url == f"{ENDPOINT}/form?x=1&q=a%20b"
    assert request.body == b"ids%5B%5D=1&ids%5B%5D=2&name=n%26m&ok=true"
    assert request.headers == {
        "Content-Type": "application/x-www-form-urlencoded",
        "Authorization": API_KEY,
    }


# -- what is not emulated -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "field", "message"),
    [
        ({"Type": "Wait", "Seconds": 1, "End": True}, "Type", "'Wait' is not emulated"),
        ({"Type": "Parallel", "Branches": [], "End": True}, "Type", "not emulated"),
        (
            {"Type": "Pass", "ResultPath": "$.x", "End": True},
            "ResultPath",
            "is a JSONPath field",
        ),
        (
            {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True},
            "Resource",
            "is not emulated",
        ),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::http:invoke",
                "Arguments": {"ApiEndpoint": ENDPOINT, "Method": "GET"},
                "End": True,
            },
            "Arguments",
            "Authentication is required",
        ),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "HeartbeatSeconds": 5,
                "End": True,
            },
            "HeartbeatSeconds",
            "not emulated",
        ),
        ({"Type": "Pass", "Next": "Nowhere"}, "Next", "no state is named 'Nowhere'"),
        ({"Type": "Pass", "Assign": {"states": 1}, "End": True}, "Assign.states", "variable"),
        (
            {
                "Type": "Choice",
                "Output": 1,
                "Choices": [{"Condition": "{% true %}", "Output": 2, "Next": "Odd"}],
            },
            "Choices[0].Output",
            "together are not emulated",
        ),
    ],
)
def test_unsupported_definitions_name_the_state_and_the_field(
    state: dict[str, Any], field: str, message: str
) -> None:
    with pytest.raises(DefinitionError) as raised:
        StateMachineInterpreter(minimal({"Odd": state}), http=urllib_transport)

    assert raised.value.where == "state 'Odd'"
    assert raised.value.field == field
    assert message in str(raised.value)


def test_only_jsonata_definitions_are_accepted() -> None:
    definition = {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}

    with pytest.raises(DefinitionError, match=r"QueryLanguage.*must be JSONata"):
        StateMachineInterpreter(definition)


def test_states_all_must_come_last() -> None:
    task = _http_task("GET", "/", "Done")
    task["Retry"] = [{"ErrorEquals": ["States.ALL"]}, {"ErrorEquals": ["States.Timeout"]}]
    definition = minimal(
        {"Get": task, "Done": {"Type": "Succeed"}, "DeadLetter": {"Type": "Succeed"}}
    )

    with pytest.raises(DefinitionError, match=r"Retry\[0\]\.ErrorEquals"):
        StateMachineInterpreter(definition, http=urllib_transport)


def test_a_task_without_its_callable_is_refused_up_front() -> None:
    with pytest.raises(ValueError, match="'Set' is an HTTP task: pass http="):
        StateMachineInterpreter(SYNC_DEFINITION, send_message=lambda request: {})


def test_input_that_is_not_json_or_too_large_is_refused(harness: Harness) -> None:
    interpreter = harness.interpreter_for(minimal({"A": {"Type": "Succeed"}}))

    with pytest.raises(InvalidExecutionInput):
        interpreter.start_sync_execution({"when": datetime.now()})
    with pytest.raises(InvalidExecutionInput):
        interpreter.start_sync_execution(["x" * 300_000])


# -- end to end against the local Momento server ------------------------------------------


@pytest.mark.slow
def test_the_sync_definition_against_the_local_momento_server() -> None:
    with LocalMomentoServer(caches=[CACHE], api_keys=[API_KEY]) as server:
        server.inject_failures(429, 1, method="PUT")
        text = json.dumps(SYNC_DEFINITION).replace(ENDPOINT, server.endpoint)
        waits: list[float] = []
        interpreter = StateMachineInterpreter(
            text,
            http=urllib_transport,
            connection_headers=lambda arn: {"Authorization": API_KEY},
            send_message=lambda request: pytest.fail(f"unexpected dead letter {request}"),
            sleep=waits.append,
        )
        expires_at = int(datetime.now(timezone.utc).timestamp()) + 300

        result = interpreter.start_sync_execution([record("INSERT", expires_at=expires_at)])

        assert result.status == "SUCCEEDED", result.cause
        assert waits == [1.0]
        stored = server.items(CACHE)[b"station-7#2026-11-28"]
        assert json.loads(stored)["maxTemp"] == {"N": "21"}
        (message,) = server.published(CACHE, TOPIC)
        assert json.loads(message.text)["eventName"] == "INSERT"
