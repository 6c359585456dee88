"""The weather example: one masked snapshot of the full template, and targeted assertions for
every default and security rule. Synthesized once for the module."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match
from aws_cdk.assertions import Template as CdkTemplate
from syrupy.assertion import SnapshotAssertion

from momento_eventbridge_constructs.examples import weather
from momento_eventbridge_constructs.testing import mask_template

from ._support import ROOT, Template, logical_id, only, resources, warnings

CACHE = "momento-eventbridge-cache"
TOPIC = "momento-eventbridge-topic"
STACK = "WeatherStack"


@pytest.fixture(scope="module")
def assembly() -> cdk.cx_api.CloudAssembly:
    app = cdk.App(context={"region": "us-west-2", "aws:cdk:enable-path-metadata": True})
    return weather.build_app(app).synth()


@pytest.fixture(scope="module")
def template(assembly: cdk.cx_api.CloudAssembly) -> Template:
    return assembly.get_stack_by_name(STACK).template  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def cdk_template(template: Template) -> CdkTemplate:
    return CdkTemplate.from_json(template)


def pipe(template: Template, name: str) -> dict[str, Any]:
    return template["Resources"][logical_id(template, "AWS::Pipes::Pipe", f"/{name}/")][
        "Properties"
    ]


def test_full_template_snapshot(template: Template, template_snapshot: SnapshotAssertion) -> None:
    # The package's own extension (through the plugin's fixture) masks the template.
    assert template == template_snapshot


@pytest.mark.slow
def test_the_module_and_the_repository_app_synthesize_the_same_template(
    template: Template, tmp_path: Path
) -> None:
    """``python -m ...examples.weather`` writes ./cdk.out (or $CDK_OUTDIR); app.py agrees."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("CDK_OUTDIR", "CDK_DEFAULT_REGION", "CDK_DEFAULT_ACCOUNT")
    }
    env["CDK_CONTEXT_JSON"] = json.dumps({"aws:cdk:enable-path-metadata": True})
    module_dir = tmp_path / "module"
    module_dir.mkdir()
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "momento_eventbridge_constructs.examples.weather"],
            cwd=module_dir,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        ),
        subprocess.Popen(
            [sys.executable, str(ROOT / "examples/weather/app.py")],
            cwd=tmp_path,
            env={**env, "CDK_OUTDIR": str(tmp_path / "app.out")},
        ),
    ]
    module_stderr = runs[0].communicate(timeout=300)[1]
    runs[1].communicate(timeout=300)
    assert [run.returncode for run in runs] == [0, 0], module_stderr
    assert "Synthesized WeatherStack, WeatherSyncStack into cdk.out" in module_stderr
    for outdir in (module_dir / "cdk.out", tmp_path / "app.out"):
        written = json.loads((outdir / f"{STACK}.template.json").read_text())
        assert mask_template(written) == mask_template(template), outdir
    # Both designs of the example are written: three pipes, and one ordered reader.
    assert (module_dir / "cdk.out" / "WeatherSyncStack.template.json").exists()


def test_resource_inventory(cdk_template: CdkTemplate) -> None:
    for resource_type, count in {
        "AWS::DynamoDB::Table": 1,
        "AWS::Events::Connection": 1,
        "AWS::Events::ApiDestination": 3,
        "AWS::Pipes::Pipe": 3,
        "AWS::SQS::Queue": 1,  # one DLQ shared by the three pipes
        "AWS::IAM::Role": 3,
        "AWS::Logs::LogGroup": 3,
        "AWS::CloudWatch::Alarm": 4,  # one DLQ alarm + one failure alarm per pipe
    }.items():
        cdk_template.resource_count_is(resource_type, count)


