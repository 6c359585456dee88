"""What every construct built around one pipe shares: its queue, logs, role, source, alarms,
and the CDK conventions users expect of it (``pipe_name``, ``metric_*``, ``alarms``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from ._dead_letter import (
    ALARM_DESCRIPTION,
    add_action_once,
    create_dead_letter_queue,
    dead_letter_alarm,
)
from ._delivery import Delivery
from ._nag import PIPE_ROLE_RULES, acknowledge
from ._pipe_logs import log_configuration, pipe_log_group
from ._pipe_metrics import failure_alarm, pipe_metric
from ._pipe_role import attach_to_given_role, create_pipe_role, pipe_statements
from ._readers import StreamReaders


class PipeBackedConstruct(Construct):
    """A construct whose work starts with one pipe reading a table's stream.

    Subclasses call, in order: :meth:`_build_delivery`, :meth:`_bind_role`,
    :meth:`_create_pipe`, then :meth:`_finish`.
    """

    pipe: pipes.CfnPipe
    """The EventBridge pipe (L1); also ``node.default_child``."""

    # A construct whose log group a service other than Pipes delivers to (the sync's state
    # machine) names the group it creates /aws/vendedlogs/... (see _pipe_logs).
    _vended_log_group = False

    def _build_delivery(self, delivery: Delivery) -> None:
        """The dead-letter queue and the log group, created unless given."""
        self.table: dynamodb.ITable = delivery.table
        """The source table."""
        given = delivery
        self._created_queue = given.dead_letter_queue is None
        self.dead_letter_queue: sqs.IQueue = given.dead_letter_queue or create_dead_letter_queue(
            self
        )
        """The dead-letter queue: what still failed after the last retry."""
        self.log_group: logs.ILogGroup | None = pipe_log_group(
            self,
            delivery.log_level,
            given.log_group,
            delivery.log_retention,
            vended_name=self._vended_log_group,
        )
        """The log group (None when ``log_level`` is ``OFF``)."""
        # Each ARN is a jsii property read (a round trip): read each once.
        self._queue_arn = self.dead_letter_queue.queue_arn
        # The queue created above uses SQS-managed encryption: no key to grant.
        self._queue_key = (
            None if self._created_queue else self.dead_letter_queue.encryption_master_key
        )
        self._log_group_arn = self.log_group.log_group_arn if self.log_group else None

    def _bind_role(self, delivery: Delivery, target: iam.PolicyStatement) -> None:
        """The pipe's role: created with exactly what it needs, or the given one."""
        statements = pipe_statements(
            stream_arn=delivery.stream_arn,
            target=target,
            queue_arn=self._queue_arn,
            log_group_arn=self._log_group_arn,
            table_key=delivery.facts.encryption_key,
            queue_key=self._queue_key,
        )
        self.policy: iam.Policy | None = None
        """The policy attached to a given role (None when the construct created the role)."""
        given = delivery.role
        if given is None:
            role = create_pipe_role(self, statements, delivery.pipe_name)
            acknowledge(role, PIPE_ROLE_RULES)
            self.role: iam.IRole = role
            """The role the pipe assumes."""
        else:
            self.role = given
            self.policy = attach_to_given_role(self, given, statements)
            acknowledge(self.policy, PIPE_ROLE_RULES)

    def _create_pipe(
        self,
        delivery: Delivery,
        *,
        target: str,
        target_parameters: pipes.CfnPipe.PipeTargetParametersProperty,
        description: str,
        filter_criteria: pipes.CfnPipe.FilterCriteriaProperty | None = None,
        parallelization_factor: int | None = None,
        batch_size: int = 1,
        batching_window_seconds: int | None = None,
    ) -> None:
        """``self.pipe``: bounded retries and record age, the dead-letter queue.

        Batch size 1 unless the target takes batches (a state machine): an API destination
        cannot (https://docs.aws.amazon.com/eventbridge/latest/userguide/
        eb-pipes-batching-concurrency.html).
        """
        stream = pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
            starting_position=delivery.starting_position.value,
            batch_size=batch_size,
            maximum_batching_window_in_seconds=batching_window_seconds,
            parallelization_factor=parallelization_factor,
            maximum_retry_attempts=delivery.max_retry_attempts,
            maximum_record_age_in_seconds=delivery.max_record_age_seconds,
            dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(arn=self._queue_arn),
        )
        self.pipe = pipes.CfnPipe(
            self,
            "Pipe",
            role_arn=self.role.role_arn,
            source=delivery.stream_arn,
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                dynamo_db_stream_parameters=stream, filter_criteria=filter_criteria
            ),
            target=target,
            target_parameters=target_parameters,
            log_configuration=log_configuration(
                delivery.log_level, self._log_group_arn, delivery.include_execution_data
            ),
            name=delivery.pipe_name,
            description=description,
        )

    def _finish(
        self,
        delivery: Delivery,
        dependencies: Sequence[Construct | None],
        dead_letter_description: str = ALARM_DESCRIPTION,
    ) -> None:
        """Default child, permissions before the pipe, alarms, and the stream-reader count."""
        self.node.default_child = self.pipe
        # Pipes checks its permissions when it is created: attach them first.
        for dependency in (self.policy, *dependencies):
            if dependency is not None:
                self.pipe.node.add_dependency(dependency)
        self._build_alarms(delivery, dead_letter_description)
        StreamReaders.of(self).add(self, delivery.table, delivery.stream_arn)

    def _build_alarms(self, delivery: Delivery, description: str) -> None:
        self.dead_letter_queue_alarm: cloudwatch.Alarm | None = None
        """Alarm on any message in the dead-letter queue (None when alarms are off). One per
        queue in the construct tree: constructs sharing a queue share it."""
        self.failure_alarm: cloudwatch.Alarm | None = None
        """Alarm on pipe executions failing in 3 of 5 minutes (None when alarms are off)."""
        if not delivery.create_alarms:
            return
        self.dead_letter_queue_alarm = dead_letter_alarm(
            self, self.dead_letter_queue, created=self._created_queue, description=description
        )
        self.failure_alarm = failure_alarm(self, self.pipe_name)
        action = delivery.alarm_action
        if action is not None:
            self.failure_alarm.add_alarm_action(action)
            add_action_once(self.dead_letter_queue_alarm, action)

    # -- CDK conventions --------------------------------------------------------------------

    @property
    def pipe_name(self) -> str:
        """The pipe's name (a token unless ``pipe_name`` was given)."""
        return self.pipe.ref

    @property
    def pipe_arn(self) -> str:
        """The pipe's ARN."""
        return self.pipe.attr_arn

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        """The alarms: dead letters, then failed executions (empty when alarms are off)."""
        return [a for a in (self.dead_letter_queue_alarm, self.failure_alarm) if a is not None]

    def metric(
        self,
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
        """A metric of the pipe in ``AWS/EventBridge/Pipes`` by ``PipeName``.

        Names are those of the Pipes monitoring page (``Invocations``, ``ExecutionFailed``,
        ``TargetStageDuration``, ...). Default statistic: Sum; default period: 5 minutes.
        """
        return pipe_metric(
            self.pipe_name,
            metric_name,
            statistic=statistic,
            period=period,
            label=label,
            unit=unit,
            color=color,
            account=account,
            region=region,
            dimensions_map=dimensions_map,
        )

    def metric_execution_failed(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Executions that failed (Sum), retried ones included."""
        return self.metric("ExecutionFailed", period=period)

    def metric_execution_throttled(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Executions that were throttled (Sum)."""
        return self.metric("ExecutionThrottled", period=period)

    def metric_execution_timeout(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Executions that timed out before completing (Sum)."""
        return self.metric("ExecutionTimeout", period=period)

    def metric_target_stage_failed(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Target stage executions (the Momento call, or the state machine) that failed (Sum)."""
        return self.metric("TargetStageFailed", period=period)
