"""One ordered reader per table: a pipe that applies every change through a state machine."""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_sqs as sqs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from ._dead_letter import create_dead_letter_queue, dead_letter_alarm
from ._nag import STATE_MACHINE_RULES, acknowledge
from ._pipe_config import DEFAULT_MAX_RETRY_ATTEMPTS
from ._pipe_logs import log_configuration, pipe_log_group
from ._pipe_metrics import failure_alarm, pipe_metric
from ._pipe_role import attach_to_given_role, create_pipe_role, pipe_statements
from ._readers import StreamReaders
from ._sync_config import SyncConfig, SyncProps, validate_sync
from ._sync_definition import SyncDefinition
from ._sync_role import invoke_http_statement, state_machine_statements
from ._validation import Checker
from .connection import MomentoConnection
from .enums import LogLevel, StartingPosition
from .payload import MomentoPayload

__all__ = ["DynamoToMomentoSync"]

# Step Functions log levels for the pipe's: INFO and TRACE both mean every event.
_STATE_MACHINE_LOG_LEVEL = {
    LogLevel.ERROR: "ERROR",
    LogLevel.INFO: "ALL",
    LogLevel.TRACE: "ALL",
}


class DynamoToMomentoSync(Construct):
    """Keeps a Momento cache exactly in step with a table: one pipe, one reader, stream order.

    The pipe reads the table's stream and, for every record in stream order, starts an
    EXPRESS state machine synchronously (``REQUEST_RESPONSE``). The state machine sets the item
    under its key (``INSERT``, ``MODIFY``), deletes it (``REMOVE``, or an epoch TTL already
    passed) and, when ``topic_name`` is given, announces the change, through HTTP tasks
    authorised by the ``MomentoConnection``. 429, 5xx and timeouts are retried inside; a change
    that still fails becomes one dead-letter message naming the table, the keys, the event and
    the sequence number, and the pipe moves on.

    Example::

        DynamoToMomentoSync(self, "Sync", table=table, connection=connection,
                            endpoint=MomentoEndpoint.for_region("us-west-2"),
                            cache_name="weather")
    """

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        table: dynamodb.ITable,
        connection: MomentoConnection,
        endpoint: str,
        cache_name: str,
        topic_name: str | None = None,
        key_attributes: Sequence[str] | None = None,
        key_separator: str = "#",
        value: MomentoPayload | None = None,
        ttl: Duration | None = None,
        ttl_attribute: str | None = None,
        ttl_epoch_attribute: str | None = None,
        max_ttl: Duration | None = None,
        dead_letter_queue: sqs.IQueue | None = None,
        max_retry_attempts: int = DEFAULT_MAX_RETRY_ATTEMPTS,
        max_record_age: Duration | None = None,
        starting_position: StartingPosition | str = StartingPosition.LATEST,
        log_level: LogLevel | str = LogLevel.ERROR,
        include_execution_data: bool = False,
        log_group: logs.ILogGroup | None = None,
        log_retention: logs.RetentionDays | None = None,
        role: iam.IRole | None = None,
        pipe_name: str | None = None,
        description: str | None = None,
        create_alarms: bool = True,
        alarm_action: cloudwatch.IAlarmAction | None = None,
    ) -> None:
        """
        Args:
            table: the source table; it must have a stream (``NEW_AND_OLD_IMAGES`` or
                ``NEW_IMAGE`` for bodies that read the item). Required.
            connection: the connection that adds the Momento API key. Required.
            endpoint: the Momento HTTP API base URL (``MomentoEndpoint``) or a token. Required.
            cache_name: the Momento cache. Required; URL-safe characters only.
            topic_name: announce every applied change on this topic (``change_notice()``
                body). Default: no announcements.
            key_attributes: the attributes whose values make the Momento key, partition key
                then sort key. Default: the table's key attributes; required for an imported
                table. A single ``BINARY`` key is sent as ``key_base64``.
            key_separator: joins the parts of a composite key (``pk#sk``). Default: ``"#"``.
            value: the cached body: ``new_image()``, ``from_attributes(...)`` or
                ``change_notice()``, as on ``DynamoToMomentoPipe``. Default: ``new_image()``.
            ttl: a fixed time to live. Default: 1 hour when no TTL attribute is given.
            ttl_attribute: a numeric attribute holding the TTL in relative seconds.
            ttl_epoch_attribute: a numeric attribute holding DynamoDB TTL-style epoch seconds:
                the cache TTL is the time left; an item already expired is deleted, not set.
                With either attribute, an item without it is cached for ``max_ttl``, and a
                longer TTL is cut to ``max_ttl``.
            max_ttl: the largest TTL. Default: 24 hours, Momento's limit for on-demand caches.
            dead_letter_queue, max_retry_attempts, max_record_age, starting_position,
            log_level, include_execution_data, log_group, log_retention, role, pipe_name,
            description, create_alarms, alarm_action: as on ``DynamoToMomentoPipe``. The
            pipe's retries apply when an execution fails as a whole (the dead letter could
            not be sent); the log group serves the pipe and the state machine.
        """
        props = SyncProps(
            table=table,
            connection=connection,
            endpoint=endpoint,
            cache_name=cache_name,
            topic_name=topic_name,
            key_attributes=key_attributes,
            key_separator=key_separator,
            value=value,
            ttl=ttl,
            ttl_attribute=ttl_attribute,
            ttl_epoch_attribute=ttl_epoch_attribute,
            max_ttl=max_ttl,
            dead_letter_queue=dead_letter_queue,
            max_retry_attempts=max_retry_attempts,
            max_record_age=max_record_age,
            starting_position=starting_position,
            log_level=log_level,
            include_execution_data=include_execution_data,
            log_group=log_group,
            log_retention=log_retention,
            role=role,
            pipe_name=pipe_name,
            description=description,
            create_alarms=create_alarms,
            alarm_action=alarm_action,
        )
        config = validate_sync(props, Checker(f"DynamoToMomentoSync {id!r}"))
        super().__init__(scope, id)
        self.table: dynamodb.ITable = config.table
        """The source table."""
        self.cache_name: str = config.cache_name
        """The Momento cache."""
        self.topic_name: str | None = config.topic_name
        """The Momento topic changes are announced on (None: no announcements)."""
        self.key_attributes: tuple[str, ...] = tuple(k.attribute for k in config.keys)
        """The attributes whose values make the Momento key, in order."""
        self._build_resources(config)
        self.state_machine: sfn.CfnStateMachine = self._build_state_machine(config)
        """The EXPRESS state machine (L1) that applies one record."""
        self.pipe: pipes.CfnPipe = self._build_pipe(config)
        """The EventBridge pipe (L1); also ``node.default_child``."""
        self.node.default_child = self.pipe
        self._build_alarms(config)
        StreamReaders.of(self).add(self, config.table, config.stream_arn)

    # -- build steps ------------------------------------------------------------------------

    def _build_resources(self, config: SyncConfig) -> None:
        given = config.resources
        self._created_queue = given.dead_letter_queue is None
        self.dead_letter_queue: sqs.IQueue = given.dead_letter_queue or create_dead_letter_queue(
            self
        )
        """Where changes go that failed every retry (one message each, with the keys)."""
        self.log_group: logs.ILogGroup | None = pipe_log_group(
            self, config.log_level, given.log_group, config.log_retention
        )
        """The log group of the pipe and the state machine (None when ``log_level`` is OFF)."""
        self._queue_arn = self.dead_letter_queue.queue_arn
        self._queue_key = (
            None if self._created_queue else self.dead_letter_queue.encryption_master_key
        )
        self._log_group_arn = self.log_group.log_group_arn if self.log_group else None

    def _build_state_machine(self, config: SyncConfig) -> sfn.CfnStateMachine:
        stack = Stack.of(self)
        self.state_machine_role: iam.Role = iam.Role(
            self,
            "StateMachineRole",
            assumed_by=iam.ServicePrincipal(
                "states.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": stack.account},
                    "ArnLike": {
                        "aws:SourceArn": stack.format_arn(
                            service="states", resource="stateMachine", resource_name="*"
                        )
                    },
                },
            ),
            description="Lets the state machine call Momento and park failed changes",
            inline_policies={
                "ApplyToMomento": iam.PolicyDocument(
                    statements=state_machine_statements(
                        connection_arn=config.connection.connection_arn,
                        connection_secret_arn=config.connection.connection_secret_arn,
                        queue_arn=self._queue_arn,
                        queue_key=self._queue_key,
                        logs=self._log_group_arn is not None,
                    )
                )
            },
        )
        """The role the state machine assumes."""
        definition = SyncDefinition(
            endpoint=config.endpoint,
            connection_arn=config.connection.connection_arn,
            cache_name=config.cache_name,
            topic_name=config.topic_name,
            queue_url=self.dead_letter_queue.queue_url,
            table_name=config.table.table_name,
            keys=config.keys,
            key_separator=config.key_separator,
            body=config.body,
            announcement=config.announcement,
            ttl=config.ttl,
        )
        self.definition = definition.build()
        """The state machine's definition (Amazon States Language, JSONata; may hold tokens)."""
        machine = sfn.CfnStateMachine(
            self,
            "StateMachine",
            state_machine_type="EXPRESS",
            role_arn=self.state_machine_role.role_arn,
            definition_string=stack.to_json_string(self.definition),
            logging_configuration=self._state_machine_logs(config),
        )
        acknowledge(machine, STATE_MACHINE_RULES)
        acknowledge(self.state_machine_role, STATE_MACHINE_RULES)
        # Its own ARN in its own role would be a cycle: a separate policy, created after it.
        self.invoke_policy = iam.Policy(
            self,
            "InvokeMomentoPolicy",
            statements=[invoke_http_statement(machine.attr_arn, definition)],
        )
        self.invoke_policy.attach_to_role(self.state_machine_role)
        return machine

    def _state_machine_logs(
        self, config: SyncConfig
    ) -> sfn.CfnStateMachine.LoggingConfigurationProperty | None:
        if self._log_group_arn is None:
            return None
        return sfn.CfnStateMachine.LoggingConfigurationProperty(
            level=_STATE_MACHINE_LOG_LEVEL[config.log_level],
            include_execution_data=config.include_execution_data,
            destinations=[
                sfn.CfnStateMachine.LogDestinationProperty(
                    cloud_watch_logs_log_group=sfn.CfnStateMachine.CloudWatchLogsLogGroupProperty(
                        log_group_arn=self._log_group_arn
                    )
                )
            ],
        )

    def _build_pipe(self, config: SyncConfig) -> pipes.CfnPipe:
        statements = pipe_statements(
            stream_arn=config.stream_arn,
            target=iam.PolicyStatement(
                sid="StartStateMachine",
                actions=["states:StartSyncExecution"],
                resources=[self.state_machine.attr_arn],
            ),
            queue_arn=self._queue_arn,
            log_group_arn=self._log_group_arn,
            table_key=config.facts.encryption_key,
            queue_key=self._queue_key,
        )
        self.policy: iam.Policy | None = None
        """The policy attached to a given pipe role (None when the construct created it)."""
        if config.resources.role is None:
            self.role: iam.IRole = create_pipe_role(self, statements, config.pipe_name)
            """The role the pipe assumes."""
        else:
            self.role = config.resources.role
            self.policy = attach_to_given_role(self, config.resources.role, statements)
        stream = pipes.CfnPipe.PipeSourceDynamoDBStreamParametersProperty(
            starting_position=config.starting_position.value,
            # One record per execution, one execution at a time per shard: stream order.
            batch_size=1,
            parallelization_factor=1,
            maximum_retry_attempts=config.max_retry_attempts,
            maximum_record_age_in_seconds=config.max_record_age_seconds,
            dead_letter_config=pipes.CfnPipe.DeadLetterConfigProperty(arn=self._queue_arn),
        )
        pipe = pipes.CfnPipe(
            self,
            "Pipe",
            role_arn=self.role.role_arn,
            source=config.stream_arn,
            # No filter: every record must reach the state machine, or the cache drifts.
            source_parameters=pipes.CfnPipe.PipeSourceParametersProperty(
                dynamo_db_stream_parameters=stream
            ),
            target=self.state_machine.attr_arn,
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                step_function_state_machine_parameters=(
                    pipes.CfnPipe.PipeTargetStateMachineParametersProperty(
                        invocation_type="REQUEST_RESPONSE"
                    )
                )
            ),
            log_configuration=log_configuration(
                config.log_level, self._log_group_arn, config.include_execution_data
            ),
            name=config.pipe_name,
            description=config.description,
        )
        # Pipes checks its permissions when it is created: attach them first.
        for dependency in (self.policy, self.invoke_policy):
            if dependency is not None:
                pipe.node.add_dependency(dependency)
        return pipe

    def _build_alarms(self, config: SyncConfig) -> None:
        self.dead_letter_queue_alarm: cloudwatch.Alarm | None = None
        """Alarm on any message in the dead-letter queue (None when alarms are off)."""
        self.failure_alarm: cloudwatch.Alarm | None = None
        """Alarm on failed pipe executions (None when alarms are off)."""
        if not config.create_alarms:
            return
        self.dead_letter_queue_alarm = dead_letter_alarm(
            self,
            self.dead_letter_queue,
            created=self._created_queue,
            description=(
                "Changes failed after every retry. Each message names the table, the keys, the "
                "event and the sequence number: redrive makes the cache match the table."
            ),
        )
        self.failure_alarm = failure_alarm(self, self.pipe_name)
        action = config.resources.alarm_action
        if action is not None:
            self.failure_alarm.add_alarm_action(action)
            self.dead_letter_queue_alarm.add_alarm_action(action)

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
    def state_machine_arn(self) -> str:
        """The state machine's ARN."""
        return self.state_machine.attr_arn

    @property
    def alarms(self) -> list[cloudwatch.Alarm]:
        """The alarms: dead letters, then failed pipe executions (empty when off)."""
        return [a for a in (self.dead_letter_queue_alarm, self.failure_alarm) if a is not None]

    def metric(self, metric_name: str, *, period: Duration | None = None) -> cloudwatch.Metric:
        """A metric of the pipe in ``AWS/EventBridge/Pipes`` by ``PipeName`` (Sum)."""
        return pipe_metric(self.pipe_name, metric_name, period=period)

    def metric_execution_failed(self, *, period: Duration | None = None) -> cloudwatch.Metric:
        """Pipe executions that failed (Sum)."""
        return self.metric("ExecutionFailed", period=period)
