"""Where a pipe (and a sync's state machine) logs, and how much."""

from __future__ import annotations

from aws_cdk import Aws, Fn, Names
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from constructs import Construct

from .enums import LogLevel

DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH

# Step Functions delivers its logs through CloudWatch Logs' log delivery, which grants itself
# access in the account's log resource policy; that policy is limited to 5120 characters and
# log groups named /aws/vendedlogs/... keep it from growing (Step Functions best practices,
# https://docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html; "Enable logging from AWS
# services", https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/AWS-logs-and-resource-policy.html).
# A pipe writes its logs with its own execution role (logs:CreateLogStream, logs:PutLogEvents
# in the role's policy, as aws-cdk's pipes-alpha CloudwatchLogsLogDestination grants them), not
# through that resource policy; the Pipes logging page names no /aws/vendedlogs/ requirement
# (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-logs.html). So a pipe's
# log group keeps a generated name. (Which path Pipes uses is not stated outright on the AWS
# pages read: unverified.)
VENDED_LOGS_PREFIX = "/aws/vendedlogs/states/"
# A state machine's LoggingConfiguration takes the log group ARN, ending in ":*", in at most
# 256 characters (CloudWatchLogsLogGroup,
# https://docs.aws.amazon.com/step-functions/latest/apireference/API_CloudWatchLogsLogGroup.html);
# the name itself may have 1-512 of [.-_/#A-Za-z0-9] (CreateLogGroup,
# https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_CreateLogGroup.html).
MAX_STATE_MACHINE_LOG_GROUP_ARN = 256
# "arn:" + partition (aws-us-gov, 10) + ":logs:" + region (20 allowed) + ":" + account (12)
# + ":log-group:" ... ":*"
LOG_GROUP_ARN_OVERHEAD = 4 + 10 + 6 + 20 + 1 + 12 + 11 + 2
MAX_VENDED_NAME = MAX_STATE_MACHINE_LOG_GROUP_ARN - LOG_GROUP_ARN_OVERHEAD
STACK_UUID_LENGTH = 36  # the last part of AWS::StackId: .../stack/<name>/<uuid>
MAX_UNIQUE_PART = MAX_VENDED_NAME - len(VENDED_LOGS_PREFIX) - 1 - STACK_UUID_LENGTH


def state_machine_log_group_name(scope: Construct) -> str:
    """``/aws/vendedlogs/states/<stack>-<path>-<hash>-<stack uuid>`` for the construct ``scope``.

    A physical name, the one exception to "no hard-coded physical names": CloudWatch Logs
    only exempts log groups from the resource policy by their name. It is derived, not chosen:
    the stack name and construct path (``Names.unique_resource_name``, unique in the app)
    make it stable across updates, and the stack's UUID (from ``AWS::StackId``) keeps two
    stacks, or a stack deleted and deployed again while the old, retained log group is still
    there, from colliding. Renaming the construct replaces the log group.
    """
    unique = Names.unique_resource_name(scope, max_length=MAX_UNIQUE_PART, separator="-")
    stack_uuid = Fn.select(2, Fn.split("/", Aws.STACK_ID))
    return f"{VENDED_LOGS_PREFIX}{unique}-{stack_uuid}"


def pipe_log_group(
    scope: Construct,
    level: LogLevel,
    given: logs.ILogGroup | None,
    retention: logs.RetentionDays | None,
    *,
    vended_name: bool = False,
) -> logs.ILogGroup | None:
    """The given log group (used as is), or one created with ``retention``; None when logging
    is off. ``vended_name``: the created group takes :func:`state_machine_log_group_name`."""
    if level is LogLevel.OFF:
        return None
    if given is not None:
        return given
    return logs.LogGroup(
        scope,
        "LogGroup",
        retention=retention or DEFAULT_LOG_RETENTION,
        log_group_name=state_machine_log_group_name(scope) if vended_name else None,
    )


def log_configuration(
    level: LogLevel, log_group_arn: str | None, include_execution_data: bool
) -> pipes.CfnPipe.PipeLogConfigurationProperty:
    """``IncludeExecutionData`` logs payloads unredacted, so it is only set when asked for."""
    if log_group_arn is None:
        return pipes.CfnPipe.PipeLogConfigurationProperty(level=LogLevel.OFF.value)
    return pipes.CfnPipe.PipeLogConfigurationProperty(
        level=level.value,
        include_execution_data=["ALL"] if include_execution_data else None,
        cloudwatch_logs_log_destination=pipes.CfnPipe.CloudwatchLogsLogDestinationProperty(
            log_group_arn=log_group_arn
        ),
    )
