"""DynamoToMomentoSync: its template (snapshot, contract, IAM, nag, lint), its state machine
run by the local interpreter on single records, and every validation message."""

from __future__ import annotations

import itertools
import json
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from syrupy.assertion import SnapshotAssertion

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    DynamoToMomentoSync,
    MomentoConstructError,
    MomentoOperation,
    MomentoPayload,
)
from momento_eventbridge_constructs._asl import every_state
from momento_eventbridge_constructs._sync_definition import MESSAGE_BYTES
from momento_eventbridge_constructs.engine.stepfunctions import (
    HttpRequest,
    HttpResponse,
    StateMachineInterpreter,
)

from ._support import ENDPOINT, ENV, Template, destinations, only, resources
from .security._checks import lint, nag

CONNECTION_ARN = "arn:aws:events:us-west-2:123456789012:connection/m/1"
START = datetime(2026, 11, 28, 12, 0, 0, tzinfo=timezone.utc)


class Stacks:
    """The synthesized app: a composite-key sync with a topic, and a sync beside two pipes."""

    def __init__(self) -> None:
        self.app = cdk.App()
        stack = cdk.Stack(self.app, "Sync", env=ENV)
        table = dynamodb.Table(
            stack,
            "Readings",
            partition_key=dynamodb.Attribute(name="station", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="day", type=dynamodb.AttributeType.NUMBER),
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        )
        self.calls = destinations(stack)
        connection = self.calls[MomentoOperation.CACHE_SET].connection
        assert connection is not None
        self.sync = DynamoToMomentoSync(
            stack,
            "Sync",
            table=table,
            connection=connection,
            endpoint=ENDPOINT,
            cache_name="readings",
            topic_name="changes",
            ttl_epoch_attribute="expiresAt",
            # One record per execution: the snapshot still pins v0.2's template byte for byte.
            batch_size=1,
        )
        self.readers = self._readers()
        self.assembly = self.app.synth()

    def _readers(self) -> cdk.Stack:
        stack = cdk.Stack(self.app, "Readers", env=ENV)
        calls = destinations(stack)
        connection = calls[MomentoOperation.CACHE_SET].connection
        assert connection is not None
        for name, extra in (("Two", 1), ("Three", 2)):
            table = dynamodb.Table(
                stack,
                f"Table{name}",
                partition_key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING),
                stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            )
            DynamoToMomentoSync(
                stack,
                f"Sync{name}",
                table=table,
                connection=connection,
                endpoint=ENDPOINT,
                cache_name="c",
            )
            for index in range(extra):
                DynamoToMomentoPipe(
                    stack,
                    f"Pipe{name}{index}",
                    table=table,
                    destination=calls[MomentoOperation.CACHE_DELETE],
                    cache_name="c",
                )
        return stack

    def template(self, name: str = "Sync") -> Template:
        return self.assembly.get_stack_by_name(name).template  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def stacks() -> Stacks:
    return Stacks()


def test_full_template_snapshot(stacks: Stacks, template_snapshot: SnapshotAssertion) -> None:
    # The package's own extension (through the plugin's fixture) masks the template.
    assert stacks.template() == template_snapshot


def test_one_unfiltered_pipe_starts_the_express_state_machine_synchronously(
    stacks: Stacks,
) -> None:
    template = stacks.template()
    pipe = only(template, "AWS::Pipes::Pipe")
    machine_id = next(iter(resources(template, "AWS::StepFunctions::StateMachine")))
    assert pipe["Target"] == {"Fn::GetAtt": [machine_id, "Arn"]}
    assert pipe["TargetParameters"] == {
        "StepFunctionStateMachineParameters": {"InvocationType": "REQUEST_RESPONSE"}
    }
    source = pipe["SourceParameters"]
    assert "FilterCriteria" not in source  # a filtered-out record would leave the cache stale
    stream = source["DynamoDBStreamParameters"]
    assert (stream["BatchSize"], stream["ParallelizationFactor"]) == (1, 1)
    assert stream["MaximumRetryAttempts"] == 5
    assert only(template, "AWS::StepFunctions::StateMachine")["StateMachineType"] == "EXPRESS"


