"""The dead-letter queue of a pipe, and the one alarm per queue that every pipe using it shares."""

from __future__ import annotations

from typing import Any, cast

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ._nag import DEAD_LETTER_QUEUE_RULES, acknowledge
from ._validation import Checker

DLQ_RETENTION = Duration.days(14)
# Built once: each Duration is a jsii object, and creating one is a round trip to Node.js.
DLQ_ALARM_PERIOD = Duration.minutes(1)
# The alarm of a queue the user passed in lives under that queue, so its logical ID depends on
# the queue alone, not on which pipe happened to be built first.
SHARED_ALARM_ID = "MomentoDeadLetterAlarm"
OWN_ALARM_ID = "DeadLetterQueueAlarm"
# CloudWatch runs at most 5 actions per alarm state (PutMetricAlarm: AlarmActions, 5 items,
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html).
# A queue's alarm is shared, so each construct's action is added once, and a sixth is an error.
MAX_ALARM_ACTIONS = 5

ALARM_DESCRIPTION = (
    "Momento updates failed after every retry and are in the dead-letter queue. "
    "Each message names a stream shard and sequence range; the records stay in "
    "the stream for 24 hours."
)


def create_dead_letter_queue(scope: Construct) -> sqs.Queue:
    """A queue with SQS-managed encryption, HTTPS-only access and 14-day retention."""
    queue = sqs.Queue(
        scope,
        "DeadLetterQueue",
        encryption=sqs.QueueEncryption.SQS_MANAGED,
        enforce_ssl=True,
        retention_period=DLQ_RETENTION,
    )
    # cdk-nag cannot see that a Pipes DeadLetterConfig makes this queue a DLQ; a given queue is
    # the user's to acknowledge.
    acknowledge(queue, DEAD_LETTER_QUEUE_RULES)
    return queue


def dead_letter_alarm(
    owner: Construct, queue: sqs.IQueue, *, created: bool, description: str = ALARM_DESCRIPTION
) -> cloudwatch.Alarm:
    """The alarm on any message in ``queue``, created once per queue in the construct tree.

    ``owner`` created the queue (``created``): the alarm lives beside it. Otherwise the alarm
    of the construct that created the queue is reused, or one is created under the queue.
    """
    if created:
        return _new_alarm(owner, OWN_ALARM_ID, queue, description)
    existing = shared_alarm(queue)
    if existing is not None:
        return existing
    return _new_alarm(cast(Construct, queue), SHARED_ALARM_ID, queue, description)


def shared_alarm(queue: sqs.IQueue) -> cloudwatch.Alarm | None:
    """The alarm already on ``queue``: its creator's, or the one created under it."""
    creator = queue.node.scope
    existing = getattr(creator, "dead_letter_queue_alarm", None)
    owns_queue = getattr(creator, "dead_letter_queue", None) is queue
    if owns_queue and isinstance(existing, cloudwatch.Alarm):
        return existing
    found = queue.node.try_find_child(SHARED_ALARM_ID)
    return found if isinstance(found, cloudwatch.Alarm) else None


def check_shared_alarm_action(
    check: Checker, queue: sqs.IQueue, action: cloudwatch.IAlarmAction
) -> None:
    """Reject an action that would be the sixth on the alarm ``queue`` already has."""
    alarm = shared_alarm(queue)
    if alarm is None:
        return
    listed = alarm_actions(alarm)
    arn = _action_arn(alarm, action)
    if arn not in listed and len(listed) >= MAX_ALARM_ACTIONS:
        check.fail(
            "alarm_action",
            check.shown(f"{type(action).__name__} ({arn})"),
            f"the dead-letter queue {queue.node.path} has one alarm for every construct "
            f"using it, and it already has {len(listed)} different actions; CloudWatch runs "
            f"at most {MAX_ALARM_ACTIONS} per alarm state: let these constructs share one "
            "action (e.g. one SNS topic)",
        )


def add_action_once(alarm: cloudwatch.Alarm, action: cloudwatch.IAlarmAction) -> None:
    """Add ``action`` unless the alarm already runs the same ARN (constructs sharing a queue
    share its alarm, and each may pass the same action)."""
    if _action_arn(alarm, action) not in alarm_actions(alarm):
        alarm.add_alarm_action(action)


def alarm_actions(alarm: cloudwatch.Alarm) -> list[Any]:
    """The ALARM-state actions of ``alarm`` as the template will list them."""
    resource = cast(cloudwatch.CfnAlarm, alarm.node.default_child)
    return list(Stack.of(alarm).resolve(resource.alarm_actions) or [])


def _action_arn(alarm: cloudwatch.Alarm, action: cloudwatch.IAlarmAction) -> Any:
    # What Alarm.add_alarm_action binds (scope and alarm are the alarm); a new SnsAction of
    # the same topic resolves to the same ARN.
    return Stack.of(alarm).resolve(action.bind(alarm, alarm).alarm_action_arn)


def _new_alarm(scope: Construct, id: str, queue: sqs.IQueue, description: str) -> cloudwatch.Alarm:
    return cloudwatch.Alarm(
        scope,
        id,
        alarm_description=description,
        metric=queue.metric_approximate_number_of_messages_visible(
            period=DLQ_ALARM_PERIOD, statistic="Maximum"
        ),
        threshold=1,
        evaluation_periods=1,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
