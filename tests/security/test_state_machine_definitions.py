"""Every state machine definition the constructs emit, checked by tools this project did not
write: asl-validator (npm, 4.x: the language's JSON schemas, JSONata parsed by the jsonata
package, transitions and terminal states) and cfn-lint's E3601 (the Step Functions schema
CloudFormation's linter keeps). Each definition is first resolved to the text Step Functions
receives (tests/_concrete.py): cfn-lint skips a ``DefinitionString`` that is an ``Fn::Join``.

The sync's definition varies with the topic, the TTL mode, the key (composite, one number, one
binary), the separator and the body; every variant is built here, plus the weather example's
WeatherSyncStack. Logging changes only the state machine's LoggingConfiguration, not the
definition; both are built so that stays true.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_secretsmanager as secretsmanager

from momento_eventbridge_constructs import (
    DynamoToMomentoSync,
    LogLevel,
    MomentoConnection,
    MomentoPayload,
)
from momento_eventbridge_constructs._asl import every_state
from momento_eventbridge_constructs._sync_config import DEFAULT_BATCH_SIZE
from momento_eventbridge_constructs.examples import weather

from .._checkers import run_checker
from .._concrete import definitions
from .._support import ENDPOINT, ENV
from ._checks import lint

S, N, B = (
    dynamodb.AttributeType.STRING,
    dynamodb.AttributeType.NUMBER,
    dynamodb.AttributeType.BINARY,
)

# Construct ID -> (partition key type, sort key type or None, props of DynamoToMomentoSync).
VARIANTS: dict[
    str, tuple[dynamodb.AttributeType, dynamodb.AttributeType | None, dict[str, Any]]
] = {
    "Plain": (S, None, {}),  # ttl: 1 hour, the default
    "FixedTtl": (S, None, {"ttl": cdk.Duration.minutes(5), "topic_name": "changes"}),
    "Topic": (S, None, {"topic_name": "changes"}),
    "RelativeTtl": (S, None, {"ttl_attribute": "ttl-seconds", "max_ttl": cdk.Duration.hours(2)}),
    "EpochTtl": (S, None, {"ttl_epoch_attribute": "expiresAt"}),
    "Composite": (S, N, {"topic_name": "changes", "ttl_epoch_attribute": "expiresAt"}),
    "Separator": (S, S, {"key_separator": '"\\|'}),
    "NumberKey": (N, None, {}),
    "BinaryKey": (B, None, {"topic_name": "changes"}),
    "Attributes": (
        S,
        None,
        {"value": MomentoPayload.from_attributes({"Max-Temp": "N", "City": "S"})},
    ),
    "ChangeNotice": (S, None, {"value": MomentoPayload.change_notice()}),
    "LogsOff": (S, None, {"log_level": LogLevel.OFF}),
    "LogsAll": (S, None, {"log_level": LogLevel.TRACE, "include_execution_data": True}),
    # batch_size above 1: a Map over the keys (and, with a topic, one announcement after it)
    "Default": (S, None, {"topic_name": "changes"}),  # the construct's default batch size
    "Batched": (S, None, {"batch_size": 10}),
    "BatchedLargest": (
        S,
        N,
        {
            "batch_size": 100,
            "max_concurrency": 34,
            "topic_name": "changes",
            "ttl_epoch_attribute": "expiresAt",
            "max_batching_window": cdk.Duration.seconds(300),
        },
    ),
    "BatchedBinaryKey": (B, None, {"batch_size": 2, "topic_name": "changes"}),
    "BatchedAttributes": (
        S,
        S,
        {
            "batch_size": 40,
            "max_concurrency": 40,
            "key_separator": '"\\|',
            "value": MomentoPayload.from_attributes({"Max-Temp": "N", "City": "S"}),
            "ttl_attribute": "ttl-seconds",
        },
    ),
}
WEATHER = "WeatherSyncStack"


def batch_size(variant: str, props: dict[str, Any]) -> int:
    """A variant's batch size: as given; else the construct's default for ``Default``, and
    the one-record definition (batch size 1) for the others."""
    return int(props.get("batch_size", DEFAULT_BATCH_SIZE if variant == "Default" else 1))


@dataclass(frozen=True)
class Broken:
    """A definition spoiled in one way the validator must catch."""

    base: str
    spoil: Callable[[dict[str, Any]], None]
    error: str  # a piece of the message asl-validator gives


def _set(path: list[str | int], value: Any) -> Callable[[dict[str, Any]], None]:
    def spoil(definition: dict[str, Any]) -> None:
        node: Any = definition
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return spoil


def _delete(path: list[str | int]) -> Callable[[dict[str, Any]], None]:
    def spoil(definition: dict[str, Any]) -> None:
        node: Any = definition
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]

    return spoil


# Each is one mistake a change to _sync_definition.py could make. The check is live only if
# every one of them is rejected.
BROKEN: dict[str, Broken] = {
    "jsonata-syntax": Broken(
        "Plain", _set(["States", "Read", "Assign", "key"], "{% $states.input[0].( %}"), "Assign"
    ),
    "jsonata-in-arguments": Broken(
        "Plain",
        _set(["States", "Set", "Arguments", "QueryParameters", "key"], "{% $key & %}"),
        "QueryParameters",
    ),
    "missing-next": Broken("Plain", _set(["States", "Set", "Next"], "Announce"), "Announce"),
    "no-terminal": Broken("Plain", _delete(["States", "Done"]), "Done"),
    "jsonpath-field-in-jsonata": Broken(
        "Topic", _set(["States", "Announce", "ResultPath"], "$.result"), "Announce"
    ),
    "condition-not-jsonata": Broken(
        "EpochTtl", _set(["States", "Route", "Choices", 0, "Condition"], "$record"), "Condition"
    ),
    "bad-resource-arn": Broken(
        "Plain", _set(["States", "DeadLetter", "Resource"], "states:::sqs:sendMessage"), "Resource"
    ),
    "unknown-field": Broken("Plain", _set(["States", "Read", "Parameters"], {}), "Read"),
    "map-items-syntax": Broken(
        "Batched", _set(["States", "ApplyKeys", "Items"], "{% [$states.input.( %}"), "Items"
    ),
    "map-without-processor": Broken(
        "Batched", _delete(["States", "ApplyKeys", "ItemProcessor"]), "ItemProcessor"
    ),
    "map-jsonpath-field": Broken(
        "Batched", _set(["States", "ApplyKeys", "ItemsPath"], "$.records"), "ApplyKeys"
    ),
    "inner-missing-next": Broken(
        "BatchedBinaryKey",
        _set(["States", "ApplyKeys", "ItemProcessor", "States", "Set", "Next"], "Nowhere"),
        "Nowhere",
    ),
}


class App:
    """One stack per variant (a table each), and the weather example's stacks."""

    def __init__(self) -> None:
        self.app = cdk.App(context={"region": ENV.region})
        for name, (partition, sort, props) in VARIANTS.items():
            stack = cdk.Stack(self.app, name, env=ENV)
            table = dynamodb.Table(
                stack,
                "Table",
                partition_key=dynamodb.Attribute(name="pk", type=partition),
                sort_key=dynamodb.Attribute(name="sk", type=sort) if sort else None,
                stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            )
            secret = secretsmanager.Secret.from_secret_name_v2(stack, "ApiKey", "momento-api-key")
            connection = MomentoConnection(stack, "Connection", api_key_secret=secret)
            DynamoToMomentoSync(
                stack,
                "Sync",
                table=table,
                connection=connection,
                endpoint=ENDPOINT,
                cache_name="cache",
                **{"batch_size": batch_size(name, props), **props},
            )
        weather.build_app(self.app)
        self.assembly = self.app.synth()
        self.definitions = definitions(self.assembly)
        self.definition = {name.split("/")[0]: d for name, d in self.definitions.items()}
        broken = {}
        for name, case in BROKEN.items():
            spoiled = copy.deepcopy(self.definition[case.base])
            case.spoil(spoiled)
            broken[f"broken:{name}"] = spoiled
        answer = run_checker("asl.mjs", {"definitions": {**self.definitions, **broken}})
        self.validator: str = answer["validator"]
        self.results: dict[str, list[str]] = answer["results"]