def test_http_tasks_are_bound_to_the_connection(stacks: Stacks) -> None:
    tasks = [
        state
        for _, state in every_state(stacks.sync.definition)
        if state.get("Resource") == "arn:aws:states:::http:invoke"
    ]
    assert len(tasks) == 3  # set, delete, publish
    resolve = cdk.Stack.of(stacks.sync).resolve
    connection = stacks.calls[MomentoOperation.CACHE_SET].connection
    assert connection is not None
    for task in tasks:
        assert resolve(task["Arguments"]["Authentication"]["ConnectionArn"]) == resolve(
            connection.connection_arn
        )
        assert task["Arguments"]["ApiEndpoint"].startswith(ENDPOINT + "/")


def statements(template: Template) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for resource_type in ("AWS::IAM::Role", "AWS::IAM::Policy"):
        for resource in resources(template, resource_type).values():
            properties = resource["Properties"]
            documents = [properties.get("PolicyDocument")] + [
                p["PolicyDocument"] for p in properties.get("Policies", [])
            ]
            for document in filter(None, documents):
                found.extend(document["Statement"])
    return found


def test_every_iam_statement_names_exact_resources(stacks: Stacks) -> None:
    by_sid = {s["Sid"]: s for s in statements(stacks.template())}
    assert set(by_sid) == {
        "ReadTableStream",
        "ListTableStreams",
        "StartStateMachine",
        "SendToDeadLetterQueue",
        "WriteLogs",
        "UseMomentoConnection",
        "ReadConnectionSecret",
        "InvokeMomentoCache",
        "InvokeMomentoTopic",
        "DeliverLogs",
    }
    for sid, statement in by_sid.items():
        if sid in ("DeliverLogs", "ListTableStreams"):  # no resource type: only "*" grants them
            assert statement["Resource"] == "*"
            continue
        assert "*" not in json.dumps(statement["Resource"]).replace(":*", ""), sid
    # One statement per Momento URL, each with only its own methods.
    for sid, url, methods in (
        ("InvokeMomentoCache", f"{ENDPOINT}/cache/readings", ["PUT", "DELETE"]),
        ("InvokeMomentoTopic", f"{ENDPOINT}/topics/readings/changes", ["POST"]),
    ):
        assert by_sid[sid]["Action"] == "states:InvokeHTTPEndpoint"
        assert by_sid[sid]["Condition"] == {
            "StringEquals": {"states:HTTPEndpoint": url, "states:HTTPMethod": methods}
        }
    assert by_sid["StartStateMachine"]["Action"] == "states:StartSyncExecution"
    assert by_sid["ReadConnectionSecret"]["Action"] == [
        "secretsmanager:GetSecretValue",
        "secretsmanager:DescribeSecret",
    ]


def test_both_roles_trust_only_their_service_in_this_account(stacks: Stacks) -> None:
    for resource in resources(stacks.template(), "AWS::IAM::Role").values():
        (trust,) = resource["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"]["Service"] in ("pipes.amazonaws.com", "states.amazonaws.com")
        assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": ENV.account}


def test_nag_and_lint_report_nothing(stacks: Stacks) -> None:
    # Findings on the user's own table (e.g. point-in-time recovery) are theirs to settle.
    assert [v for v in nag(stacks.app) if v.path.startswith("Sync/Sync/")] == []
    assert lint(stacks.template()) == []


def test_a_sync_counts_as_one_stream_reader(stacks: Stacks) -> None:
    from ._support import warnings

    paths = [path for path, text in warnings(stacks.assembly, "Readers") if "pipes read" in text]
    assert paths == ["/Readers/PipeThree1"]


# -- the state machine on single records (local interpreter, no servers) ---------------------


