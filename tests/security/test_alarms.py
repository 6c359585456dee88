"""The pipe's default alarms: DLQ depth and failed executions, an alarm action, and opt-out."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cloudwatch_actions
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import IConstruct

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    MomentoApiDestination,
    MomentoConstructError,
    MomentoOperation,
)

from .._support import ENV, destinations, resources, template_of, weather_table
from ._checks import lint

SET, DELETE, PUBLISH = (
    MomentoOperation.CACHE_SET,
    MomentoOperation.CACHE_DELETE,
    MomentoOperation.TOPIC_PUBLISH,
)


class World:
    """Stacks: "Notified" (one pipe, SNS action), "Shared" (three pipes, one created DLQ),
    "Given" (two pipes, one user queue), "Off" (create_alarms=False), "SharedAction" (three
    pipes, one created DLQ, one action object) and "GivenAction" (three pipes, one user queue,
    a new ``SnsAction`` of one topic each)."""

    def __init__(self) -> None:
        self.app = cdk.App()
        self.pipes: dict[str, list[DynamoToMomentoPipe]] = {}
        self.calls: dict[str, dict[MomentoOperation, MomentoApiDestination]] = {}
        self.tables: dict[str, dynamodb.Table] = {}

        notified = self._stack("Notified")
        self.topic = sns.Topic(notified, "Topic", enforce_ssl=True)
        self._pipes(notified, [SET], alarm_action=cloudwatch_actions.SnsAction(self.topic))

        shared = self._stack("Shared")
        first = self._pipes(shared, [SET])[0]
        self._pipes(shared, [DELETE, PUBLISH], dead_letter_queue=first.dead_letter_queue)

        given = self._stack("Given")
        self.given_queue = sqs.Queue(given, "Dlq", enforce_ssl=True)
        self._pipes(given, [SET, DELETE], dead_letter_queue=self.given_queue)

        self._pipes(self._stack("Off"), [SET], create_alarms=False)

        shared_action = self._stack("SharedAction")
        self.shared_topic = sns.Topic(shared_action, "Topic", enforce_ssl=True)
        action = cloudwatch_actions.SnsAction(self.shared_topic)
        first = self._pipes(shared_action, [SET], alarm_action=action)[0]
        self._pipes(
            shared_action,
            [DELETE, PUBLISH],
            dead_letter_queue=first.dead_letter_queue,
            alarm_action=action,
        )

        given_action = self._stack("GivenAction")
        self.given_topic = sns.Topic(given_action, "Topic", enforce_ssl=True)
        queue = sqs.Queue(given_action, "Dlq", enforce_ssl=True)
        for operation in (SET, DELETE, PUBLISH):
            self._pipes(
                given_action,
                [operation],
                dead_letter_queue=queue,
                alarm_action=cloudwatch_actions.SnsAction(self.given_topic),
            )
        self.assembly = self.app.synth()

    def _stack(self, name: str) -> cdk.Stack:
        stack = cdk.Stack(self.app, name, env=ENV)
        self.pipes[name] = []
        self.calls[name] = destinations(stack)
        self.tables[name] = weather_table(stack)
        return stack

    def _pipes(
        self, stack: cdk.Stack, operations: list[MomentoOperation], **props: Any
    ) -> list[DynamoToMomentoPipe]:
        name = stack.stack_name
        made = [
            DynamoToMomentoPipe(
                stack,
                operation.name,
                table=self.tables[name],
                destination=self.calls[name][operation],
                cache_name="cache",
                topic_name="topic" if operation is PUBLISH else None,
                **props,
            )
            for operation in operations
        ]
        self.pipes[name].extend(made)
        return made

    def alarms(self, stack: str) -> dict[str, dict[str, Any]]:
        return {
            logical_id: resource["Properties"]
            for logical_id, resource in resources(
                template_of(self.assembly, stack), "AWS::CloudWatch::Alarm"
            ).items()
        }

    def logical_id(self, construct: IConstruct) -> str:
        resource = construct.node.default_child
        assert isinstance(resource, cdk.CfnElement)
        return cdk.Stack.of(construct).get_logical_id(resource)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    yield World()


def test_dead_letter_queue_alarm_fires_on_any_message(world: World) -> None:
    pipe = world.pipes["Notified"][0]
    assert isinstance(pipe.dead_letter_queue_alarm, cloudwatch.Alarm)
    alarm = world.alarms("Notified")[world.logical_id(pipe.dead_letter_queue_alarm)]
    queue_id = world.logical_id(pipe.dead_letter_queue)
    assert alarm["Namespace"] == "AWS/SQS"
    assert alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert alarm["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_id, "QueueName"]}}
    ]
    assert alarm["Statistic"] == "Maximum" and alarm["Period"] == 60
    assert alarm["Threshold"] == 1 and alarm["EvaluationPeriods"] == 1
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert "dead-letter queue" in alarm["AlarmDescription"]


def breaches(alarm: dict[str, Any], failures_per_minute: list[int]) -> bool:
    """CloudWatch's M-of-N rule over the last EvaluationPeriods datapoints of the alarm."""
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    recent = failures_per_minute[-alarm["EvaluationPeriods"] :]
    breaching = sum(1 for value in recent if value >= alarm["Threshold"])
    return breaching >= alarm.get("DatapointsToAlarm", alarm["EvaluationPeriods"])


