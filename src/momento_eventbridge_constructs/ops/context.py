"""Everything a command works with: the stack's definitions, AWS, physical names, Momento."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publication import publish

from ..engine.assembly import load_stack
from ..engine.parameters import parse_parameters
from .aws import AwsAccess
from .definitions import StackDefinitions, read_definitions
from .momento import Momento, momento_for_stack
from .names import StackNames, given_names, template_parameters
from .records import RecordContext
from .render import StackRenderer

__all__ = ["OpsContext"]


@dataclass
class OpsContext:
    """The stack and the services the operating commands use.

    Build it with :meth:`open`; tests may pass ``momento`` directly.
    """

    definitions: StackDefinitions
    aws: AwsAccess
    names: StackNames
    environ: Mapping[str, str] | None = None
    clock: Callable[[], float] = time.time
    momento_client: Momento | None = None
    _stream_arns: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def open(
        cls,
        assembly: str | Path,
        stack_name: str | None,
        *,
        table_names: Iterable[str] = (),
        resources: Iterable[str] = (),
        parameters: Iterable[str] = (),
        session: Any = None,
        environ: Mapping[str, str] | None = None,
    ) -> OpsContext:
        """Read the stack from ``assembly`` and set up access (nothing is called yet).

        Args:
            table_names, resources: ``--table-name`` and ``--resource`` values.
            parameters: ``--parameters`` values (``[STACK:]NAME=VALUE``); they replace the
                deployed values of those parameters.
            session: a boto3 session (default: the standard configuration).
            environ: where ``MOMENTO_API_KEY`` / ``MOMENTO_API_ENDPOINT`` are read (default:
                the process environment).
        """
        stack = load_stack(assembly, stack_name)
        aws = AwsAccess(session)
        # Endpoints may come from parameters: read the definitions with their values.
        values = template_parameters(aws, stack, parse_parameters(parameters, stack))
        definitions = read_definitions(stack, parameters=values)
        given = given_names(definitions, table_names=table_names, resources=resources)
        names = StackNames(definitions, aws, given, parameters=values)
        return cls(definitions, aws, names, environ)

    @property
    def momento(self) -> Momento:
        """The Momento the stack calls (resolved on first use)."""
        with self._lock:
            if self.momento_client is None:
                self.momento_client = momento_for_stack(
                    self.definitions, self.names, self.aws, self.environ
                )
            return self.momento_client

    def table_path(self, table_id: str) -> str:
        """The table's construct path, for messages."""
        return self.definitions.tables[table_id].path

    def table_name(self, table_id: str) -> str:
        """The table's physical name."""
        return self.names.require(table_id, f"table {self.table_path(table_id)}", "--table-name")

    def stream_arn(self, table_id: str, table_name: str | None = None) -> str:
        """The table's latest stream ARN (DescribeTable of ``table_name``, by default the
        table's physical name)."""
        name = table_name or self.table_name(table_id)
        with self._lock:
            cached = self._stream_arns.get(name)
        if cached is not None:
            return cached
        table = self.aws.client("dynamodb").describe_table(TableName=name)
        arn = str(table["Table"].get("LatestStreamArn", ""))
        with self._lock:
            self._stream_arns[name] = arn
        return arn

    def record_context(
        self, table_id: str, table_name: str | None = None, **markers: Any
    ) -> RecordContext:
        """What a record of the table carries besides the item (``markers`` replace the
        generated event ID, sequence number, creation time or size)."""
        return RecordContext(self.aws.region, self.stream_arn(table_id, table_name), **markers)

    def renderer(self, table_id: str) -> StackRenderer:
        """Renders records of one table as the stack would."""
        # Only templates that name the pipe need its physical name (a lookup).
        pipe_names = {
            pipe.logical_id: name
            for pipe in self.definitions.pipes
            if pipe.table_id == table_id
            and "<aws.pipes." in (pipe.input_template or "")
            and (name := self.names.physical(pipe.logical_id)) is not None
        }
        return StackRenderer(self.definitions, table_id, pipe_names=pipe_names, clock=self.clock)

    def cache_table(self, requested: str | None = None) -> str:
        """The logical ID of the one table the stack writes to a cache from."""
        from ..cli.status import CommandError

        tables = self.definitions.cache_tables()
        if requested is not None:
            table_id = self.definitions.stack.logical_id(requested)
            if table_id not in tables:
                raise CommandError(f"{requested} is not a table the stack writes to a cache from")
            return table_id
        if not tables:
            raise CommandError(
                f"stack {self.names.stack_name} has no pipe or sync that writes a table to a cache"
            )
        return tables[0]


publish()
