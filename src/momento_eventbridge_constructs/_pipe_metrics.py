"""CloudWatch metrics and the failure alarm of a pipe.

Metric names and dimensions: the EventBridge Pipes monitoring page,
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-monitoring.html
(``ExecutionFailed``, ``ExecutionThrottled``, ``ExecutionTimeout``, ``TargetStageFailed``, ...
in ``AWS/EventBridge/Pipes`` by ``PipeName``).
"""

from __future__ import annotations

from collections.abc import Mapping

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from constructs import Construct

PIPES_METRIC_NAMESPACE = "AWS/EventBridge/Pipes"
DEFAULT_METRIC_PERIOD = Duration.minutes(5)
# The failure alarm fires when executions fail in 3 of 5 one-minute periods: a 429 or 5xx that
# the pipe retries fails one execution and then succeeds, which leaves one failing minute (two at
# most, across a minute boundary) and must not page anyone. A record that will not go through
# keeps failing through its retries, and a broken key or cache fails every minute. Lost records
# are covered by the dead-letter alarm, which fires on the first message.
FAILURE_ALARM_PERIOD = Duration.minutes(1)
FAILURE_ALARM_EVALUATION_PERIODS = 5
FAILURE_ALARM_DATAPOINTS = 3


def pipe_metric(
    pipe_name: str,
    metric_name: str,
    *,
    statistic: str | None = None,
    period: Duration | None = None,
    label: str | None = None,
    unit: cloudwatch.Unit | None = None,
    color: str | None = None,
    account: str | None = None,
    region: str | None = None,
    dimensions_map: Mapping[str, str] | None = None,
) -> cloudwatch.Metric:
    """A metric of one pipe (``PipeName`` dimension); Sum over 5 minutes unless told."""
    return cloudwatch.Metric(
        namespace=PIPES_METRIC_NAMESPACE,
        metric_name=metric_name,
        dimensions_map={"PipeName": pipe_name, **(dimensions_map or {})},
        statistic=statistic or "Sum",
        period=period or DEFAULT_METRIC_PERIOD,
        label=label,
        unit=unit,
        color=color,
        account=account,
        region=region,
    )


def failure_alarm(scope: Construct, pipe_name: str) -> cloudwatch.Alarm:
    """An alarm on pipe executions failing in 3 of the last 5 minutes (see above)."""
    return cloudwatch.Alarm(
        scope,
        "FailureAlarm",
        alarm_description=(
            "The pipe failed to apply DynamoDB changes to Momento in 3 of the last 5 minutes."
        ),
        metric=pipe_metric(pipe_name, "ExecutionFailed", period=FAILURE_ALARM_PERIOD),
        threshold=1,
        evaluation_periods=FAILURE_ALARM_EVALUATION_PERIODS,
        datapoints_to_alarm=FAILURE_ALARM_DATAPOINTS,
        comparison_operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treat_missing_data=cloudwatch.TreatMissingData.NOT_BREACHING,
    )