def literal(value: Any) -> Any:
    """The definition with every token (ARNs, the queue URL, the table name) made literal."""
    if isinstance(value, dict):
        return {k: literal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [literal(v) for v in value]
    if isinstance(value, str) and "${Token[" in value:
        return "arn:aws:local:token"
    return value


def run(
    definition: dict[str, Any], record: dict[str, Any], status: int = 204
) -> tuple[Any, list[HttpRequest]]:
    calls: list[HttpRequest] = []

    def http(request: HttpRequest) -> HttpResponse:
        calls.append(request)
        return HttpResponse(status, "Answer")

    interpreter = StateMachineInterpreter(
        literal(definition),
        http=http,
        connection_headers=lambda arn: {"Authorization": "k"},
        send_message=lambda request: {"MessageId": "1"},
        sleep=lambda seconds: None,
        clock=lambda: START,
    )
    return interpreter.start_sync_execution([record]), calls


def sync_definition(**props: Any) -> dict[str, Any]:
    stack = cdk.Stack(cdk.App(), "D", env=ENV)
    key = props.pop("key", dynamodb.Attribute(name="id", type=dynamodb.AttributeType.STRING))
    table = dynamodb.Table(
        stack, "T", partition_key=key, stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES
    )
    connection = destinations(stack)[MomentoOperation.CACHE_SET].connection
    assert connection is not None
    sync = DynamoToMomentoSync(
        stack, "S", table=table, connection=connection, endpoint=ENDPOINT, cache_name="c", **props
    )
    return sync.definition


def record(image: dict[str, Any] | None, event: str = "MODIFY", keys: Any = None) -> Any:
    dynamodb_part: dict[str, Any] = {
        "Keys": keys or {"id": {"S": "a"}},
        "SequenceNumber": "100",
    }
    if image is not None:
        dynamodb_part["NewImage"] = image
    return {"eventName": event, "dynamodb": dynamodb_part}


def query(request: HttpRequest) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


def test_relative_ttl_attribute_is_capped_and_defaults_to_max_ttl() -> None:
    definition = sync_definition(ttl_attribute="ttl", max_ttl=cdk.Duration.hours(2))
    _, calls = run(definition, record({"id": {"S": "a"}, "ttl": {"N": "90"}}))
    assert query(calls[0])["ttl_seconds"] == "90"
    _, calls = run(definition, record({"id": {"S": "a"}, "ttl": {"N": "999999"}}))
    assert query(calls[0])["ttl_seconds"] == "7200"
    _, calls = run(definition, record({"id": {"S": "a"}}))
    assert query(calls[0])["ttl_seconds"] == "7200"


def test_epoch_ttl_is_the_time_left_and_an_expired_item_is_deleted() -> None:
    definition = sync_definition(ttl_epoch_attribute="exp")
    now = int(START.timestamp())
    _, calls = run(definition, record({"id": {"S": "a"}, "exp": {"N": str(now + 300)}}))
    assert (calls[0].method, query(calls[0])["ttl_seconds"]) == ("PUT", "300")
    _, calls = run(definition, record({"id": {"S": "a"}, "exp": {"N": str(now - 1)}}))
    assert [c.method for c in calls] == ["DELETE"]


def test_fixed_ttl() -> None:
    definition = sync_definition(ttl=cdk.Duration.minutes(3))
    _, calls = run(definition, record({"id": {"S": "a"}}))
    assert query(calls[0])["ttl_seconds"] == "180"


def test_a_binary_key_goes_as_url_safe_key_base64() -> None:
    definition = sync_definition(
        key=dynamodb.Attribute(name="id", type=dynamodb.AttributeType.BINARY)
    )
    keys = {"id": {"B": "+/8="}}
    _, calls = run(definition, record({"id": {"B": "+/8="}}, keys=keys))
    assert query(calls[0]) == {"key_base64": "-_8=", "ttl_seconds": "3600"}


def test_change_notice_body_on_a_remove_without_topic() -> None:
    definition = sync_definition(value=MomentoPayload.change_notice())
    result, calls = run(definition, record(None, event="REMOVE"))
    assert result.status == "SUCCEEDED"
    assert [c.method for c in calls] == ["DELETE"]


# -- a batch: the last change of each key, every change announced ------------------------


def run_batch(
    definition: dict[str, Any], batch: list[dict[str, Any]], failing: str | None = None
) -> tuple[Any, list[HttpRequest], list[dict[str, Any]]]:
    """Run a batch; calls for the key ``failing`` answer 500 (retried, then dead-lettered)."""
    calls: list[HttpRequest] = []
    letters: list[dict[str, Any]] = []

    def http(request: HttpRequest) -> HttpResponse:
        calls.append(request)
        if failing is not None and query(request).get("key") == failing:
            return HttpResponse(500, "down")
        return HttpResponse(204, "")

    def send(request: dict[str, Any]) -> dict[str, Any]:
        letters.append(json.loads(request["MessageBody"]))
        return {"MessageId": str(len(letters))}

    interpreter = StateMachineInterpreter(
        tokens_replaced(definition),
        http=http,
        connection_headers=lambda arn: {"Authorization": "k"},
        send_message=send,
        sleep=lambda seconds: None,
        clock=lambda: START,
    )
    return interpreter.start_sync_execution(batch), calls, letters


def tokens_replaced(value: Any) -> Any:
    """The definition with each token replaced inside its string (expressions stay whole)."""
    if isinstance(value, dict):
        return {k: tokens_replaced(v) for k, v in value.items()}
    if isinstance(value, list):
        return [tokens_replaced(v) for v in value]
    if isinstance(value, str):
        return re.sub(r"\$\{Token\[[^\]]*\]\}", "token", value)
    return value


def change(key: str, sequence: int, event: str = "MODIFY", value: str = "") -> dict[str, Any]:
    image = None if event == "REMOVE" else {"id": {"S": key}, "v": {"S": value}}
    changed = record(image, event=event, keys={"id": {"S": key}})
    changed["dynamodb"]["SequenceNumber"] = str(sequence)
    return changed


BURST = [
    change("a", 1, "INSERT", "a1"),
    change("b", 2, "INSERT", "b1"),
    change("a", 3, "REMOVE"),
    change("c", 4, "INSERT", "c1"),
    change("a", 5, "INSERT", "a2"),
    change("b", 6, "REMOVE"),
]


def test_a_batch_applies_only_the_last_change_of_each_key() -> None:
    definition = sync_definition(batch_size=10)
    result, calls, letters = run_batch(definition, BURST)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output_value() == {"records": 6, "keys": 3}
    applied = {query(c)["key"]: (c.method, c.body) for c in calls}
    assert len(calls) == 3 and letters == []
    assert applied["a"][0] == "PUT" and "a2" in str(applied["a"][1]), applied["a"]
    assert applied["b"][0] == "DELETE"
    assert applied["c"][0] == "PUT"


def test_a_batch_is_announced_once_with_every_change_in_stream_order() -> None:
    definition = sync_definition(batch_size=10, topic_name="t")
    result, calls, _ = run_batch(definition, BURST)
    assert result.status == "SUCCEEDED", result.cause
    assert result.output_value() == {"records": 6, "keys": 3}
    (publish,) = [c for c in calls if c.method == "POST"]
    message = json.loads(publish.body or b"")
    assert [int(n["sequenceNumber"]) for n in message["changes"]] == [1, 2, 3, 4, 5, 6]
    assert [n["eventName"] for n in message["changes"]] == [c["eventName"] for c in BURST]
    assert [n["keys"] for n in message["changes"]] == [c["dynamodb"]["Keys"] for c in BURST]
    assert calls[-1] is publish  # after every key's write
    assert len(calls) == 4  # three keys, one announcement


def test_a_failed_key_is_left_out_of_the_announcement_and_kept_in_its_dead_letter() -> None:
    definition = sync_definition(batch_size=10, topic_name="t")
    result, calls, letters = run_batch(definition, BURST, failing="a")
    assert result.status == "SUCCEEDED", result.cause
    (publish,) = [c for c in calls if c.method == "POST"]
    announced = json.loads(publish.body or b"")["changes"]
    assert [n["sequenceNumber"] for n in announced] == ["2", "4", "6"]
    (letter,) = letters
    assert [c["sequenceNumber"] for c in letter["changes"]] == ["1", "3", "5"]


def test_a_batch_whose_keys_all_fail_announces_nothing() -> None:
    burst = [change("a", 1, "INSERT", "a1"), change("a", 2, "REMOVE")]
    result, calls, letters = run_batch(
        sync_definition(batch_size=10, topic_name="t"), burst, failing="a"
    )
    assert result.status == "SUCCEEDED", result.cause
    assert [c.method for c in calls] == ["DELETE"] * 4 and len(letters) == 1


def test_an_announcement_failing_every_retry_is_one_dead_letter_with_the_batch() -> None:
    calls: list[HttpRequest] = []
    letters: list[dict[str, Any]] = []

    def http(request: HttpRequest) -> HttpResponse:
        calls.append(request)
        return HttpResponse(503 if request.method == "POST" else 204, "")

    def send(request: dict[str, Any]) -> dict[str, Any]:
        letters.append(json.loads(request["MessageBody"]))
        return {"MessageId": "1"}

    interpreter = StateMachineInterpreter(
        tokens_replaced(sync_definition(batch_size=10, topic_name="t")),
        http=http,
        connection_headers=lambda arn: {"Authorization": "k"},
        send_message=send,
        sleep=lambda seconds: None,
        clock=lambda: START,
    )
    result = interpreter.start_sync_execution(BURST)
    assert result.status == "SUCCEEDED", result.cause
    assert [c.method for c in calls].count("POST") == 4  # retried as any call
    (letter,) = letters
    assert letter["source"] == "DynamoToMomentoSync" and letter["stage"] == "announce"
    assert letter["error"] == "States.Http.StatusCode.503"
    assert [c["sequenceNumber"] for c in letter["changes"]] == ["1", "2", "3", "4", "5", "6"]
    assert letter["sequenceNumber"] == "6"
    assert letter["changes"][0]["keys"] == {"id": {"S": "a"}}


def test_a_key_that_still_fails_is_one_dead_letter_with_all_its_changes() -> None:
    definition = sync_definition(batch_size=6, max_concurrency=2)
    result, calls, letters = run_batch(definition, BURST, failing="a")
    assert result.status == "SUCCEEDED", result.cause
    (letter,) = letters
    assert letter["momentoKey"] == "a" and letter["stage"] == "cache"
    assert letter["sequenceNumber"] == "5" and letter["eventName"] == "INSERT"
    assert [c["sequenceNumber"] for c in letter["changes"]] == ["1", "3", "5"]
    assert [c["eventName"] for c in letter["changes"]] == ["INSERT", "REMOVE", "INSERT"]
    assert letter["error"] == "States.Http.StatusCode.500"
    assert len([c for c in calls if query(c)["key"] == "a"]) == 4  # retried as with one record
    assert {query(c)["key"] for c in calls} == {"a", "b", "c"}


def test_the_largest_batch_stays_inside_the_output_limit() -> None:
    """100 records of about 2.5 KB each: the batch is under 262,144 characters, and no state's
    output holds more than it."""
    definition = sync_definition(batch_size=100, max_concurrency=34, topic_name="t")
    batch = [change(f"k{i % 60}", i, "MODIFY", "x" * 2400) for i in range(100)]
    assert len(json.dumps(batch)) < 262_144
    result, calls, letters = run_batch(definition, batch)
    assert result.status == "SUCCEEDED", result.cause
    assert len([c for c in calls if c.method == "PUT"]) == 60
    messages = [c.body or b"" for c in calls if c.method == "POST"]
    assert all(len(message) <= MESSAGE_BYTES for message in messages)
    announced = [n for message in messages for n in json.loads(message)["changes"]]
    assert [int(n["sequenceNumber"]) for n in announced] == list(range(100)) and letters == []
    # Packed: each message but the last is full (the next notice would not have fitted).
    assert len(messages) > 1
    for message, following in itertools.pairwise(messages):
        first = json.dumps(json.loads(following)["changes"][0], separators=(",", ":"))
        assert len(message) + 1 + len(first.encode()) > MESSAGE_BYTES


# -- validation: one test per message ---------------------------------------------------------


@pytest.fixture(scope="module")
def world() -> Any:
    stack = cdk.Stack(cdk.App(), "V", env=ENV)
    composite = dynamodb.Table(
        stack,
        "Composite",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        sort_key=dynamodb.Attribute(name="sk", type=dynamodb.AttributeType.BINARY),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    )
    keys_only = dynamodb.Table(
        stack,
        "KeysOnly",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.KEYS_ONLY,
    )
    no_stream = dynamodb.Table(
        stack,
        "NoStream",
        partition_key=dynamodb.Attribute(name="pk", type=dynamodb.AttributeType.STRING),
    )
    imported = dynamodb.Table.from_table_attributes(
        stack,
        "Imported",
        table_name="t",
        table_stream_arn="arn:aws:dynamodb:us-west-2:123456789012:table/t/stream/x",
    )
    connection = destinations(stack)[MomentoOperation.CACHE_SET].connection
    ids = iter(range(1000))

    def make(table: Any = keys_only, **props: Any) -> DynamoToMomentoSync:
        options: dict[str, Any] = {
            "table": table,
            "connection": connection,
            "endpoint": ENDPOINT,
            "cache_name": "c",
        }
        options.update(props)
        return DynamoToMomentoSync(stack, f"S{next(ids)}", **options)

    return {
        "make": make,
        "composite": composite,
        "no_stream": no_stream,
        "imported": imported,
    }


@pytest.mark.parametrize(
    ("case", "props", "prop", "rule"),
    [
        ("keys_only", {"table": "t"}, "table", "ITable with a stream"),
        ("keys_only", {"connection": "c"}, "connection", "a MomentoConnection"),
        ("keys_only", {"endpoint": "http://x"}, "endpoint", "https"),
        ("keys_only", {"cache_name": "a b"}, "cache_name", "URL path segment"),
        ("keys_only", {"topic_name": ""}, "topic_name", "must not be empty"),
        ("keys_only", {"key_separator": ""}, "key_separator", "printable characters"),
        ("keys_only", {"value": MomentoPayload.new_image()}, "value", "does not record NewImage"),
        (
            "keys_only",
            {"value": MomentoPayload.from_template('{"a": <$.eventName>}')},
            "value",
            "no JSONata form",
        ),
        (
            "keys_only",
            {"ttl": cdk.Duration.hours(25), "value": MomentoPayload.change_notice()},
            "ttl",
            "from 1 second to 86400",
        ),
        (
            "keys_only",
            {"ttl": cdk.Duration.hours(1), "ttl_attribute": "t"},
            "ttl_attribute",
            "are exclusive",
        ),
        ("keys_only", {"ttl_epoch_attribute": "a b"}, "ttl_epoch_attribute", "letters, digits"),
        ("keys_only", {"key_attributes": ["other"]}, "key_attributes", "key attributes in order"),
        ("keys_only", {"key_attributes": "pk"}, "key_attributes", "list of one or two"),
        ("composite", {"key_attributes": ["pk"]}, "key_attributes", "key attributes in order"),
        ("composite", {}, "key_attributes", "not part of a composite key"),
        ("no_stream", {}, "table", "has no stream"),
        ("imported", {}, "partition_key", "is required: the table is imported"),
        ("imported", {"key_attributes": ["pk"]}, "partition_key", "CDK does not know its key"),
        ("keys_only", {"max_retry_attempts": -1}, "max_retry_attempts", "from 0 to 10000"),
        ("keys_only", {"log_level": "LOUD"}, "log_level", "LogLevel.OFF"),
        ("keys_only", {"role": "r"}, "role", "aws_iam.IRole"),
        *[
            ("keys_only", {"value": MomentoPayload.change_notice(), **props}, prop, rule)
            for props, prop, rule in (
                ({"batch_size": 0}, "batch_size", "from 1 to 100"),
                ({"batch_size": 101}, "batch_size", "from 1 to 100"),
                ({"batch_size": 2.0}, "batch_size", "whole number from 1 to 100"),
                ({"batch_size": 100}, "batch_size", "raise max_concurrency to at least 34"),
                (
                    {"batch_size": 50, "max_concurrency": 12},
                    "batch_size",
                    "takes 5 rounds of retries",
                ),
                ({"batch_size": 10, "max_concurrency": 41}, "max_concurrency", "from 1 to 40"),
                ({"batch_size": 10, "max_concurrency": 0}, "max_concurrency", "from 1 to 40"),
                (
                    {"batch_size": 1, "max_concurrency": 5},
                    "max_concurrency",
                    "only with batch_size above 1",
                ),
                (
                    {"batch_size": 10, "max_batching_window": cdk.Duration.seconds(301)},
                    "max_batching_window",
                    "from 0 to 300 seconds",
                ),
                (
                    {"max_batching_window": cdk.Duration.millis(1500)},
                    "max_batching_window",
                    "whole number of seconds",
                ),
                ({"max_batching_window": 5}, "max_batching_window", "aws_cdk.Duration"),
            )
        ],
    ],
)
def test_invalid_props(world: Any, case: str, props: dict[str, Any], prop: str, rule: str) -> None:
    table = {"composite": world["composite"], "no_stream": world["no_stream"]}.get(case)
    if case == "imported":
        table = world["imported"]
    arguments = {"table": table} if table is not None else {}
    arguments.update(props)
    with pytest.raises(MomentoConstructError) as raised:
        world["make"](**arguments)
    assert raised.value.prop == prop, str(raised.value)
    assert re.search(re.escape(rule), raised.value.rule), str(raised.value)


def _stream_parameters(sync: DynamoToMomentoSync) -> dict[str, Any]:
    properties = cdk.Stack.of(sync).resolve(sync.pipe._cfn_properties)
    return properties["sourceParameters"]["dynamoDbStreamParameters"]  # type: ignore[no-any-return]


def test_batch_size_and_window_reach_the_pipe(world: Any) -> None:
    sync = world["make"](
        value=MomentoPayload.change_notice(),
        batch_size=30,
        max_concurrency=10,
        max_batching_window=cdk.Duration.seconds(5),
    )
    stream = _stream_parameters(sync)
    assert stream["batchSize"] == 30
    assert stream["maximumBatchingWindowInSeconds"] == 5
    assert stream["parallelizationFactor"] == 1
    apply_keys = sync.definition["States"]["ApplyKeys"]
    assert apply_keys["Type"] == "Map"
    assert apply_keys["MaxConcurrency"] == 10


def test_the_default_is_a_batch_of_ten_and_batch_size_one_the_one_record_definition(
    world: Any,
) -> None:
    default = world["make"](value=MomentoPayload.change_notice())
    assert _stream_parameters(default)["batchSize"] == 10
    assert default.definition["States"]["ApplyKeys"]["MaxConcurrency"] == 10
    given = world["make"](value=MomentoPayload.change_notice(), batch_size=1)
    stream = _stream_parameters(given)
    assert stream["batchSize"] == 1
    assert "maximumBatchingWindowInSeconds" not in stream
    # The rest of the one-record template is pinned by test_full_template_snapshot.
    assert given.definition["StartAt"] == "Read"
    assert "ApplyKeys" not in given.definition["States"]


def test_a_small_batch_runs_as_many_keys_at_once_as_it_has(world: Any) -> None:
    sync = world["make"](value=MomentoPayload.change_notice(), batch_size=4)
    assert sync.definition["States"]["ApplyKeys"]["MaxConcurrency"] == 4


def test_a_misspelt_delivery_option_fails_as_python_fails_a_keyword(world: Any) -> None:
    with pytest.raises(TypeError, match="unexpected keyword argument 'log_levl'"):
        world["make"](log_levl="INFO")


def test_a_role_given_to_the_sync_gets_the_pipe_policy(world: Any) -> None:
    stack = cdk.Stack.of(world["composite"])
    role = iam.Role.from_role_arn(stack, "Given", "arn:aws:iam::123456789012:role/given")
    sync = world["make"](role=role, value=MomentoPayload.change_notice())
    assert sync.role is role and sync.policy is not None
    assert sync.node.default_child is sync.pipe
