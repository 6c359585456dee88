"""CDK conventions and imported resources: one app with a stack per case, synthesized once."""

from __future__ import annotations

from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sqs as sqs

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    LogLevel,
    MomentoApiDestination,
    MomentoConnection,
    MomentoConstructError,
    MomentoOperation,
    StartingPosition,
    StreamEvent,
)

from ._support import ENDPOINT, ENV, Template, destinations, only, resources, weather_table

SET, DELETE, PUBLISH = (
    MomentoOperation.CACHE_SET,
    MomentoOperation.CACHE_DELETE,
    MomentoOperation.TOPIC_PUBLISH,
)
PATHS = {"aws:cdk:enable-path-metadata": True}
ROLE_ARN = "arn:aws:iam::123456789012:role/team-pipes"
QUEUE_ARN = "arn:aws:sqs:us-west-2:123456789012:team-dead-letters"
CONNECTION_ARN = "arn:aws:events:us-west-2:123456789012:connection/momento/0a1b2c3d-aaaa-bbbb"
SECRET_ARN = "arn:aws:secretsmanager:us-west-2:123456789012:secret:events!connection/momento-x"
DESTINATION_ARN = "arn:aws:events:us-west-2:123456789012:api-destination/momento-set/1111-2222-3333"


class Cases:
    """Builds every case into one app; ``assembly`` synthesizes it once."""

    def __init__(self) -> None:
        self.app = cdk.App(context=PATHS)
        self.pipes: dict[str, DynamoToMomentoPipe] = {}
        self._imported_role()
        self._immutable_roles()
        self._imported_log_group_and_queue()
        self._conventions()
        self._shared_queue(self.app, "SharedQueueTwoPipes", ("First", "Second"))
        self._imported_destination()
        self.assembly = self.app.synth()

    def stack(self, name: str, app: cdk.App | None = None) -> cdk.Stack:
        return cdk.Stack(app or self.app, name, env=ENV)

    def pipe(self, stack: cdk.Stack, name: str, operation: MomentoOperation, **props: Any) -> None:
        calls = destinations(stack) if not props.get("destination") else None
        options: dict[str, Any] = {
            "table": props.pop("table", None) or weather_table(stack),
            "destination": props.pop("destination", None) or calls[operation],  # type: ignore[index]
            "cache_name": "cache",
        }
        if operation is PUBLISH:
            options["topic_name"] = "topic"
        options.update(props)
        self.pipes[name] = DynamoToMomentoPipe(stack, name, **options)

    def _imported_role(self) -> None:
        stack = self.stack("ImportedRole")
        role = iam.Role.from_role_arn(stack, "Role", ROLE_ARN)
        self.pipe(stack, "ImportedRole", SET, role=role)

    def _immutable_roles(self) -> None:
        stack = self.stack("ImmutableRole")
        role = iam.Role.from_role_arn(stack, "Role", ROLE_ARN, mutable=False)
        self.pipe(stack, "Immutable", SET, role=role)
        stack = self.stack("WithoutPolicyUpdates")
        own = iam.Role(stack, "Own", assumed_by=iam.ServicePrincipal("pipes.amazonaws.com"))
        self.pipe(stack, "Frozen", SET, role=own.without_policy_updates())

    def _imported_log_group_and_queue(self) -> None:
        stack = self.stack("ImportedLogsAndQueue")
        self.pipe(
            stack,
            "Imported",
            SET,
            log_group=logs.LogGroup.from_log_group_name(stack, "Logs", "team-logs"),
            dead_letter_queue=sqs.Queue.from_queue_arn(stack, "Queue", QUEUE_ARN),
        )

    def _conventions(self) -> None:
        stack = self.stack("Conventions")
        calls = destinations(stack)
        table = weather_table(stack)
        self.conventions_destination = calls[SET]
        self.pipe(
            stack,
            "Enums",
            SET,
            table=table,
            destination=calls[SET],
            starting_position=StartingPosition.TRIM_HORIZON,
            log_level=LogLevel.INFO,
            event_names=[StreamEvent.MODIFY, "INSERT"],
        )
        self.pipe(stack, "Strings", DELETE, table=table, destination=calls[DELETE], log_level="OFF")
        self.pipe(
            stack,
            "Quiet",
            PUBLISH,
            destination=calls[PUBLISH],
            create_alarms=False,
            table=weather_table(stack, "Other"),
        )
        self.grantee = iam.Role(stack, "Caller", assumed_by=iam.AccountRootPrincipal())
        calls[SET].grant_invoke(self.grantee)

    def _shared_queue(self, app: cdk.App, name: str, pipe_names: tuple[str, ...]) -> None:
        stack = self.stack(name, app)
        table = weather_table(stack)
        calls = destinations(stack)
        queue = sqs.Queue(stack, "TeamQueue", enforce_ssl=True)
        for pipe_name in pipe_names:
            operation = SET if pipe_name == "First" else DELETE
            DynamoToMomentoPipe(
                stack,
                pipe_name,
                table=table,
                destination=calls[operation],
                cache_name="cache",
                dead_letter_queue=queue,
            )

    def _imported_destination(self) -> None:
        # The connection and a destination live in one stack; the pipe in another imports them.
        stack = self.stack("ImportedDestination")
        connection = MomentoConnection.from_connection_attributes(
            stack, "Connection", connection_arn=CONNECTION_ARN, connection_secret_arn=SECRET_ARN
        )
        MomentoApiDestination(
            stack, "Delete", connection=connection, endpoint=ENDPOINT, operation=DELETE
        )
        put = MomentoApiDestination.from_api_destination_attributes(
            stack, "Put", api_destination_arn=DESTINATION_ARN, operation=SET
        )
        self.pipe(stack, "ToImported", SET, destination=put)
        token_arn = cdk.Fn.import_value("MomentoSetDestinationArn")
        by_token = MomentoApiDestination.from_api_destination_attributes(
            stack, "ByToken", api_destination_arn=token_arn, operation=DELETE
        )
        self.pipe(stack, "ToToken", DELETE, destination=by_token, table=weather_table(stack, "T2"))

    def template(self, stack: str) -> Template:
        return self.assembly.get_stack_by_name(stack).template  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def cases() -> Cases:
    return Cases()


