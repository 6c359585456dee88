"""Cloud assembly loading, intrinsic resolution and the less common stack shapes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from momento_eventbridge_constructs.engine.assembly import (
    AssemblyError,
    Resolver,
    StackTemplate,
    list_stacks,
    load_stack,
    parse_dynamic_references,
)
from momento_eventbridge_constructs.local import LocalPipeline

CACHE = "momento-eventbridge-cache"


@pytest.fixture(scope="module")
def variant_assembly(
    tmp_path_factory: pytest.TempPathFactory, weather_app_builder: Any
) -> Iterator[Path]:
    """Declared secret, endpoint parameter, an extra TRIM_HORIZON pipe; synthesized once."""
    options = weather_app_builder.Options(
        declared_secret=True, poison_pipe=False, extra_trim_horizon_pipe=True
    )
    yield weather_app_builder(tmp_path_factory.mktemp("variant") / "cdk.out", options)


def test_latest_skips_and_trim_horizon_replays_earlier_records(
    variant_assembly: Path, put_weather: Any
) -> None:
    with LocalPipeline.from_cloud_assembly(
        variant_assembly, momento="local", autostart_pipes=False
    ) as lp:
        table = lp.table_name("WeatherStack/WeatherTable")
        put_weather(lp.dynamodb, table, "Seed City", 10)
        lp.start_pipes()
        put_weather(lp.dynamodb, table, "After City", 20)
        lp.drain(timeout=10)
        replayed = [json.loads(m)["replayed"] for m in lp.momento.messages(CACHE, "replay-topic")]
        assert replayed == ["Seed City", "After City"]
        assert lp.momento.get(CACHE, "Seed City") is None
        assert lp.momento.get(CACHE, "After City") is not None


def test_declared_secret_and_endpoint_parameter(variant_assembly: Path, put_weather: Any) -> None:
    with LocalPipeline.from_cloud_assembly(variant_assembly, momento="local") as lp:
        put_weather(lp.dynamodb, lp.table_name("WeatherStack/WeatherTable"), "Oslo", 5)
        lp.drain(timeout=10)
        secret_arn = lp.stack.logical_id("WeatherStack/ApiKeySecret")
        value = lp.aws.secretsmanager().get_secret_value(SecretId=lp.physical_ids[secret_arn])
        document = json.loads(value["SecretString"])
        assert document["user"] == "momento"  # the SecretStringTemplate is kept
        assert lp.momento_server is not None
        assert {r.headers["authorization"] for r in lp.momento_server.requests} == {
            document["apiKey"]
        }
        assert lp.pipe("CachePutPipe").destination.endpoint.startswith(
            "https://api.cache.cell-4-us-west-2-1.prod.a.momentohq.com/cache/"
        )


def test_parameters_override_defaults(variant_assembly: Path) -> None:
    with LocalPipeline.from_cloud_assembly(
        variant_assembly,
        momento="local",
        autostart_pipes=False,
        parameters={"MomentoEndpoint": "https://api.cache.example.test"},
    ) as lp:
        assert lp.pipe("TopicPublishPipe").destination.endpoint == (
            "https://api.cache.example.test/topics/*/*"
        )


# -- hand-written assemblies ------------------------------------------------------------------


def _pipe(source: Any, target: Any, **stream: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::Pipes::Pipe",
        "Properties": {
            "RoleArn": "arn:aws:iam::123456789012:role/pipe",
            "Source": source,
            "Target": target,
            "SourceParameters": {
                "DynamoDBStreamParameters": {
                    "StartingPosition": "LATEST",
                    "BatchSize": 1,
                    **stream,
                },
            },
            "TargetParameters": {
                "InputTemplate": '{"item": <$.dynamodb.NewImage>}',
                "HttpParameters": {
                    "PathParameterValues": [CACHE],
                    "QueryStringParameters": {"key": "$.dynamodb.Keys.pk.S", "ttl_seconds": "60"},
                },
            },
        },
    }


def _template(table_type: str = "AWS::DynamoDB::Table", **pipe_stream: Any) -> dict[str, Any]:
    table_properties: dict[str, Any] = {
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
        "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
        "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
    }
    if table_type == "AWS::DynamoDB::GlobalTable":
        table_properties["Replicas"] = [{"Region": "us-east-1"}]
    return {
        "Resources": {
            "Table": {
                "Type": table_type,
                "Properties": table_properties,
                "Metadata": {"aws:cdk:path": "Hand/Table/Resource"},
            },
            "Connection": {
                "Type": "AWS::Events::Connection",
                "Properties": {
                    "AuthorizationType": "API_KEY",
                    "AuthParameters": {
                        "ApiKeyAuthParameters": {
                            "ApiKeyName": "Authorization",
                            "ApiKeyValue": "{{resolve:secretsmanager:plain-key}}",
                        }
                    },
                },
            },
            "Destination": {
                "Type": "AWS::Events::ApiDestination",
                "Properties": {
                    "ConnectionArn": {"Fn::GetAtt": ["Connection", "Arn"]},
                    "HttpMethod": "PUT",
                    "InvocationEndpoint": {"Fn::Sub": "https://${Host}/cache/*"},
                },
            },
            "Pipe": _pipe(
                {"Fn::GetAtt": ["Table", "StreamArn"]},
                {"Fn::GetAtt": ["Destination", "Arn"]},
                **pipe_stream,
            ),
            "ForeignPipe": _pipe(
                "arn:aws:dynamodb:us-east-1:1:table/x/stream/y",
                {"Fn::GetAtt": ["Destination", "Arn"]},
            ),
        },
        "Parameters": {"Host": {"Type": "String", "Default": "api.cache.example.test"}},
    }


def _write_assembly(directory: Path, stacks: dict[str, dict[str, Any]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    artifacts: dict[str, Any] = {}
    for name, template in stacks.items():
        (directory / f"{name}.template.json").write_text(json.dumps(template))
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "environment": "aws://unknown-account/unknown-region",
            "properties": {"templateFile": f"{name}.template.json"},
        }
    (directory / "manifest.json").write_text(json.dumps({"version": "1", "artifacts": artifacts}))
    return directory


def test_global_table_source_and_imported_plain_secret(tmp_path: Path) -> None:
    assembly = _write_assembly(tmp_path, {"Hand": _template("AWS::DynamoDB::GlobalTable")})
    with LocalPipeline.from_cloud_assembly(assembly, momento="local") as lp:
        assert [p.logical_id for p in lp.pipes] == ["Pipe"]
        assert "ForeignPipe" in lp.skipped_pipes
        lp.dynamodb.put_item(
            TableName=lp.table_name("Hand/Table"), Item={"pk": {"S": "a b"}, "n": {"N": "1"}}
        )
        lp.drain(timeout=10)
        stored = lp.momento.get(CACHE, "a b")
        assert stored is not None and json.loads(stored) == {
            "item": {"pk": {"S": "a b"}, "n": {"N": "1"}}
        }
        secret = lp.aws.secretsmanager().get_secret_value(SecretId="plain-key")["SecretString"]
        assert lp.pipe("Pipe").destination.auth_value == secret


def test_batch_size_above_one_is_rejected_like_aws(tmp_path: Path) -> None:
    assembly = _write_assembly(tmp_path, {"Hand": _template(BatchSize=10)})
    with pytest.raises(AssemblyError, match="BatchSize 10"):
        LocalPipeline.from_cloud_assembly(assembly, momento="local").start()


@pytest.mark.parametrize(
    ("stream", "message"),
    [
        ({"BatchSize": 10001}, "BatchSize 10001 is outside what AWS accepts"),
        ({"BatchSize": 0}, "BatchSize 0 is outside"),
        ({"MaximumBatchingWindowInSeconds": 301}, "MaximumBatchingWindowInSeconds 301"),
    ],
)
def test_stream_batching_outside_the_ranges_aws_accepts_is_rejected(
    tmp_path: Path, stream: dict[str, Any], message: str
) -> None:
    assembly = _write_assembly(tmp_path, {"Hand": _template(**stream)})
    with pytest.raises(AssemblyError, match=message):
        LocalPipeline.from_cloud_assembly(assembly, momento="local").start()


def test_stack_selection(tmp_path: Path) -> None:
    no_pipes = {"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}}
    root = _write_assembly(tmp_path / "root", {"Other": no_pipes, "Hand": _template()})
    assert load_stack(root).artifact_id == "Hand"  # the only one with pipes
    assert load_stack(root, "Other").artifact_id == "Other"
    with pytest.raises(AssemblyError, match="no stack named 'Nope'"):
        load_stack(root, "Nope")
    both = _write_assembly(tmp_path / "both", {"A": _template(), "B": _template()})
    with pytest.raises(AssemblyError, match="pass stack_name"):
        load_stack(both)
    with pytest.raises(AssemblyError, match="not a cloud assembly"):
        load_stack(tmp_path / "missing")
    # A stage's nested assembly is searched too.
    nested_root = tmp_path / "staged"
    _write_assembly(nested_root / "assembly-Stage", {"StageHand": _template()})
    (nested_root / "manifest.json").write_text(
        json.dumps(
            {
                "version": "1",
                "artifacts": {
                    "assembly-Stage": {
                        "type": "cdk:cloud-assembly",
                        "properties": {"directoryName": "assembly-Stage"},
                    },
                },
            }
        )
    )
    assert list_stacks(nested_root) == ["StageHand"]
    stack = load_stack(nested_root)
    assert stack.logical_id("Hand/Table") == "Table"
    assert stack.logical_id("Table") == "Table"
    with pytest.raises(KeyError):
        stack.logical_id("Hand/Nothing")


def _stack(template: dict[str, Any]) -> StackTemplate:
    return StackTemplate("S", "S", template, None, None)


def test_resolver_intrinsics() -> None:
    template = {
        "Parameters": {"P": {"Type": "String", "Default": "dflt"}, "NoDefault": {"Type": "String"}},
        "Conditions": {"IsDflt": {"Fn::Equals": [{"Ref": "P"}, "dflt"]}},
    }
    resolver = Resolver(
        _stack(template), "111111111111", "eu-west-1", {"Q": {"Ref": "url", "Arn": "arn:q"}}, {}
    )
    resolve = resolver.resolve
    assert (
        resolve(
            {
                "Fn::Join": [
                    "",
                    [
                        "arn:",
                        {"Ref": "AWS::Partition"},
                        ":x:",
                        {"Ref": "AWS::Region"},
                        ":",
                        {"Ref": "AWS::AccountId"},
                    ],
                ]
            }
        )
        == "arn:aws:x:eu-west-1:111111111111"
    )
    assert resolve({"Fn::Sub": "${Q.Arn}/${P}/${!Literal}/${AWS::StackName}"}) == (
        "arn:q/dflt/${Literal}/S"
    )
    assert resolve({"Fn::Sub": ["${X}-${Q}", {"X": {"Ref": "P"}}]}) == "dflt-url"
    assert resolve({"Fn::Select": [1, {"Fn::Split": [",", "a,b,c"]}]}) == "b"
    assert resolve({"Fn::If": ["IsDflt", "yes", "no"]}) == "yes"
    assert resolve({"Fn::GetAtt": "Q.Arn"}) == "arn:q"
    assert resolve({"a": {"Ref": "AWS::NoValue"}, "b": [1, {"Ref": "AWS::NoValue"}]}) == {"b": [1]}
    for broken in (
        {"Ref": "NoDefault"},
        {"Fn::GetAtt": ["Missing", "Arn"]},
        {"Fn::GetAtt": ["Q", "Nope"]},
        {"Fn::ImportValue": "x"},
    ):
        with pytest.raises(AssemblyError):
            resolve(broken)
    override = Resolver(_stack(template), "1", "r", {}, {"NoDefault": "given"})
    assert override.resolve({"Ref": "NoDefault"}) == "given"


def test_dynamic_references() -> None:
    text = (
        "Bearer {{resolve:secretsmanager:arn:aws:secretsmanager:us-west-2:1:secret:momento/"
        "api-key:SecretString:apiKey::}} and {{resolve:secretsmanager:plain}}"
    )
    first, second = parse_dynamic_references(text)
    assert first.secret_id == "arn:aws:secretsmanager:us-west-2:1:secret:momento/api-key"
    assert (first.json_key, first.version_stage, first.version_id) == ("apiKey", None, None)
    assert (second.secret_id, second.json_key) == ("plain", None)
    staged = parse_dynamic_references("{{resolve:secretsmanager:s:SecretString:k:AWSPREVIOUS:}}")
    assert staged[0].version_stage == "AWSPREVIOUS"
    assert parse_dynamic_references("no reference") == []
