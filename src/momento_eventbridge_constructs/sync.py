"""One ordered reader per table: a pipe that applies every change through a state machine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from aws_cdk import Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_pipes as pipes
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct
from publication import publish

from ._nag import STATE_MACHINE_RULES, acknowledge
from ._pipe_base import PipeBackedConstruct
from ._reader_options import ReaderOptions, given
from ._sync_config import DEFAULT_BATCH_SIZE, SyncConfig, SyncProps, validate_sync
from ._sync_definition import SyncDefinition
from ._sync_role import create_state_machine_role, invoke_http_statements, state_machine_statements
from ._validation import Checker
from .connection import IMomentoConnection
from .enums import LogLevel

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = ["DynamoToMomentoSync"]

# Step Functions log levels for the pipe's: INFO and TRACE both mean every event.
DEAD_LETTER_DESCRIPTION = (
    "Changes failed after every retry. Each message names the table, the keys, the event and "
    "the sequence number: redrive makes the cache match the table."
)
_STATE_MACHINE_LOG_LEVEL: Mapping[LogLevel, str] = {
    LogLevel.ERROR: "ERROR",
    LogLevel.INFO: "ALL",
    LogLevel.TRACE: "ALL",
}


class DynamoToMomentoSync(PipeBackedConstruct):
    """Keeps a Momento cache exactly in step with a table: one pipe, one reader, stream order.

    The pipe reads the table's stream and, for every record in stream order, starts an
    EXPRESS state machine synchronously (``REQUEST_RESPONSE``). The state machine sets the item
    under its key (``INSERT``, ``MODIFY``), deletes it (``REMOVE``, or an epoch TTL already
    passed) and, when ``topic_name`` is given, announces the change, through HTTP tasks
    authorised by the ``MomentoConnection``. 429, 5xx and timeouts are retried inside; a change
    that still fails becomes one dead-letter message naming the table, the keys, the event and
    the sequence number, and the pipe moves on. With ``batch_size`` above 1 one execution takes
    up to that many records and applies the last change of each key (see ``batch_size``).

    Example::

        DynamoToMomentoSync(self, "Sync", table=table, connection=connection,
                            endpoint=MomentoEndpoint.for_region("us-west-2"),
                            cache_name="weather")

    Args:
        connection: the connection that adds the Momento API key. Required.
        endpoint: the Momento HTTP API base URL (``MomentoEndpoint``) or a token. Required.
        key_attributes: the attributes whose values make the Momento key, partition key
            then sort key; every key attribute of the table, in order. Default: the
            table's key attributes (known to CDK, or stated with ``partition_key`` and
            ``sort_key``). A single ``BINARY`` key is sent as ``key_base64``.
        key_separator: joins the parts of a composite key (``pk#sk``). Default: ``"#"``.
        ttl_epoch_attribute: a numeric attribute holding DynamoDB TTL-style epoch seconds:
            the cache TTL is the time left; an item already expired is deleted, not set.
            Default: none. With either attribute, the TTL is cut to ``[1 s, max_ttl]`` and
            an item without the attribute is cached for ``max_ttl``.
        batch_size: the most stream records one execution applies, 1 to 100. Above 1, an
            execution groups its records by Momento key in stream order and applies only the
            last change of each key (set, or delete), keys in parallel up to
            ``max_concurrency``, one key's changes never in parallel; with ``topic_name``
            every applied change is then announced in stream order, in as few
            ``{"changes": [...]}`` messages as fit Momento's 4 KB. A key that still fails
            becomes one dead letter naming the key and all its changes. 1: one record per
            execution and one notice per message, as in v0.2. Default: 10 (measured: about
            6 times the changes per second of 1 and 60% fewer Momento calls on a busy table;
            10 small records are far below the 262,144 characters a batch may carry).
        max_batching_window: how long the pipe may wait to fill a batch, 0 to 300 seconds.
            Default: not set (Pipes' default).
        max_concurrency: keys applied at once when ``batch_size`` is above 1, 1 to 40; a
            batch may take at most 3 rounds of keys (``batch_size <= 3 * max_concurrency``),
            so the worst case of retries fits the execution timeout. Default: 10 (or
            ``batch_size`` when smaller), near Momento's default of 100 operations per second.

    Keyword Args:
        table (dynamodb.ITable): the source table; it must have a stream (``NEW_AND_OLD_IMAGES`` or
            ``NEW_IMAGE`` for bodies that read the item). Required.
        partition_key (dynamodb.Attribute): the partition key (name and type) of an imported table,
            as on ``dynamodb.Table``. Default: none, right for a table defined in the app (CDK knows
            its schema; a stated one must match it). Required for an imported table
            (``Table.from_table_attributes``).
        sort_key (dynamodb.Attribute): the sort key of an imported table, when it has one. Default:
            none (no sort key, or the table's own schema); needs ``partition_key``.
        cache_name (str): the Momento cache. Required; URL-safe characters only.
        topic_name (str): announce every applied change on this topic (``change_notice()`` body).
            Default: no announcements.
        value (MomentoPayload): the cached body: ``new_image()``, ``from_attributes(...)`` or
            ``change_notice()``, as on ``DynamoToMomentoPipe``. Default: ``new_image()``.
        ttl (Duration): a fixed time to live, 1 second to ``max_ttl``. Default: 1 hour when no TTL
            attribute is given.
        ttl_attribute (str): a numeric attribute of the new image holding the TTL in relative
            seconds, as on ``DynamoToMomentoPipe``. Default: none.
        max_ttl (Duration): the largest TTL. Default: 24 hours, Momento's limit for on-demand
            caches.

    The delivery options of ``DynamoToMomentoPipe`` (its keyword args ``dead_letter_queue``,
    ``max_retry_attempts``, ``max_record_age``, ``starting_position``, ``log_level``,
    ``include_execution_data``, ``log_group``, ``log_retention``, ``role``, ``pipe_name``,
    ``description``, ``create_alarms``, ``alarm_action``) are keyword args here too, taken and
    checked the same way. The pipe's retries apply when an execution fails as a whole (the dead
    letter could not be sent); the log group serves the pipe and the state machine.
    """

    # Step Functions delivers to the log group through CloudWatch Logs' vended-log
    # infrastructure: the group it creates is named /aws/vendedlogs/states/... (see _pipe_logs).
    _vended_log_group = True

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        connection: IMomentoConnection,
        endpoint: str,
        key_attributes: Sequence[str] | None = None,
        key_separator: str = "#",
        ttl_epoch_attribute: str | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE,
        max_batching_window: Duration | None = None,
        max_concurrency: int | None = None,
        **options: Unpack[ReaderOptions],
    ) -> None:
        config = validate_sync(given(SyncProps, locals()), Checker(f"DynamoToMomentoSync {id!r}"))
        super().__init__(scope, id)
        self._expose(config)
        self._build_delivery(config.delivery)
        self.state_machine: sfn.CfnStateMachine = self._build_state_machine(config)
        """The EXPRESS state machine (L1) that applies one record, or one batch."""
        self._bind_role(
            config.delivery,
            iam.PolicyStatement(
                sid="StartStateMachine",
                actions=["states:StartSyncExecution"],
                resources=[self.state_machine.attr_arn],
            ),
        )
        self._build_pipe(config)
        self._finish(config.delivery, [self.invoke_policy], DEAD_LETTER_DESCRIPTION)

    def _expose(self, config: SyncConfig) -> None:
        self.cache_name: str = config.cache_name
        """The Momento cache."""
        self.topic_name: str | None = config.topic_name
        """The Momento topic changes are announced on (None: no announcements)."""
        self.key_attributes: tuple[str, ...] = tuple(k.attribute for k in config.keys)
        """The attributes whose values make the Momento key, in order."""

    def _build_state_machine(self, config: SyncConfig) -> sfn.CfnStateMachine:
        stack = Stack.of(self)
        self.state_machine_role: iam.Role = create_state_machine_role(
            self,
            state_machine_statements(
                connection_arn=config.connection.connection_arn,
                connection_secret_arn=config.connection.connection_secret_arn,
                queue_arn=self._queue_arn,
                queue_key=self._queue_key,
                logs=self._log_group_arn is not None,
            ),
        )
        """The role the state machine assumes."""
        definition = SyncDefinition(
            endpoint=config.endpoint,
            connection_arn=config.connection.connection_arn,
            cache_name=config.cache_name,
            topic_name=config.topic_name,
            queue_url=self.dead_letter_queue.queue_url,
            table_name=config.delivery.table.table_name,
            keys=config.keys,
            key_separator=config.key_separator,
            body=config.body,
            announcement=config.announcement,
            ttl=config.ttl,
            batching=config.batching,
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
            statements=invoke_http_statements(machine.attr_arn, definition),
        )
        self.invoke_policy.attach_to_role(self.state_machine_role)
        return machine

    def _state_machine_logs(
        self, config: SyncConfig
    ) -> sfn.CfnStateMachine.LoggingConfigurationProperty | None:
        if self._log_group_arn is None:
            return None
        return sfn.CfnStateMachine.LoggingConfigurationProperty(
            level=_STATE_MACHINE_LOG_LEVEL[config.delivery.log_level],
            include_execution_data=config.delivery.include_execution_data,
            destinations=[
                sfn.CfnStateMachine.LogDestinationProperty(
                    cloud_watch_logs_log_group=sfn.CfnStateMachine.CloudWatchLogsLogGroupProperty(
                        log_group_arn=self._log_group_arn
                    )
                )
            ],
        )

    def _build_pipe(self, config: SyncConfig) -> None:
        # No filter: every record must reach the state machine, or the cache drifts.
        # One batch per execution, one execution at a time per shard: stream order.
        batching = config.batching
        self._create_pipe(
            config.delivery,
            target=self.state_machine.attr_arn,
            target_parameters=pipes.CfnPipe.PipeTargetParametersProperty(
                step_function_state_machine_parameters=(
                    pipes.CfnPipe.PipeTargetStateMachineParametersProperty(
                        invocation_type="REQUEST_RESPONSE"
                    )
                )
            ),
            description=config.description,
            parallelization_factor=1,
            batch_size=batching.size,
            batching_window_seconds=batching.window_seconds,
        )

    @property
    def state_machine_arn(self) -> str:
        """The state machine's ARN."""
        return self.state_machine.attr_arn


publish()