@pytest.mark.parametrize(
    ("minutes", "fires"),
    [
        ([0, 0, 0, 0, 1], False),  # one 429 retried and then delivered
        ([0, 0, 0, 1, 1], False),  # ... its retries crossing a minute boundary
        ([0, 0, 1, 1, 1], True),  # a record failing through its retries
        ([1, 0, 1, 0, 1], True),  # intermittent failures that keep coming back
        ([3, 3, 3, 3, 3], True),  # a bad key or a missing cache
    ],
)
def test_failure_alarm_ignores_a_single_retried_failure(
    world: World, minutes: list[int], fires: bool
) -> None:
    pipe = world.pipes["Notified"][0]
    assert pipe.failure_alarm is not None
    alarm = world.alarms("Notified")[world.logical_id(pipe.failure_alarm)]
    assert alarm["Period"] == 60
    assert breaches(alarm, minutes) is fires


def test_failure_alarm_watches_failed_executions(world: World) -> None:
    pipe = world.pipes["Notified"][0]
    assert isinstance(pipe.failure_alarm, cloudwatch.Alarm)
    alarm = world.alarms("Notified")[world.logical_id(pipe.failure_alarm)]
    assert alarm["Namespace"] == "AWS/EventBridge/Pipes"
    assert alarm["MetricName"] == "ExecutionFailed"
    assert alarm["Dimensions"] == [
        {"Name": "PipeName", "Value": {"Ref": cdk.Stack.of(pipe).get_logical_id(pipe.pipe)}}
    ]
    assert alarm["Statistic"] == "Sum" and alarm["Period"] == 60
    assert alarm["Threshold"] == 1 and alarm["EvaluationPeriods"] == 5
    assert alarm["DatapointsToAlarm"] == 3
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"


def test_alarm_action_notifies_the_topic_from_both_alarms(world: World) -> None:
    alarms = world.alarms("Notified")
    assert len(alarms) == 2
    topic_ref = {"Ref": world.logical_id(world.topic)}
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [topic_ref]
        assert "OKActions" not in alarm and "InsufficientDataActions" not in alarm


def test_without_action_alarms_notify_nobody(world: World) -> None:
    for alarm in world.alarms("Shared").values():
        assert "AlarmActions" not in alarm


def test_a_shared_created_queue_gets_one_alarm(world: World) -> None:
    pipes = world.pipes["Shared"]
    queue_alarms = {id(pipe.dead_letter_queue_alarm) for pipe in pipes}
    assert len(queue_alarms) == 1 and pipes[0].dead_letter_queue_alarm is not None
    alarms = world.alarms("Shared")
    metrics = sorted(alarm["MetricName"] for alarm in alarms.values())
    assert metrics == ["ApproximateNumberOfMessagesVisible"] + ["ExecutionFailed"] * 3
    failure_ids = {world.logical_id(pipe.failure_alarm) for pipe in pipes if pipe.failure_alarm}
    assert len(failure_ids) == 3 and failure_ids <= set(alarms)


def test_a_shared_given_queue_gets_one_alarm(world: World) -> None:
    pipes = world.pipes["Given"]
    assert pipes[0].dead_letter_queue_alarm is pipes[1].dead_letter_queue_alarm is not None
    queue_alarms = [
        alarm
        for alarm in world.alarms("Given").values()
        if alarm["MetricName"] == "ApproximateNumberOfMessagesVisible"
    ]
    queue_id = world.logical_id(world.given_queue)
    assert [alarm["Dimensions"][0]["Value"] for alarm in queue_alarms] == [
        {"Fn::GetAtt": [queue_id, "QueueName"]}
    ]


def test_alarms_can_be_turned_off(world: World) -> None:
    pipe = world.pipes["Off"][0]
    assert pipe.dead_letter_queue_alarm is None and pipe.failure_alarm is None
    assert world.alarms("Off") == {}


def test_an_alarm_action_needs_alarms() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=ENV)
    topic = sns.Topic(stack, "Topic")
    with pytest.raises(MomentoConstructError) as raised:
        DynamoToMomentoPipe(
            stack,
            "Pipe",
            table=weather_table(stack),
            destination=destinations(stack)[SET],
            cache_name="cache",
            create_alarms=False,
            alarm_action=cloudwatch_actions.SnsAction(topic),
        )
    assert raised.value.prop == "alarm_action"
    assert "create_alarms is False" in raised.value.rule


