"""The log group a sync creates takes a /aws/vendedlogs/states/ name; a given one is used as is.

Step Functions delivers logs through CloudWatch Logs' log delivery, which adds each log group
it writes to to the account's log resource policy (5120 characters) unless the group's name
starts with /aws/vendedlogs/ (https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html).
The limits written out below are from the AWS pages cited in ``_pipe_logs``: a log group name
is 1-512 of ``[.-_/#A-Za-z0-9]`` (CreateLogGroup), and a state machine's log group ARN,
``:*`` included, at most 256 characters (Step Functions CloudWatchLogsLogGroup).
"""

from __future__ import annotations

import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_logs as logs
from constructs import Construct

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    DynamoToMomentoSync,
    MomentoOperation,
)

from ._support import ENDPOINT, ENV, Template, destinations, only, resources, weather_table

LOG_GROUP_NAME = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
MAX_STATE_MACHINE_LOG_GROUP_ARN = 256
STACK_UUID = {"Fn::Select": [2, {"Fn::Split": ["/", {"Ref": "AWS::StackId"}]}]}
# AWS::StackId is arn:<partition>:cloudformation:<region>:<account>:stack/<name>/<uuid>
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/pseudo-parameter-reference.html)
SAMPLE_UUID = "51af3dc0-da77-11e4-872e-1234567db123"
LONG_ID = "Deeply" * 60


def add_sync(scope: Construct, id: str, **props: Any) -> DynamoToMomentoSync:
    stack = cdk.Stack.of(scope)
    connection = stack.node.try_find_child("Connection")
    if connection is None:
        connection = destinations(stack)[MomentoOperation.CACHE_SET].connection
    return DynamoToMomentoSync(
        scope,
        id,
        table=weather_table(stack, f"Table{len(stack.node.children)}"),
        connection=connection,
        endpoint=ENDPOINT,
        cache_name="c",
        **props,
    )


class Stacks:
    """Two stacks with a sync of the same id, a long-path sync, given and no log groups."""

    def __init__(self) -> None:
        app = cdk.App()
        self.first = cdk.Stack(app, "First", env=ENV)
        self.second = cdk.Stack(app, "Second", env=ENV)
        add_sync(self.first, "Sync")
        add_sync(self.first, "Other")
        add_sync(self.second, "Sync")
        nested = Construct(Construct(self.second, LONG_ID), LONG_ID)
        add_sync(nested, "Sync", log_level="TRACE")
        self.given = cdk.Stack(app, "Given", env=ENV)
        self.given_group = logs.LogGroup.from_log_group_name(
            self.given, "Mine", "/aws/vendedlogs/states/mine"
        )
        add_sync(self.given, "Sync", log_group=self.given_group)
        add_sync(self.given, "Quiet", log_level="OFF")
        self.pipe_stack = cdk.Stack(app, "PipeOnly", env=ENV)
        DynamoToMomentoPipe(
            self.pipe_stack,
            "Put",
            table=weather_table(self.pipe_stack),
            destination=destinations(self.pipe_stack)[MomentoOperation.CACHE_SET],
            cache_name="c",
        )
        self.assembly = app.synth()

    def template(self, name: str) -> Template:
        return self.assembly.get_stack_by_name(name).template  # type: ignore[no-any-return]


@pytest.fixture(scope="module")
def stacks() -> Stacks:
    return Stacks()


def log_group_names(template: Template) -> dict[str, Any]:
    return {
        logical_id: resource["Properties"].get("LogGroupName")
        for logical_id, resource in resources(template, "AWS::Logs::LogGroup").items()
    }


def rendered(name: Any) -> str:
    """The name CloudFormation makes of the template's value, for a stack of SAMPLE_UUID."""
    (separator, parts) = name["Fn::Join"]
    assert separator == "" and parts[1:] == [STACK_UUID], name
    return str(parts[0]) + SAMPLE_UUID


def test_the_sync_names_its_log_group_under_aws_vendedlogs_states(stacks: Stacks) -> None:
    template = stacks.template("First")
    names = {rendered(name) for name in log_group_names(template).values()}
    assert len(names) == 2
    for name in names:
        assert name.startswith("/aws/vendedlogs/states/First-"), name
        assert name.endswith("-" + SAMPLE_UUID)
    # The state machine and the pipe of each sync log to that group.
    for logical_id in log_group_names(template):
        arn = {"Fn::GetAtt": [logical_id, "Arn"]}
        machines = [
            m["Properties"]
            for m in resources(template, "AWS::StepFunctions::StateMachine").values()
            if m["Properties"]["LoggingConfiguration"]["Destinations"][0]["CloudWatchLogsLogGroup"][
                "LogGroupArn"
            ]
            == arn
        ]
        pipes = [
            p["Properties"]
            for p in resources(template, "AWS::Pipes::Pipe").values()
            if p["Properties"]["LogConfiguration"]["CloudwatchLogsLogDestination"]["LogGroupArn"]
            == arn
        ]
        assert len(machines) == 1 and len(pipes) == 1


def test_the_name_is_unique_per_construct_and_per_stack(stacks: Stacks) -> None:
    first = [rendered(n) for n in log_group_names(stacks.template("First")).values()]
    second = [rendered(n) for n in log_group_names(stacks.template("Second")).values()]
    assert len(set(first + second)) == 4
    # The same construct path in two stacks: the stack name differs, and the stack's UUID
    # (the same sample here) differs on AWS too.
    assert any("/First-Sync-" in n for n in first) and any("/Second-Sync-" in n for n in second)


def test_the_name_is_stable_from_one_synth_to_the_next(stacks: Stacks) -> None:
    assert log_group_names(Stacks().template("Second")) == log_group_names(
        stacks.template("Second")
    )


def test_a_long_construct_path_stays_within_the_limits(stacks: Stacks) -> None:
    names = [rendered(n) for n in log_group_names(stacks.template("Second")).values()]
    longest = max(names, key=len)
    assert LONG_ID[:40] in longest
    for name in names:
        assert LOG_GROUP_NAME.match(name), name
        # The longest partition and a long region: the ARN Step Functions takes still fits.
        arn = f"arn:aws-us-gov:logs:us-gov-west-1:123456789012:log-group:{name}:*"
        assert len(arn) <= MAX_STATE_MACHINE_LOG_GROUP_ARN, (len(arn), arn)


def test_a_given_log_group_is_used_as_is(stacks: Stacks) -> None:
    template = stacks.template("Given")
    assert not resources(template, "AWS::Logs::LogGroup")
    machines = list(resources(template, "AWS::StepFunctions::StateMachine").values())
    logged = [m for m in machines if "LoggingConfiguration" in m["Properties"]]
    assert len(machines) == 2 and len(logged) == 1
    destination = logged[0]["Properties"]["LoggingConfiguration"]["Destinations"][0]
    arn = cdk.Stack.of(stacks.given_group).resolve(stacks.given_group.log_group_arn)
    assert destination["CloudWatchLogsLogGroup"]["LogGroupArn"] == arn


def test_a_pipe_keeps_a_generated_log_group_name(stacks: Stacks) -> None:
    # Pipes writes with the pipe's role, not through the account's log resource policy.
    assert "LogGroupName" not in only(stacks.template("PipeOnly"), "AWS::Logs::LogGroup")
