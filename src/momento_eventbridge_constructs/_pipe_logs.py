"""Where a pipe logs, and how much."""

from __future__ import annotations

from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from constructs import Construct

from .enums import LogLevel

DEFAULT_LOG_RETENTION = logs.RetentionDays.ONE_MONTH


def pipe_log_group(
    scope: Construct,
    level: LogLevel,
    given: logs.ILogGroup | None,
    retention: logs.RetentionDays | None,
) -> logs.ILogGroup | None:
    """The given log group, or one created with ``retention``; None when logging is off."""
    if level is LogLevel.OFF:
        return None
    return given or logs.LogGroup(scope, "LogGroup", retention=retention or DEFAULT_LOG_RETENTION)


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