def statements(template: Template, resource_type: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for resource in resources(template, resource_type).values():
        properties = resource["Properties"]
        documents = [properties.get("PolicyDocument")] + [
            policy["PolicyDocument"] for policy in properties.get("Policies", [])
        ]
        for document in documents:
            if document:
                found.extend(document["Statement"])
    return found


# -- imported resources ---------------------------------------------------------------------


def test_an_imported_role_gets_the_pipe_policy(cases: Cases) -> None:
    template = cases.template("ImportedRole")
    assert only(template, "AWS::Pipes::Pipe")["RoleArn"] == ROLE_ARN
    policy = only(template, "AWS::IAM::Policy")
    assert policy["Roles"] == ["team-pipes"]
    sids = {s["Sid"] for s in policy["PolicyDocument"]["Statement"]}
    assert {"ReadTableStream", "InvokeMomento", "SendToDeadLetterQueue", "WriteLogs"} <= sids
    assert resources(template, "AWS::IAM::Role") == {}


@pytest.mark.parametrize("stack", ["ImmutableRole", "WithoutPolicyUpdates"])
def test_an_immutable_role_is_used_as_given_without_a_policy(cases: Cases, stack: str) -> None:
    template = cases.template(stack)
    assert resources(template, "AWS::IAM::Policy") == {}
    role_arn = only(template, "AWS::Pipes::Pipe")["RoleArn"]
    if stack == "ImmutableRole":
        assert role_arn == ROLE_ARN
    else:
        assert role_arn["Fn::GetAtt"][1] == "Arn"
        assert statements(template, "AWS::IAM::Role") == []  # no inline policy either


def test_an_imported_log_group_and_queue_are_used(cases: Cases) -> None:
    template = cases.template("ImportedLogsAndQueue")
    pipe = only(template, "AWS::Pipes::Pipe")
    source = pipe["SourceParameters"]["DynamoDBStreamParameters"]
    assert source["DeadLetterConfig"]["Arn"] == QUEUE_ARN
    log_arn = pipe["LogConfiguration"]["CloudwatchLogsLogDestination"]["LogGroupArn"]
    assert "team-logs" in str(log_arn)
    assert resources(template, "AWS::SQS::Queue") == {}
    assert resources(template, "AWS::Logs::LogGroup") == {}
    by_sid = {s["Sid"]: s for s in statements(template, "AWS::IAM::Role")}
    assert by_sid["SendToDeadLetterQueue"]["Resource"] == QUEUE_ARN
    assert by_sid["WriteLogs"]["Resource"] == log_arn


def test_alarms_of_an_imported_queue_and_the_pipe(cases: Cases) -> None:
    template = cases.template("ImportedLogsAndQueue")
    paths = sorted(
        r["Metadata"]["aws:cdk:path"]
        for r in resources(template, "AWS::CloudWatch::Alarm").values()
    )
    assert paths == [
        "ImportedLogsAndQueue/Imported/FailureAlarm/Resource",
        "ImportedLogsAndQueue/Queue/MomentoDeadLetterAlarm/Resource",
    ]


def test_the_alarm_of_a_shared_queue_does_not_move_when_a_pipe_is_removed(cases: Cases) -> None:
    alone = cdk.App(context=PATHS)
    cases._shared_queue(alone, "SharedQueueTwoPipes", ("Second",))
    template_alone = alone.synth().get_stack_by_name("SharedQueueTwoPipes").template

    def queue_alarm(template: Template) -> str:
        (logical_id,) = [
            lid
            for lid, r in resources(template, "AWS::CloudWatch::Alarm").items()
            if "TeamQueue" in r["Metadata"]["aws:cdk:path"]
        ]
        return logical_id

    both = cases.template("SharedQueueTwoPipes")
    assert queue_alarm(both) == queue_alarm(template_alone)
    assert len(resources(both, "AWS::CloudWatch::Alarm")) == 3  # one per pipe + one per queue


def test_a_pipe_targets_a_destination_imported_by_arn(cases: Cases) -> None:
    template = cases.template("ImportedDestination")
    pipes_ = {
        r["Metadata"]["aws:cdk:path"].split("/")[1]: r["Properties"]
        for r in resources(template, "AWS::Pipes::Pipe").values()
    }
    assert pipes_["ToImported"]["Target"] == DESTINATION_ARN
    invoke = [s for s in statements(template, "AWS::IAM::Role") if s["Sid"] == "InvokeMomento"]
    resources_ = [s["Resource"] for s in invoke]
    # Both forms: the reference's api-destination/<name> and the full ARN the pipe targets.
    assert [
        "arn:aws:events:us-west-2:123456789012:api-destination/momento-set",
        DESTINATION_ARN,
    ] in resources_
    # A token ARN (another stack's export) is cut with Fn::Split, never parsed in Python.
    assert any("Fn::Join" in r[0] for r in resources_ if isinstance(r[0], dict))


def test_a_destination_on_an_imported_connection(cases: Cases) -> None:
    template = cases.template("ImportedDestination")
    destination = only(template, "AWS::Events::ApiDestination")
    assert destination["ConnectionArn"] == CONNECTION_ARN
    assert resources(template, "AWS::Events::Connection") == {}


@pytest.mark.parametrize(
    ("arn", "prop"),
    [
        ("arn:aws:events:us-west-2:123456789012:connection/momento", "connection_arn"),
        ("not an arn", "connection_arn"),
    ],
)
def test_an_imported_connection_arn_is_checked(arn: str, prop: str) -> None:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(MomentoConstructError, match=prop):
        MomentoConnection.from_connection_attributes(
            stack, "C", connection_arn=arn, connection_secret_arn=SECRET_ARN
        )


def test_an_imported_destination_arn_is_checked() -> None:
    stack = cdk.Stack(cdk.App(), "S")
    with pytest.raises(MomentoConstructError, match="api-destination/<name>/<id>"):
        MomentoApiDestination.from_api_destination_attributes(
            stack, "D", api_destination_arn=CONNECTION_ARN, operation=SET
        )


# -- CDK conventions ------------------------------------------------------------------------


def test_default_child_is_the_l1_resource(cases: Cases) -> None:
    pipe = cases.pipes["Enums"]
    assert pipe.node.default_child is pipe.pipe
    assert isinstance(pipe.node.default_child, pipes.CfnPipe)
    destination = cases.conventions_destination
    assert isinstance(destination.node.default_child, events.CfnApiDestination)
    assert destination.connection is not None
    assert isinstance(destination.connection.node.default_child, events.CfnConnection)


def test_enums_and_strings_render_alike(cases: Cases) -> None:
    template = cases.template("Conventions")
    by_name = {
        r["Metadata"]["aws:cdk:path"].split("/")[1]: r["Properties"]
        for r in resources(template, "AWS::Pipes::Pipe").values()
    }
    enums = by_name["Enums"]
    source = enums["SourceParameters"]
    assert source["DynamoDBStreamParameters"]["StartingPosition"] == "TRIM_HORIZON"
    assert enums["LogConfiguration"]["Level"] == "INFO"
    # Event names are kept in stream order whatever order they were given in.
    assert source["FilterCriteria"]["Filters"][0]["Pattern"] == '{"eventName":["INSERT","MODIFY"]}'
    assert by_name["Strings"]["LogConfiguration"] == {"Level": "OFF"}
    assert isinstance(StreamEvent.INSERT, str) and StreamEvent.INSERT == "INSERT"


def test_pipe_name_and_arn(cases: Cases) -> None:
    stack = cdk.Stack.of(cases.pipes["Enums"])
    pipe = cases.pipes["Enums"]
    assert stack.resolve(pipe.pipe_name) == {"Ref": stack.resolve(pipe.pipe.logical_id)}
    assert stack.resolve(pipe.pipe_arn) == {
        "Fn::GetAtt": [stack.resolve(pipe.pipe.logical_id), "Arn"]
    }


@pytest.mark.parametrize(
    ("method", "metric_name"),
    [
        ("metric_execution_failed", "ExecutionFailed"),
        ("metric_execution_throttled", "ExecutionThrottled"),
        ("metric_execution_timeout", "ExecutionTimeout"),
        ("metric_target_stage_failed", "TargetStageFailed"),
    ],
)
def test_metric_methods(cases: Cases, method: str, metric_name: str) -> None:
    pipe = cases.pipes["Enums"]
    stack = cdk.Stack.of(pipe)
    metric: cloudwatch.Metric = getattr(pipe, method)()
    assert metric.namespace == "AWS/EventBridge/Pipes"
    assert metric.metric_name == metric_name
    assert metric.statistic == "Sum"
    assert stack.resolve(metric.dimensions)["PipeName"] == stack.resolve(pipe.pipe_name)


def test_metric_takes_any_name_and_options(cases: Cases) -> None:
    pipe = cases.pipes["Enums"]
    metric = pipe.metric("Duration", statistic="p99", period=cdk.Duration.minutes(1))
    assert (metric.metric_name, metric.statistic) == ("Duration", "p99")
    assert metric.period.to_seconds() == 60


def test_alarms_list(cases: Cases) -> None:
    pipe = cases.pipes["Enums"]
    assert pipe.alarms == [pipe.dead_letter_queue_alarm, pipe.failure_alarm]
    assert all(isinstance(alarm, cloudwatch.Alarm) for alarm in pipe.alarms)
    assert cases.pipes["Quiet"].alarms == []


def test_grant_invoke(cases: Cases) -> None:
    template = cases.template("Conventions")
    granted = [
        s
        for s in statements(template, "AWS::IAM::Policy")
        if s.get("Action") == "events:InvokeApiDestination"
    ]
    assert len(granted) == 1
    assert granted[0]["Effect"] == "Allow"
    destination = cdk.Stack.of(cases.grantee).resolve(
        cases.conventions_destination.node.default_child.logical_id  # type: ignore[union-attr]
    )
    # ArnForPolicy (the reference's form) and the full ARN with its ID (see _arns).
    assert granted[0]["Resource"] == [
        {"Fn::GetAtt": [destination, "ArnForPolicy"]},
        {"Fn::GetAtt": [destination, "Arn"]},
    ]
