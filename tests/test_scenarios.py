"""Construct scenarios beyond the example, built as stacks of one app and synthesized once."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sqs as sqs

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    MomentoApiDestination,
    MomentoConnection,
    MomentoEndpoint,
    MomentoOperation,
    MomentoPayload,
)
from momento_eventbridge_constructs.examples.weather import WeatherStack

from ._support import (
    ENV,
    Template,
    destinations,
    logical_id,
    only,
    resources,
    warnings,
    weather_table,
)

SET, DELETE, PUBLISH = (
    MomentoOperation.CACHE_SET,
    MomentoOperation.CACHE_DELETE,
    MomentoOperation.TOPIC_PUBLISH,
)
STREAM_ARN = "arn:aws:dynamodb:us-west-2:123456789012:table/orders/stream/2026-11-28T00:00:00.000"
Exposed = dict[str, Any]


def imported_table(stack: cdk.Stack, exposed: Exposed) -> None:
    table = dynamodb.Table.from_table_attributes(
        stack, "Orders", table_name="orders", table_stream_arn=STREAM_ARN
    )
    exposed["pipe"] = DynamoToMomentoPipe(
        stack,
        "Put",
        table=table,
        destination=destinations(stack)[SET],
        cache_name="orders",
        partition_key=dynamodb.Attribute(name="OrderId", type=dynamodb.AttributeType.NUMBER),
    )


def shared_dlq(stack: cdk.Stack, exposed: Exposed) -> None:
    table = weather_table(stack)
    queue = sqs.Queue(stack, "SharedDlq", enforce_ssl=True)
    apis = destinations(stack)
    exposed["put"] = DynamoToMomentoPipe(
        stack, "Put", table=table, destination=apis[SET], cache_name="c", dead_letter_queue=queue
    )
    exposed["delete"] = DynamoToMomentoPipe(
        stack,
        "Delete",
        table=table,
        destination=apis[DELETE],
        cache_name="c",
        dead_letter_queue=queue,
    )
    exposed["queue"] = queue


def given_role(stack: cdk.Stack, exposed: Exposed) -> None:
    role = iam.Role(stack, "MyRole", assumed_by=iam.ServicePrincipal("pipes.amazonaws.com"))
    exposed["pipe"] = DynamoToMomentoPipe(
        stack,
        "Put",
        table=weather_table(stack),
        destination=destinations(stack)[SET],
        cache_name="c",
        role=role,
    )
    exposed["role"] = role


def customer_keys(stack: cdk.Stack, exposed: Exposed) -> None:
    table_key = kms.Key(stack, "TableKey", enable_key_rotation=True)
    queue_key = kms.Key(stack, "QueueKey", enable_key_rotation=True)
    table = weather_table(
        stack, encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED, encryption_key=table_key
    )
    queue = sqs.Queue(
        stack,
        "Dlq",
        encryption=sqs.QueueEncryption.KMS,
        encryption_master_key=queue_key,
        enforce_ssl=True,
    )
    DynamoToMomentoPipe(
        stack,
        "Delete",
        table=table,
        destination=destinations(stack)[DELETE],
        cache_name="c",
        dead_letter_queue=queue,
    )


def custom_settings(stack: cdk.Stack, exposed: Exposed) -> None:
    table = dynamodb.TableV2(
        stack,
        "Table",
        partition_key=dynamodb.Attribute(name="Id", type=dynamodb.AttributeType.NUMBER),
        dynamo_stream=dynamodb.StreamViewType.NEW_IMAGE,
    )
    endpoint = cdk.CfnParameter(stack, "MomentoEndpoint", type="String")
    apis = destinations(stack)
    put_api = MomentoApiDestination(
        stack,
        "TokenEndpoint",
        connection=apis[SET].connection,
        endpoint=MomentoEndpoint.from_url(endpoint.value_as_string),
        operation=SET,
        rate_limit_per_second=50,
    )
    assert isinstance(put_api.connection, MomentoConnection)
    exposed["put"] = DynamoToMomentoPipe(
        stack,
        "Put",
        table=table,
        destination=put_api,
        cache_name="c",
        ttl=cdk.Duration.minutes(5),
        starting_position="TRIM_HORIZON",
        pipe_name="orders-put",
        log_level="INFO",
        include_execution_data=True,
        max_retry_attempts=2,
        max_record_age=cdk.Duration.minutes(10),
        description="custom",
    )
    exposed["quiet"] = DynamoToMomentoPipe(
        stack,
        "Quiet",
        table=table,
        destination=apis[PUBLISH],
        cache_name="c",
        topic_name="t",
        log_level="OFF",
        create_alarms=False,
        value=MomentoPayload.from_template('{"id": <$.dynamodb.Keys.Id.N>}'),
    )


SCENARIOS = {
    "ImportedTable": imported_table,
    "SharedDlq": shared_dlq,
    "GivenRole": given_role,
    "CustomerKeys": customer_keys,
    "CustomSettings": custom_settings,
}


@pytest.fixture(scope="module")
def synthesized() -> tuple[cdk.cx_api.CloudAssembly, dict[str, Exposed]]:
    app = cdk.App(context={"aws:cdk:enable-path-metadata": True})
    exposed: dict[str, Exposed] = {}
    for name, build in SCENARIOS.items():
        exposed[name] = {}
        build(cdk.Stack(app, name, env=ENV), exposed[name])
    # Two copies of the example stack in one app: no physical name may collide.
    for copy in ("WeatherA", "WeatherB"):
        WeatherStack(
            app,
            copy,
            api_key_secret_name="key",
            endpoint=MomentoEndpoint.for_region("us-west-2"),
            env=ENV,
        )
    return app.synth(), exposed


@pytest.fixture(scope="module")
def assembly(
    synthesized: tuple[cdk.cx_api.CloudAssembly, dict[str, Exposed]],
) -> cdk.cx_api.CloudAssembly:
    return synthesized[0]


def template(assembly: cdk.cx_api.CloudAssembly, name: str) -> Template:
    return assembly.get_stack_by_name(name).template  # type: ignore[no-any-return]


def statements(resource: dict[str, Any]) -> dict[str, Any]:
    properties = resource["Properties"]
    document = properties["Policies"][0] if "Policies" in properties else properties
    return {s["Sid"]: s for s in document["PolicyDocument"]["Statement"]}


def test_imported_table_reads_its_stream_arn_and_key(assembly: cdk.cx_api.CloudAssembly) -> None:
    t = template(assembly, "ImportedTable")
    pipe = only(t, "AWS::Pipes::Pipe")
    assert pipe["Source"] == STREAM_ARN
    assert pipe["TargetParameters"]["HttpParameters"]["QueryStringParameters"] == {
        "key": "$.dynamodb.Keys.OrderId.N",
        "ttl_seconds": "3600",
    }
    role = next(iter(resources(t, "AWS::IAM::Role").values()))
    assert statements(role)["ReadTableStream"]["Resource"] == STREAM_ARN
    assert not resources(t, "AWS::DynamoDB::Table")


def test_shared_dlq_is_used_granted_and_alarmed_once(
    synthesized: tuple[cdk.cx_api.CloudAssembly, dict[str, Exposed]],
) -> None:
    assembly, exposed = synthesized
    t = template(assembly, "SharedDlq")
    queue = logical_id(t, "AWS::SQS::Queue", "/SharedDlq/")
    assert len(resources(t, "AWS::SQS::Queue")) == 1
    for pipe in resources(t, "AWS::Pipes::Pipe").values():
        config = pipe["Properties"]["SourceParameters"]["DynamoDBStreamParameters"]
        assert config["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue, "Arn"]}}
    for role in resources(t, "AWS::IAM::Role").values():
        grant = statements(role)["SendToDeadLetterQueue"]
        assert grant["Action"] == "sqs:SendMessage"
        assert grant["Resource"] == {"Fn::GetAtt": [queue, "Arn"]}
    queue_alarms = [
        a
        for a in resources(t, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["Namespace"] == "AWS/SQS"
    ]
    assert len(queue_alarms) == 1
    put, delete = exposed["SharedDlq"]["put"], exposed["SharedDlq"]["delete"]
    assert put.dead_letter_queue is exposed["SharedDlq"]["queue"]
    assert put.dead_letter_queue_alarm is delete.dead_letter_queue_alarm
    assert put.failure_alarm is not delete.failure_alarm


def test_two_pipes_on_one_table_do_not_warn(assembly: cdk.cx_api.CloudAssembly) -> None:
    assert warnings(assembly, "SharedDlq") == []


def test_given_role_gets_an_attached_policy_before_the_pipe(
    synthesized: tuple[cdk.cx_api.CloudAssembly, dict[str, Exposed]],
) -> None:
    assembly, exposed = synthesized
    t = template(assembly, "GivenRole")
    role_id = logical_id(t, "AWS::IAM::Role", "/MyRole/")
    assert len(resources(t, "AWS::IAM::Role")) == 1
    (policy_id,) = resources(t, "AWS::IAM::Policy")
    policy = t["Resources"][policy_id]
    assert policy["Properties"]["Roles"] == [{"Ref": role_id}]
    assert set(statements(policy)) == {
        "ReadTableStream",
        "ListTableStreams",
        "InvokeMomento",
        "SendToDeadLetterQueue",
        "WriteLogs",
    }
    (pipe_id,) = resources(t, "AWS::Pipes::Pipe")
    assert policy_id in t["Resources"][pipe_id]["DependsOn"]
    assert t["Resources"][pipe_id]["Properties"]["RoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    assert exposed["GivenRole"]["pipe"].role is exposed["GivenRole"]["role"]


def test_customer_keys_are_granted_exactly(assembly: cdk.cx_api.CloudAssembly) -> None:
    t = template(assembly, "CustomerKeys")
    role = next(iter(resources(t, "AWS::IAM::Role").values()))
    granted = statements(role)
    assert granted["DecryptTableStream"] == {
        "Sid": "DecryptTableStream",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": {"Fn::GetAtt": [logical_id(t, "AWS::KMS::Key", "/TableKey/"), "Arn"]},
    }
    assert granted["EncryptDeadLetters"] == {
        "Sid": "EncryptDeadLetters",
        "Effect": "Allow",
        "Action": ["kms:GenerateDataKey", "kms:Decrypt"],
        "Resource": {"Fn::GetAtt": [logical_id(t, "AWS::KMS::Key", "/QueueKey/"), "Arn"]},
    }


def test_custom_settings_reach_the_pipe(assembly: cdk.cx_api.CloudAssembly) -> None:
    t = template(assembly, "CustomSettings")
    put_id = logical_id(t, "AWS::Pipes::Pipe", "/Put/")
    put = t["Resources"][put_id]["Properties"]
    assert put["Name"] == "orders-put"
    assert put["Description"] == "custom"
    assert put["SourceParameters"]["DynamoDBStreamParameters"] | {"DeadLetterConfig": None} == {
        "BatchSize": 1,
        "StartingPosition": "TRIM_HORIZON",
        "MaximumRetryAttempts": 2,
        "MaximumRecordAgeInSeconds": 600,
        "DeadLetterConfig": None,
    }
    assert put["TargetParameters"]["HttpParameters"]["QueryStringParameters"] == {
        "key": "$.dynamodb.Keys.Id.N",
        "ttl_seconds": "300",
    }
    assert put["LogConfiguration"]["Level"] == "INFO"
    assert put["LogConfiguration"]["IncludeExecutionData"] == ["ALL"]
    role = t["Resources"][logical_id(t, "AWS::IAM::Role", "/Put/")]["Properties"]
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]["Condition"]["ArnLike"]
    assert json.dumps(trust).endswith(':pipe/orders-put"]]}}')
    api = t["Resources"][logical_id(t, "AWS::Events::ApiDestination", "/TokenEndpoint/")]
    assert api["Properties"]["InvocationEndpoint"] == {
        "Fn::Join": ["", [{"Ref": "MomentoEndpoint"}, "/cache/*"]]
    }
    assert api["Properties"]["InvocationRateLimitPerSecond"] == 50


def test_logging_off_and_alarms_off(
    synthesized: tuple[cdk.cx_api.CloudAssembly, dict[str, Exposed]],
) -> None:
    assembly, exposed = synthesized
    t = template(assembly, "CustomSettings")
    quiet = t["Resources"][logical_id(t, "AWS::Pipes::Pipe", "/Quiet/")]["Properties"]
    assert quiet["LogConfiguration"] == {"Level": "OFF"}
    assert quiet["TargetParameters"]["InputTemplate"] == '{"id": <$.dynamodb.Keys.Id.N>}'
    pipe = exposed["CustomSettings"]["quiet"]
    assert pipe.log_group is None and pipe.failure_alarm is None
    assert pipe.dead_letter_queue_alarm is None
    quiet_paths = [r["Metadata"]["aws:cdk:path"] for r in t["Resources"].values()]
    assert not [p for p in quiet_paths if "/Quiet/" in p and ("Alarm" in p or "LogGroup" in p)]
    role = t["Resources"][logical_id(t, "AWS::IAM::Role", "/Quiet/")]
    assert "WriteLogs" not in statements(role)


def test_two_copies_of_a_stack_in_one_app(assembly: cdk.cx_api.CloudAssembly) -> None:
    a, b = template(assembly, "WeatherA"), template(assembly, "WeatherB")
    # Nothing physical, nothing app-global: identical but for construct paths, so both deploy
    # side by side in one account.
    assert json.dumps(a).replace("WeatherA/", "WeatherB/") == json.dumps(b)
    for name in ("WeatherA", "WeatherB"):
        assert [path for path, _ in warnings(assembly, name)] == [f"/{name}/TopicPublishPipe"]