@pytest.fixture(scope="module")
def app() -> App:
    return App()


def test_every_state_machine_is_checked(app: App) -> None:
    """Each stack has exactly one state machine, and each was resolved and validated."""
    stacks = sorted(name.split("/")[0] for name in app.definitions)
    assert stacks == sorted([*VARIANTS, WEATHER])
    assert set(app.definitions) <= set(app.results)
    assert app.validator.split(".")[0] == "4"


@pytest.mark.parametrize("stack", [*VARIANTS, WEATHER])
def test_asl_validator_accepts_the_definition(app: App, stack: str) -> None:
    (name,) = (name for name in app.definitions if name.startswith(f"{stack}/"))
    assert app.results[name] == []


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_asl_validator_rejects_a_broken_definition(app: App, case: str) -> None:
    """The check is live: the same definitions, each broken in one way, are rejected."""
    errors = app.results[f"broken:{case}"]
    assert errors, f"asl-validator accepted the {case} definition"
    assert any(BROKEN[case].error in error for error in errors), errors


def test_the_resolved_definitions_are_concrete(app: App) -> None:
    """What the validator read is what Step Functions gets: no intrinsic or token left."""
    for name, definition in app.definitions.items():
        text = json.dumps(definition)
        assert "Fn::" not in text and '"Ref"' not in text and "${Token" not in text, name
        (dead_letter,) = (s for n, s in every_state(definition) if n == "DeadLetter")
        assert dead_letter["Arguments"]["QueueUrl"].startswith("https://sqs."), name


