"""What one pipe does with a batch a shard worker read: filter it, then deliver what matched."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from publication import publish

from ..engine.patterns import matches_any
from ..engine.records import filter_view, target_view
from .delivery import Delivery
from .events import EventLog
from .stream_records import is_unchanged_write, sequence_number

__all__ = ["PipeSteps"]

_LOG = logging.getLogger("momento_eventbridge_constructs.local")


class PipeSteps:
    """The filter and target steps of one pipe, as a shard worker's batch handler.

    Args:
        delivery: delivers what the filters let through.
        log: receives a ``filtered`` event for each record the filters drop.
        region: the local region (the records' ``awsRegion``).
    """

    def __init__(self, delivery: Delivery, log: EventLog, region: str) -> None:
        self._delivery = delivery
        self._log = log
        self._region = region

    def __call__(self, shard_id: str, raw: Sequence[Mapping[str, Any]]) -> bool:
        """Handle one batch; ``False`` when delivery was interrupted by shutdown."""
        pipe = self._delivery.pipe
        matched: list[dict[str, Any]] = []
        for record in raw:
            view = target_view(record, self._region, pipe.source_arn)
            if is_unchanged_write(view):
                _LOG.debug(
                    "pipe %s: skipping %s, a write that changed nothing",
                    pipe.name,
                    sequence_number(view),
                )
                continue
            if matches_any(pipe.filters, filter_view(view)):
                matched.append(view)
            else:
                self._log.emit(pipe.name, view, "filtered")
        return not matched or self._delivery.deliver(shard_id, matched)


publish()