def test_table_matches_the_reference(cdk_template: CdkTemplate) -> None:
    cdk_template.has_resource_properties(
        "AWS::DynamoDB::Table",
        {
            "KeySchema": [{"AttributeName": "Location", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "Location", "AttributeType": "S"}],
            "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        },
    )


def test_connection_reads_the_key_through_a_dynamic_reference_only(template: Template) -> None:
    connection = only(template, "AWS::Events::Connection")
    assert connection["AuthorizationType"] == "API_KEY"
    auth = connection["AuthParameters"]["ApiKeyAuthParameters"]
    assert auth["ApiKeyName"] == "Authorization"
    # By name: a partial ARN would not resolve for names ending in a hyphen and six characters.
    assert auth["ApiKeyValue"] == (
        "{{resolve:secretsmanager:momento-eventbridge-api-key:SecretString:::}}"
    )
    # No parameter could carry a key: the template declares none besides CDK's own.
    assert set(template.get("Parameters", {})) <= {"BootstrapVersion"}


@pytest.mark.parametrize(
    ("name", "method", "path"),
    [
        ("CacheSetDestination", "PUT", "/cache/*"),
        ("CacheDeleteDestination", "DELETE", "/cache/*"),
        ("TopicPublishDestination", "POST", "/topics/*/*"),
    ],
)
def test_api_destinations(template: Template, name: str, method: str, path: str) -> None:
    properties = template["Resources"][
        logical_id(template, "AWS::Events::ApiDestination", f"/{name}/")
    ]["Properties"]
    assert properties["HttpMethod"] == method
    assert properties["InvocationEndpoint"] == (
        f"https://api.cache.cell-4-us-west-2-1.prod.a.momentohq.com{path}"
    )
    assert properties["ConnectionArn"] == {
        "Fn::GetAtt": [logical_id(template, "AWS::Events::Connection", "/"), "Arn"]
    }


def test_put_pipe(template: Template) -> None:
    put = pipe(template, "CacheSetPipe")
    assert json.loads(put["SourceParameters"]["FilterCriteria"]["Filters"][0]["Pattern"]) == {
        "eventName": ["INSERT", "MODIFY"]
    }
    assert put["TargetParameters"]["HttpParameters"] == {
        "PathParameterValues": [CACHE],
        "QueryStringParameters": {
            "key": "$.dynamodb.Keys.Location.S",
            "ttl_seconds": "$.dynamodb.NewImage.TTL.N",
        },
    }
    assert put["TargetParameters"]["InputTemplate"] == (
        '{"Location": <$.dynamodb.Keys.Location.S>, '
        '"MaxTemp": <$.dynamodb.NewImage.MaxTemp.N>, '
        '"MinTemp": <$.dynamodb.NewImage.MinTemp.N>, '
        '"ChancesOfPrecipitation": <$.dynamodb.NewImage.ChancesOfPrecipitation.N>}'
    )


def test_delete_pipe(template: Template) -> None:
    delete = pipe(template, "CacheDeletePipe")
    assert json.loads(delete["SourceParameters"]["FilterCriteria"]["Filters"][0]["Pattern"]) == {
        "eventName": ["REMOVE"]
    }
    assert delete["TargetParameters"] == {
        "HttpParameters": {
            "PathParameterValues": [CACHE],
            "QueryStringParameters": {"key": "$.dynamodb.Keys.Location.S"},
        }
    }


def test_publish_pipe_sends_text_with_a_body_valid_for_every_event(template: Template) -> None:
    publish = pipe(template, "TopicPublishPipe")
    assert json.loads(publish["SourceParameters"]["FilterCriteria"]["Filters"][0]["Pattern"]) == {
        "eventName": ["INSERT", "MODIFY", "REMOVE"]
    }
    http = publish["TargetParameters"]["HttpParameters"]
    assert http == {
        "PathParameterValues": [CACHE, TOPIC],
        "HeaderParameters": {"Content-Type": "text/plain"},
    }
    body = publish["TargetParameters"]["InputTemplate"]
    assert "NewImage" not in body and "OldImage" not in body


@pytest.mark.parametrize("name", ["CacheSetPipe", "CacheDeletePipe", "TopicPublishPipe"])
def test_every_pipe_has_safe_source_defaults(template: Template, name: str) -> None:
    source = pipe(template, name)["SourceParameters"]["DynamoDBStreamParameters"]
    dlq = logical_id(template, "AWS::SQS::Queue", "/CacheSetPipe/")
    assert source == {
        "BatchSize": 1,
        "StartingPosition": "LATEST",
        "MaximumRetryAttempts": 5,
        "MaximumRecordAgeInSeconds": 3600,
        "DeadLetterConfig": {"Arn": {"Fn::GetAtt": [dlq, "Arn"]}},
    }


@pytest.mark.parametrize("name", ["CacheSetPipe", "CacheDeletePipe", "TopicPublishPipe"])
def test_every_pipe_logs_errors_only_without_payloads(template: Template, name: str) -> None:
    log = pipe(template, name)["LogConfiguration"]
    assert log["Level"] == "ERROR"
    assert "IncludeExecutionData" not in log
    group = logical_id(template, "AWS::Logs::LogGroup", f"/{name}/")
    assert log["CloudwatchLogsLogDestination"] == {"LogGroupArn": {"Fn::GetAtt": [group, "Arn"]}}
    assert template["Resources"][group]["Properties"] == {"RetentionInDays": 30}


def test_no_physical_names(template: Template) -> None:
    names = {
        "Name",
        "ConnectionName",
        "RoleName",
        "QueueName",
        "LogGroupName",
        "TableName",
        "AlarmName",
    }
    for logical, resource in template["Resources"].items():
        assert not names & set(resource.get("Properties", {})), logical


def test_dead_letter_queue_is_encrypted_https_only_and_keeps_14_days(
    template: Template, cdk_template: CdkTemplate
) -> None:
    queue = only(template, "AWS::SQS::Queue")
    assert queue == {"MessageRetentionPeriod": 1209600, "SqsManagedSseEnabled": True}
    cdk_template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Effect": "Deny",
                                "Action": "sqs:*",
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        )
                    ]
                )
            }
        },
    )


