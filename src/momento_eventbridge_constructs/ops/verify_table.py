"""One table under ``verify``: what it knows of the table, and its writes of canary items."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from publication import publish

from .canary import Canary, markers
from .diagnosis import Diagnoser
from .expectations import Observer
from .records import stream_record
from .render import MomentoCall
from .topics import Topics
from .verify_report import Step, VerifyOptions

if TYPE_CHECKING:
    from .context import OpsContext
    from .definitions import TableDefinition
    from .render import StackRenderer

__all__ = ["TableRun"]


@dataclass
class TableRun:
    """The table, its canary and the listeners of one table's verification.

    Build it with :meth:`start`; :attr:`written` collects the keys of every item written, for
    the dead-letter check and the cleanup.
    """

    context: OpsContext
    table_id: str
    options: VerifyOptions
    table: TableDefinition
    table_name: str
    renderer: StackRenderer
    canary: Canary
    diagnoser: Diagnoser
    topics: Topics
    observer: Observer
    markers: Mapping[str, str]
    written: list[Mapping[str, Any]] = field(default_factory=list)

    @classmethod
    def start(cls, context: OpsContext, table_id: str, options: VerifyOptions) -> TableRun:
        """Everything one table's verification needs, before anything is written.

        Args:
            context: the deployed stack.
            table_id: the logical ID of the table.
            options: how to verify.
        """
        topics = Topics()
        return cls(
            context=context,
            table_id=table_id,
            options=options,
            table=context.definitions.tables[table_id],
            table_name=context.table_name(table_id),
            renderer=context.renderer(table_id),
            canary=Canary.create(context.definitions, table_id),
            diagnoser=Diagnoser(context, time.time()),
            topics=topics,
            observer=Observer(context.momento, topics),
            markers=markers(),
        )

    def step(self, name: str, **fields: Any) -> Step:
        """A step of this table."""
        return Step(self.table.path, name, **fields)

    def record(
        self,
        event: str,
        keys: Mapping[str, Any],
        new: Mapping[str, Any] | None,
        old: Mapping[str, Any] | None,
    ) -> dict[str, Any]:
        """The stream record the table would carry for a write of a canary.

        Args:
            event: ``INSERT``, ``MODIFY`` or ``REMOVE``.
            keys: the item's key attributes.
            new: the new image, if any.
            old: the old image, if any.
        """
        context = self.context.record_context(
            self.table_id,
            event_id=self.markers["event_id"],
            sequence_number=self.markers["sequence_number"],
            created=self.markers["created"],
            size=self.markers["size"],
        )
        return stream_record(event, self.table, context, keys=keys, new_image=new, old_image=old)

    def put(self, item: Mapping[str, Any], new: bool = False) -> None:
        """Write ``item``; with ``new``, only where no item has its key (never overwrite)."""
        request: dict[str, Any] = {"TableName": self.table_name, "Item": dict(item)}
        if new:
            request["ConditionExpression"] = "attribute_not_exists(#k)"
            request["ExpressionAttributeNames"] = {"#k": self.table.keys[0][0]}
        self.context.aws.client("dynamodb").put_item(**request)
        keys = {name: item[name] for name in self.table.key_names}
        if keys not in self.written:
            self.written.append(keys)

    def delete(self, keys: Mapping[str, Any] | None = None) -> None:
        """Delete the item with ``keys`` (the canary's by default)."""
        self.context.aws.client("dynamodb").delete_item(
            TableName=self.table_name, Key=dict(keys or self.canary.keys)
        )

    def cache_deletes(self, record: Mapping[str, Any]) -> list[MomentoCall]:
        """The cache deletes the stack would make for the removal ``record``."""
        return [
            entry
            for entry in self.renderer.removal_calls(record)
            if isinstance(entry, MomentoCall) and entry.is_cache_call and entry.method == "DELETE"
        ]


publish()