def test_every_batched_definition_maps_over_keys_with_its_concurrency(app: App) -> None:
    for stack, (_, _, props) in VARIANTS.items():
        definition = app.definition[stack]
        if batch_size(stack, props) == 1:
            assert definition["StartAt"] == "Read", stack
            continue
        apply_keys = definition["States"]["ApplyKeys"]
        expected = props.get("max_concurrency", min(10, batch_size(stack, props)))
        assert apply_keys["MaxConcurrency"] == expected, stack
        inner = apply_keys["ItemProcessor"]["States"]
        assert "Announce" not in inner, stack  # a key's iteration only writes
        announce = definition["States"].get("Announce")
        assert (announce is not None) == ("topic_name" in props), stack
        if announce is not None:  # once, after every key
            assert apply_keys["Next"] == "AnythingToAnnounce", stack
            publish = announce["ItemProcessor"]["States"]["Publish"]
            assert announce["Type"] == "Map" and announce["MaxConcurrency"] == 1, stack
            assert publish["Arguments"]["Method"] == "POST", stack


def test_logging_does_not_change_the_definition(app: App) -> None:
    def text(stack: str) -> str:  # the physical names hold the stack's name
        return json.dumps(app.definition[stack]).replace(stack, "<stack>")

    assert text("LogsOff") == text("LogsAll") == text("Plain")


# cfn-lint validates the state machine resource alone: the rest of each template is linted by
# the modules that build it (test_sync.py, test_weather_example.py, test_templates.py).
LINT_ROLE = "arn:aws:iam::123456789012:role/sync-state-machine"


def _machines(definitions: dict[str, str | dict[str, Any]]) -> dict[str, Any]:
    """A template of one EXPRESS state machine per definition (text, or an intrinsic)."""
    return {
        "Resources": {
            f"Machine{index}": {
                "Type": "AWS::StepFunctions::StateMachine",
                "Properties": {
                    "RoleArn": LINT_ROLE,
                    "StateMachineType": "EXPRESS",
                    "DefinitionString": definition,
                },
            }
            for index, definition in enumerate(definitions.values())
        }
    }


def test_cfn_lint_accepts_every_resolved_definition(app: App) -> None:
    texts: dict[str, str | dict[str, Any]] = {
        name: json.dumps(definition) for name, definition in app.definitions.items()
    }
    assert lint(_machines(texts)) == []


def test_cfn_lint_reads_a_definition_only_once_it_is_resolved(app: App) -> None:
    """Why definitions are resolved before linting: E3601 skips an Fn::Join."""
    broken = copy.deepcopy(app.definition["Plain"])
    broken["States"]["Read"]["Parameters"] = {}  # a JSONPath field in a JSONata state
    found = lint(_machines({"text": json.dumps(broken)}))
    assert any(finding.startswith("E3601") and "Parameters" in finding for finding in found)
    joined: dict[str, Any] = {"Fn::Join": ["", [json.dumps(broken)]]}
    assert lint(_machines({"joined": joined})) == []