@pytest.mark.parametrize(
    ("name", "destination"),
    [
        ("CacheSetPipe", "CacheSetDestination"),
        ("CacheDeletePipe", "CacheDeleteDestination"),
        ("TopicPublishPipe", "TopicPublishDestination"),
    ],
)
def test_role_is_least_privilege(template: Template, name: str, destination: str) -> None:
    role_id = logical_id(template, "AWS::IAM::Role", f"/{name}/")
    role = template["Resources"][role_id]["Properties"]
    assert pipe(template, name)["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    table = logical_id(template, "AWS::DynamoDB::Table", "/WeatherTable/")
    queue = logical_id(template, "AWS::SQS::Queue", "/")
    group = logical_id(template, "AWS::Logs::LogGroup", f"/{name}/")
    api = logical_id(template, "AWS::Events::ApiDestination", f"/{destination}/")
    (policy,) = role["Policies"]
    statements = {s["Sid"]: s for s in policy["PolicyDocument"]["Statement"]}
    assert statements == {
        "ReadTableStream": {
            "Effect": "Allow",
            "Action": [
                "dynamodb:DescribeStream",
                "dynamodb:GetRecords",
                "dynamodb:GetShardIterator",
            ],
            "Resource": {"Fn::GetAtt": [table, "StreamArn"]},
            "Sid": "ReadTableStream",
        },
        "ListTableStreams": {
            "Effect": "Allow",
            "Action": "dynamodb:ListStreams",
            "Resource": "*",
            "Sid": "ListTableStreams",
        },
        "InvokeMomento": {
            "Effect": "Allow",
            "Action": "events:InvokeApiDestination",
            "Resource": [{"Fn::GetAtt": [api, "ArnForPolicy"]}, {"Fn::GetAtt": [api, "Arn"]}],
            "Sid": "InvokeMomento",
        },
        "SendToDeadLetterQueue": {
            "Effect": "Allow",
            "Action": "sqs:SendMessage",
            "Resource": {"Fn::GetAtt": [queue, "Arn"]},
            "Sid": "SendToDeadLetterQueue",
        },
        "WriteLogs": {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": [group, "Arn"]},
            "Sid": "WriteLogs",
        },
    }
    # The one "*" is ListStreams, which has no resource type (see _pipe_role).
    del statements["ListTableStreams"]
    assert "*" not in json.dumps(statements)
    assert "ManagedPolicyArns" not in role


def test_role_trust_has_confused_deputy_conditions(cdk_template: CdkTemplate) -> None:
    cdk_template.all_resources_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    {
                        "Action": "sts:AssumeRole",
                        "Effect": "Allow",
                        "Principal": {"Service": "pipes.amazonaws.com"},
                        "Condition": {
                            "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}},
                            "ArnLike": {
                                "aws:SourceArn": {
                                    "Fn::Join": [
                                        "",
                                        [
                                            "arn:",
                                            {"Ref": "AWS::Partition"},
                                            ":pipes:us-west-2:",
                                            {"Ref": "AWS::AccountId"},
                                            ":pipe/*",
                                        ],
                                    ]
                                }
                            },
                        },
                    }
                ],
                "Version": "2012-10-17",
            }
        },
    )


def test_three_readers_warn_on_the_third_pipe(assembly: cdk.cx_api.CloudAssembly) -> None:
    ((path, warning),) = warnings(assembly, STACK)
    assert path == f"/{STACK}/TopicPublishPipe"
    assert warning.startswith("3 pipes read the stream of table WeatherStack/WeatherTable")
    assert "throttles more than 2 readers per shard" in warning


def test_nothing_secret_like_is_emitted(template: Template) -> None:
    rendered = json.dumps(template)
    assert "NoEcho" not in rendered
    for resource in resources(template, "AWS::Events::Connection").values():
        assert "ApiKeyValue" in json.dumps(resource)


def test_the_sync_stack_caches_the_same_table_design_through_one_reader(
    assembly: cdk.cx_api.CloudAssembly, template: Template
) -> None:
    sync = assembly.get_stack_by_name("WeatherSyncStack").template
    (table,) = resources(sync, "AWS::DynamoDB::Table").values()
    (three_pipes_table,) = resources(template, "AWS::DynamoDB::Table").values()
    assert table["Properties"] == three_pipes_table["Properties"]
    assert len(resources(sync, "AWS::Pipes::Pipe")) == 1
    (machine,) = resources(sync, "AWS::StepFunctions::StateMachine").values()
    definition = json.dumps(machine["Properties"]["DefinitionString"])
    for part in (CACHE, TOPIC, "ttl_seconds", "MaxTemp", "ChancesOfPrecipitation"):
        assert part in definition, part
    assert [w for w in warnings(assembly, "WeatherSyncStack") if "pipes read" in w[1]] == []