@pytest.mark.parametrize(("stack", "topic"), [("SharedAction", "shared"), ("GivenAction", "given")])
def test_a_shared_queue_alarm_lists_an_action_once(world: World, stack: str, topic: str) -> None:
    """Three pipes, one queue, one action: the queue's one alarm notifies the topic once (a
    new ``SnsAction`` of the same topic is the same action), each failure alarm once."""
    topic_ref = {"Ref": world.logical_id(getattr(world, f"{topic}_topic"))}
    alarms = world.alarms(stack)
    by_metric: dict[str, list[Any]] = {}
    for alarm in alarms.values():
        by_metric.setdefault(alarm["MetricName"], []).append(alarm["AlarmActions"])
    assert by_metric == {
        "ApproximateNumberOfMessagesVisible": [[topic_ref]],
        "ExecutionFailed": [[topic_ref]] * 3,
    }


def test_the_shared_alarm_and_its_actions_pass_cfn_lint(world: World) -> None:
    for stack in ("SharedAction", "GivenAction"):
        assert lint(template_of(world.assembly, stack)) == []


class Topics:
    """One stack: a queue shared by pipes, and topics to notify (nothing is synthesized)."""

    def __init__(self, count: int) -> None:
        self.app = cdk.App()
        self.stack = cdk.Stack(self.app, "Topics", env=ENV)
        self.table = weather_table(self.stack)
        self.calls = destinations(self.stack)
        self.queue = sqs.Queue(self.stack, "Dlq", enforce_ssl=True)
        self.topics = [sns.Topic(self.stack, f"Topic{n}", enforce_ssl=True) for n in range(count)]

    def pipe(self, n: int) -> DynamoToMomentoPipe:
        return DynamoToMomentoPipe(
            self.stack,
            f"Pipe{n}",
            table=self.table,
            destination=self.calls[DELETE],
            cache_name="cache",
            dead_letter_queue=self.queue,
            alarm_action=cloudwatch_actions.SnsAction(self.topics[n]),
        )

    def queue_alarm_actions(self) -> list[Any]:
        (alarm,) = (
            resource["Properties"]
            for resource in resources(
                template_of(self.app.synth(), "Topics"), "AWS::CloudWatch::Alarm"
            ).values()
            if resource["Properties"]["MetricName"] == "ApproximateNumberOfMessagesVisible"
        )
        return alarm["AlarmActions"]  # type: ignore[no-any-return]


def test_five_different_actions_on_a_shared_queue_are_all_listed() -> None:
    """CloudWatch runs at most 5 actions per alarm state (``AlarmActions``: 5 items,
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html)."""
    topics = Topics(5)
    pipes = [topics.pipe(n) for n in range(5)]
    assert len({id(pipe.dead_letter_queue_alarm) for pipe in pipes}) == 1
    assert topics.queue_alarm_actions() == [
        topics.stack.resolve(t.topic_arn) for t in topics.topics
    ]


def test_a_sixth_different_action_on_a_shared_queue_is_rejected() -> None:
    topics = Topics(6)
    for n in range(5):
        topics.pipe(n)
    with pytest.raises(MomentoConstructError) as raised:
        topics.pipe(5)
    assert raised.value.prop == "alarm_action"
    assert "SnsAction" in raised.value.value and "Topic5" in raised.value.value
    assert "Topics/Dlq" in raised.value.rule and "at most 5" in raised.value.rule
    assert "API_PutMetricAlarm" not in str(raised.value)  # the rule, not a link, in the message


def test_cfn_lint_agrees_six_actions_are_too_many() -> None:
    """The limit is CloudFormation's too (cfn-lint reads it from the resource schema): six
    actions written past the constructs make the template fail cfn-lint."""
    topics = Topics(6)
    for n in range(5):
        topics.pipe(n)
    alarm = topics.queue.node.find_child("MomentoDeadLetterAlarm")
    assert isinstance(alarm, cloudwatch.Alarm)
    alarm.add_alarm_action(cloudwatch_actions.SnsAction(topics.topics[5]))
    template = topics.app.synth().get_stack_by_name("Topics").template
    assert [finding for finding in lint(template) if "maximum unique item count: 5" in finding]


def test_an_alarm_action_must_be_an_alarm_action() -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=ENV)
    with pytest.raises(MomentoConstructError) as raised:
        DynamoToMomentoPipe(
            stack,
            "Pipe",
            table=weather_table(stack),
            destination=destinations(stack)[SET],
            cache_name="cache",
            alarm_action="arn:aws:sns:us-west-2:123456789012:topic",  # type: ignore[arg-type]
        )
    assert raised.value.prop == "alarm_action"
    assert raised.value.rule == "must be an aws_cloudwatch.IAlarmAction"