# -- the batch's expressions in the reference JSONata --------------------------------------
# The local runtime evaluates JSONata with jsonata-python; Step Functions does not say which
# implementation it runs. The batch's own expressions (grouping by key, the notices of applied
# keys, packing the announcement into 4 KB messages) are evaluated here by the jsonata npm
# package as well, and both must agree.

_KEY_VALUES = {
    "S": lambda i: f"Zürich {i % 7}",
    "N": lambda i: str(i % 3),
    "B": lambda i: ["AAE/", "+w==", "//8="][i % 3],  # base64, as a stream record holds it
}


def _batch(partition: str, sort: str | None, count: int) -> list[dict[str, Any]]:
    records = []
    for index in range(count):
        keys = {"pk": {partition: _KEY_VALUES[partition](index)}}
        if sort is not None:
            keys["sk"] = {sort: _KEY_VALUES[sort](index * 5)}
        event = "REMOVE" if index % 4 == 3 else "MODIFY"
        dynamo: dict[str, Any] = {"Keys": keys, "SequenceNumber": str(1000 + index)}
        if event != "REMOVE":
            dynamo["NewImage"] = {**keys, "v": {"S": "x" * (index % 50)}}
        records.append({"eventName": event, "dynamodb": dynamo})
    return records


def _cases(app: App) -> dict[str, dict[str, Any]]:
    cases: dict[str, dict[str, Any]] = {}
    for stack, (partition, sort, props) in VARIANTS.items():
        if batch_size(stack, props) == 1 or "topic_name" not in props:
            continue
        states = app.definition[stack]["States"]
        code = {S: "S", N: "N", B: "B"}
        size = batch_size(stack, props)
        batch = _batch(code[partition], code[sort] if sort else None, size)
        apply_keys, announce = states["ApplyKeys"], states["Announce"]
        items = {"expression": apply_keys["Items"][2:-2], "bindings": {"states": {"input": batch}}}
        cases[f"{stack}:groups"] = items
        groups = engine_value(items)
        failed = {groups[1]["key"]} if len(groups) > 1 else set()
        result = [{} if g["key"] in failed else {"key": g["key"]} for g in groups]
        cases[f"{stack}:applied"] = {
            "expression": apply_keys["Output"][2:-2],
            "bindings": {"states": {"input": batch, "result": result}},
        }
        announced = engine_value(cases[f"{stack}:applied"])["changes"]
        cases[f"{stack}:messages"] = {
            "expression": announce["Items"][2:-2],
            # Enough changes for several messages.
            "bindings": {"announced": announced * (12_000 // len(json.dumps(announced)) + 1)},
        }
    return cases


def engine_value(case: dict[str, Any]) -> Any:
    """What the local runtime's interpreter computes for ``case``."""
    from datetime import datetime, timezone

    from momento_eventbridge_constructs.engine._sfn_expressions import Expressions

    return Expressions().evaluate_template(
        "{%" + case["expression"] + "%}",
        case["bindings"],
        field="test",
        now=lambda: datetime(2026, 12, 1, tzinfo=timezone.utc),
    )


def test_the_batch_expressions_agree_with_the_reference_jsonata(app: App) -> None:
    cases = _cases(app)
    assert {name.split(":")[0] for name in cases} == {
        "Default",
        "BatchedLargest",
        "BatchedBinaryKey",
    }
    reference = run_checker("jsonata.mjs", {"cases": cases})
    assert reference["jsonata"].split(".")[0] == "2"
    for name, case in cases.items():
        ours, theirs = engine_value(case), reference["results"][name]
        if name.endswith(":messages"):
            # jsonata-python's $string escapes non-ASCII (\u00fc), the reference keeps UTF-8:
            # the same changes, packed into 4 KB messages by each.
            assert all(len(m.encode()) <= 4000 for m in [*ours, *theirs]), name
            assert len(theirs) > 1, name
            ours = [n for m in ours for n in json.loads(m)["changes"]]
            theirs = [n for m in theirs for n in json.loads(m)["changes"]]
            assert theirs == case["bindings"]["announced"], name
        assert ours == theirs, name
