"""The local EventBridge Pipes runtime: DynamoDB stream -> filter -> template -> HTTP target.

:class:`LocalPipeline` reads a synthesized stack, creates its tables, queues and secrets in a
local moto server, starts a local Momento server (unless ``MOMENTO_API_KEY`` and
``MOMENTO_API_ENDPOINT`` point at the real service) and runs every ``AWS::Pipes::Pipe`` whose
source is the stream of a table of that stack, with one worker thread per pipe and shard.

The work is done by one module per concern; this class wires them together:
:mod:`.resources` and :mod:`.secret_store` (the stack's resources in moto), :mod:`.resolve`
(pipes), :mod:`.momento_backend` (which Momento), :mod:`.shards` (reading the stream),
:mod:`.steps` (filtering), :mod:`.delivery`, :mod:`.target` and :mod:`.dead_letters`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from publication import publish

from .._aws_names import PIPES_PRINCIPAL
from .._lifecycle import Lifecycle
from ..engine.assembly import StackTemplate, load_stack, synthesize
from ..engine.momento_client import MomentoHttpClient
from .authorizer import AccessDenied, Authorizer, RoleGuard
from .aws import LocalAws
from .dead_letters import DeadLetters
from .delivery import Delivery, RetryPolicy
from .events import DeliveryEvent, EventLog
from .momento_backend import MomentoBackend
from .momento_server import LocalMomentoServer
from .resolve import PipeResolver
from .resources import StackResources
from .roles import role_policies
from .secret_store import LocalSecrets
from .shards import BatchHandler, StreamReader, WorkerPool
from .specs import Destination, PipeSpec
from .state_machine_target import StateMachineTarget
from .steps import PipeSteps
from .target import HttpTarget, Target

if TYPE_CHECKING:
    from aws_cdk import Stack
    from mypy_boto3_dynamodb.client import DynamoDBClient

__all__ = ["DeliveryEvent", "Destination", "LocalPipeline", "PipeSpec"]

_LOG = logging.getLogger("momento_eventbridge_constructs.local")
# What a pipe reads a DynamoDB stream with (eb-pipes-permissions.html; ListStreams is not
# called locally: the pipe is given its stream).
STREAM_READS = ("dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords")


class LocalPipeline(Lifecycle):
    """Runs the pipes of one synthesized stack against local AWS and (local) Momento.

    Use :meth:`from_cloud_assembly` and a ``with`` block. Args:
        stack: the stack template (see :func:`~.assembly.load_stack`).
        region: the local region (default: the stack's, else ``us-east-1``).
        account_id: the local account (default: random, isolating concurrent runtimes;
            with an ``authorizer``, the stack's own account when it names one, which its
            trust conditions name too).
        parameters: values for template parameters without a usable ``Default``.
        momento: ``"local"``, ``"remote"`` (real Momento from ``MOMENTO_API_KEY`` and
            ``MOMENTO_API_ENDPOINT``) or ``"auto"`` (remote when both are set).
        clock: the clock of the local Momento server (TTL expiry).
        http_timeout: the target call timeout (API destinations use 5 s).
        retry_base_delay, retry_max_delay: bounds of the exponential retry backoff.
        poll_interval: the first wait of a worker whose GetRecords returned nothing.
        max_poll_interval: idle workers double their wait up to this many seconds, so an
            idle runtime costs little CPU; :meth:`drain` wakes them at once.
        autostart_pipes: start the pipe workers on entry (else call :meth:`start_pipes`).
        wall_clock: epoch seconds; record ages (``MaximumRecordAgeInSeconds``), ingestion
            times and dead-letter timestamps are measured with it.
        state_machine_retry_scale: factor on the Retry waits of state machines a pipe starts
            (1.0: as written; tests shorten them).
        authorizer: decides every call made for a role of the stack (see
            :mod:`.authorizer`): a pipe whose role may not be assumed or may not read its
            stream is not run (``skipped_pipes`` says why), a denied target call is a customer
            invocation error, a denied HTTP task fails with ``States.Permissions``. Default:
            none, nothing is checked.
        momento_latency: seconds the local Momento server waits before each answer, drawn
            per request (see :class:`.LocalMomentoServer`). Default: none.
        execution_latency: seconds each pipe invocation of its target waits first (the
            pipe's own overhead), drawn per invocation. Default: none.
    """

    def __init__(
        self,
        stack: StackTemplate,
        *,
        region: str | None = None,
        account_id: str | None = None,
        parameters: Mapping[str, str] | None = None,
        momento: str = "auto",
        clock: Callable[[], float] = time.monotonic,
        http_timeout: float = 5.0,
        retry_base_delay: float = 0.05,
        retry_max_delay: float = 0.5,
        poll_interval: float = 0.05,
        max_poll_interval: float = 1.0,
        autostart_pipes: bool = True,
        wall_clock: Callable[[], float] = time.time,
        state_machine_retry_scale: float = 1.0,
        authorizer: Authorizer | None = None,
        momento_latency: Callable[[], float] | None = None,
        execution_latency: Callable[[], float] | None = None,
    ) -> None:
        self._momento = MomentoBackend(momento, clock, momento_latency)
        self._execution_latency = execution_latency
        self._authorizer = authorizer
        self._guards: dict[str, RoleGuard] = {}
        self.stack = stack
        if account_id is None and authorizer is not None:
            account_id = stack.account
        self.aws = LocalAws(region or stack.region or "us-east-1", account_id)
        self.parameters: Mapping[str, str] = dict(parameters or {})
        """The values given for template parameters."""
        self._resources = StackResources(stack, self.aws, self.parameters)
        self.http_timeout = http_timeout
        self.retry_base_delay = retry_base_delay
        self.retry_max_delay = retry_max_delay
        self.state_machine_retry_scale = state_machine_retry_scale
        self.poll_interval = poll_interval
        self._autostart = autostart_pipes
        self._wall_clock = wall_clock
        self._stop = threading.Event()
        self._log = EventLog()
        self._pool = WorkerPool(
            StreamReader(self.aws), self._stop, poll_interval, max_poll_interval
        )
        self.pipes: list[PipeSpec] = []
        self.skipped_pipes: dict[str, str] = {}
        self._started = False
        self._pipes_started = False

    @classmethod
    def from_cloud_assembly(
        cls, path: str | Path, stack_name: str | None = None, **options: Any
    ) -> LocalPipeline:
        """Build a runtime for one stack of a ``cdk.out`` directory (see the class for options)."""
        return cls(load_stack(path, stack_name), **options)

    @classmethod
    def from_stack(cls, stack: Stack, **options: Any) -> LocalPipeline:
        """Build a runtime for a CDK ``Stack`` object: its app is synthesized in-process (into
        the app's ``outdir``, a temporary directory unless the app names one) and the stack's
        template is read from there. See the class for ``options``; use it as a context
        manager, like :meth:`from_cloud_assembly`::

            app = cdk.App()
            stack = MyStack(app, "MyStack")
            with LocalPipeline.from_stack(stack) as lp:
                ...

        Raises:
            TypeError: when ``stack`` is not a stack of a CDK app.
        """
        return cls(synthesize(stack), **options)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> LocalPipeline:
        """Start the servers, create the resources, and (by default) start the pipes."""
        if self._started:
            return self
        if self._stop.is_set():
            raise RuntimeError("a LocalPipeline cannot be restarted: create a new one")
        self._started = True
        try:
            self._provision()
            if self._autostart:
                self.start_pipes()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop the workers, delete the local resources and stop both servers."""
        self._stop.set()
        self._pool.join(timeout=self.http_timeout + 5)
        try:
            self.aws.stop()
        finally:
            self._momento.stop()
        self._started = False

    def _provision(self) -> None:
        self.aws.start()
        self._resources.create_tables_and_queues()
        self._momento.start()
        secrets = LocalSecrets(self._resources, self._momento.api_key)
        secrets.create()
        self._resources.register_events_resources()
        self.pipes, self.skipped_pipes = PipeResolver(self._resources, secrets).resolve_all()
        self._momento.prepare(self.pipes)

    def start_pipes(self) -> None:
        """Start one worker per pipe and shard; LATEST pipes skip what is already there."""
        if self._pipes_started:
            return
        self._pipes_started = True
        for pipe in [pipe for pipe in self.pipes if not self._may_read(pipe)]:
            self.pipes.remove(pipe)
        self._pool.start(self.pipes, self._steps)

    def _guard(self, role_arn: str) -> RoleGuard:
        """The guard of one role, its documents resolved once (only with an authorizer)."""
        if role_arn not in self._guards:
            role = None
            if self._authorizer is not None and role_arn:
                role = role_policies(self.stack, self._resources.resolver(), role_arn)
            self._guards[role_arn] = RoleGuard(self._authorizer, role, self.aws.account_id)
        return self._guards[role_arn]

    def _may_read(self, pipe: PipeSpec) -> bool:
        """Pipes may assume the pipe's role, which may read the stream (pipes page)."""
        guard = self._guard(pipe.role_arn)
        try:
            guard.assume(PIPES_PRINCIPAL, pipe.arn)
            for action in STREAM_READS:
                guard.require(action, pipe.source_arn)
        except AccessDenied as denied:
            # On AWS such a pipe reads nothing; how it reports that is not modelled.
            self.skipped_pipes[pipe.logical_id] = str(denied)
            _LOG.error("pipe %s is not run: %s", pipe.name, denied)
            return False
        return True

    def _steps(self, pipe: PipeSpec) -> BatchHandler:
        guard = self._guard(pipe.role_arn)
        delivery = Delivery(
            pipe,
            self._target(pipe),
            DeadLetters(self.aws, self._wall_clock, guard),
            self._log,
            RetryPolicy(self.retry_base_delay, self.retry_max_delay),
            self._stop,
            self._wall_clock,
            guard,
            latency=self._execution_latency,
        )
        return PipeSteps(delivery, self._log, self.aws.region)

    def _target(self, pipe: PipeSpec) -> Target:
        if pipe.state_machine is None:
            return HttpTarget(self._momento.endpoint, self.http_timeout)
        return StateMachineTarget(
            pipe.state_machine,
            self._momento.endpoint,
            self.aws,
            self._stop,
            self.state_machine_retry_scale,
            self._wall_clock,
            self._guard(pipe.state_machine.role_arn),
        )

    # -- public helpers --------------------------------------------------------------------

    def add_listener(self, listener: Callable[[DeliveryEvent], None]) -> None:
        """Call ``listener`` for every :class:`DeliveryEvent` (from worker threads)."""
        self._log.add_listener(listener)

    def events(self, pipe: str | None = None) -> list[DeliveryEvent]:
        """Delivery events so far (the last 10,000), optionally of one pipe (name or ID)."""
        events = self._log.events()
        if pipe is None:
            return events
        names = {spec.name for spec in self.pipes if pipe in (spec.name, spec.logical_id)}
        return [event for event in events if event.pipe in names or event.pipe == pipe]

    @property
    def remote_momento(self) -> bool:
        """Whether the pipes call the real Momento (from the environment)."""
        return self._momento.remote

    @property
    def momento_reason(self) -> str:
        """Why the pipes call the Momento they call (the ``momento`` option, or what
        ``"auto"`` found in the environment)."""
        return self._momento.reason

    @property
    def momento_server(self) -> LocalMomentoServer | None:
        """The local Momento server (``None`` with real Momento)."""
        return self._momento.server

    @property
    def dynamodb(self) -> DynamoDBClient:
        """A boto3 DynamoDB client bound to local AWS."""
        return self.aws.dynamodb()

    @property
    def momento(self) -> MomentoHttpClient:
        """A Momento client bound to the Momento the pipes call."""
        if self._momento.client is None:
            raise RuntimeError("the pipeline is not started")
        return self._momento.client

    @property
    def momento_endpoint(self) -> str:
        """Where the pipes' Momento calls go."""
        return self._momento.endpoint

    @property
    def physical_ids(self) -> Mapping[str, str]:
        """What ``Ref`` returns locally for each resource of the stack, by logical ID."""
        return {lid: attributes["Ref"] for lid, attributes in self._resources.attributes.items()}

    def table_name(self, logical_id_or_path: str) -> str:
        """The local name of a table, by logical ID or construct path."""
        return self._resources.table_name(logical_id_or_path)

    def pipe(self, logical_id_or_path_or_name: str) -> PipeSpec:
        """A resolved pipe by logical ID, construct path or name."""
        for spec in self.pipes:
            if logical_id_or_path_or_name in (spec.logical_id, spec.name):
                return spec
        logical_id = self.stack.logical_id(logical_id_or_path_or_name)
        for spec in self.pipes:
            if spec.logical_id == logical_id:
                return spec
        raise KeyError(logical_id_or_path_or_name)

    def dead_letters(self) -> list[dict[str, Any]]:
        """Every message in the DLQs of the pipes, parsed, oldest sequence first.

        Messages stay in their queues (they are made visible again after reading).
        """
        urls = [pipe.dead_letter_url for pipe in self.pipes if pipe.dead_letter_url]
        return DeadLetters(self.aws, self._wall_clock).read(urls)

    def drain(self, timeout: float = 10.0) -> None:
        """Return once every pipe has processed every record written so far.

        Raises:
            TimeoutError: when some pipe is still behind after ``timeout`` seconds.
        """
        self._pool.drain(timeout)


publish()
