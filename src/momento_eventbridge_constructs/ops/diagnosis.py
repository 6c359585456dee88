"""Why a ``verify`` step failed: the pipe's state, the last error it logged, its dead letters.

* pipe state: ``DescribePipe`` ``CurrentState`` and ``StateReason``
  (https://docs.aws.amazon.com/eventbridge/latest/pipes-reference/API_DescribePipe.html);
* the last event of the log groups of the pipe and the state machine, from 15 minutes before
  the run on (``FilterLogEvents``; pipes log failures at level ERROR,
  https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-logs.html);
* the depth of the dead-letter queue and the dead letters that name a canary (a sync's name
  its keys; a pipe's name a stream range, read back to learn its keys). Messages are looked
  at with a zero visibility timeout, so they stay where they are.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

from publication import publish

from ..engine.records import json_safe
from .context import OpsContext
from .records import sync_letter_keys
from .stream import StreamExpired, read_range

__all__ = ["Diagnoser"]

_MAX_PEEK_ROUNDS = 10
_SHOWN = 300
# A pipe that fails keeps logging: errors from shortly before the run explain it too.
_LOG_WINDOW_SECONDS = 15 * 60


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


class Diagnoser:
    """Explains failures of the paths of one stack.

    Args:
        context: the stack and its access.
        since: epoch seconds when the run started.
    """

    def __init__(self, context: OpsContext, since: float) -> None:
        self._context = context
        self._since = since

    def explain(self, sources: Iterable[str]) -> list[str]:
        """Diagnosis lines for the pipes and syncs with these construct paths."""
        definitions = self._context.definitions
        lines: list[str] = []
        for source in dict.fromkeys(sources):
            for pipe in definitions.pipes:
                if pipe.path == source:
                    lines += self._pipe_state(pipe.logical_id)
                    lines += self._log_groups([pipe.log_group_id])
                    lines += self._queue_depth(pipe.dead_letter_id)
            for sync in definitions.syncs:
                if sync.path == source:
                    lines += self._pipe_state(sync.pipe_id)
                    lines += self._log_groups(list(sync.log_group_ids))
                    lines += self._queue_depth(sync.dead_letter_id)
        return lines

    def _name(self, logical_id: str) -> str | None:
        return self._context.names.physical(logical_id)

    def _unknown(self, what: str, logical_id: str) -> str:
        path = self._context.definitions.path_of(logical_id)
        return f"{what} {path}: name unknown (pass --resource {logical_id}=NAME)"

    def _pipe_state(self, logical_id: str) -> list[str]:
        name = self._name(logical_id)
        if name is None:
            return [self._unknown("pipe", logical_id)]
        try:
            pipe = self._context.aws.client("pipes").describe_pipe(Name=name)
        except Exception as error:  # any failure is itself the diagnosis
            return [f"pipe {name}: cannot describe it: {_short(str(error))}"]
        line = f"pipe {name}: {pipe.get('CurrentState')} (desired {pipe.get('DesiredState')})"
        if pipe.get("StateReason"):
            line += f": {_short(str(pipe['StateReason']))}"
        return [line]

    def _log_groups(self, logical_ids: list[str | None]) -> list[str]:
        lines: list[str] = []
        for logical_id in logical_ids:
            if logical_id is None:
                continue
            name = self._name(logical_id)
            if name is None:
                lines.append(self._unknown("log group", logical_id))
                continue
            lines.append(self._last_event(name))
        return lines

    def _last_event(self, group: str) -> str:
        try:
            answer = self._context.aws.client("logs").filter_log_events(
                logGroupName=group,
                startTime=int((self._since - _LOG_WINDOW_SECONDS) * 1000),
                limit=50,
            )
        except Exception as error:
            return f"log group {group}: cannot read it: {_short(str(error))}"
        events = answer.get("events", [])
        if not events:
            return f"log group {group}: no event in the last {_LOG_WINDOW_SECONDS // 60} minutes"
        last = max(events, key=lambda event: event.get("timestamp", 0))
        at = datetime.fromtimestamp(last.get("timestamp", 0) / 1000, tz=timezone.utc)
        return f"log group {group}: last event at {at:%H:%M:%S}Z: {_short(str(last['message']))}"

    def _queue_url(self, logical_id: str | None) -> str | None:
        return None if logical_id is None else self._name(logical_id)

    def _queue_depth(self, logical_id: str | None) -> list[str]:
        if logical_id is None:
            return []
        url = self._queue_url(logical_id)
        if url is None:
            return [self._unknown("dead-letter queue", logical_id)]
        try:
            attributes = self._context.aws.client("sqs").get_queue_attributes(
                QueueUrl=url,
                AttributeNames=[
                    "ApproximateNumberOfMessages",
                    "ApproximateNumberOfMessagesNotVisible",
                ],
            )["Attributes"]
        except Exception as error:
            return [f"dead-letter queue {url}: cannot read it: {_short(str(error))}"]
        waiting = attributes.get("ApproximateNumberOfMessages", "?")
        in_flight = attributes.get("ApproximateNumberOfMessagesNotVisible", "?")
        return [f"dead-letter queue {url}: {waiting} message(s) waiting, {in_flight} in flight"]

    # -- dead letters naming a canary ---------------------------------------------------------

    def canary_letters(
        self, table_id: str, canary_keys: list[Mapping[str, Any]]
    ) -> tuple[list[str], list[str]]:
        """Lines about the dead letters that name a canary key, and the queues that could
        not be looked at (their names are unknown)."""
        wanted = [json.dumps(json_safe(dict(keys)), sort_keys=True) for keys in canary_keys]
        definitions = self._context.definitions
        queues = {p.dead_letter_id for p in definitions.pipes if p.table_id == table_id}
        queues |= {s.dead_letter_id for s in definitions.syncs_of(table_id)}
        lines: list[str] = []
        unknown: list[str] = []
        for logical_id in sorted(q for q in queues if q is not None):
            url = self._queue_url(logical_id)
            if url is None:
                unknown.append(self._unknown("dead-letter queue", logical_id))
                continue
            for body in self._peek(url):
                described = self._about_canary(body, wanted)
                if described is not None:
                    lines.append(f"{url}: {described}")
        return lines, unknown

    def _peek(self, url: str) -> list[Any]:
        sqs = self._context.aws.client("sqs")
        bodies: dict[str, Any] = {}
        for _ in range(_MAX_PEEK_ROUNDS):
            answer = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0
            )
            fresh = [m for m in answer.get("Messages", []) if m["MessageId"] not in bodies]
            if not fresh:
                break
            for message in fresh:
                try:
                    bodies[message["MessageId"]] = json.loads(message["Body"])
                except ValueError:
                    bodies[message["MessageId"]] = None
        return list(bodies.values())

    def _about_canary(self, body: Any, wanted: list[str]) -> str | None:
        if not isinstance(body, Mapping):
            return None
        if body.get("source") == "DynamoToMomentoSync":
            named = [json.dumps(keys, sort_keys=True) for keys in sync_letter_keys(body)]
            if not any(keys in wanted for keys in named):
                return None
            event = body.get("eventName") or "a batch's announcement"
            return (
                f"sync dead letter for the canary ({event}): stage "
                f"{body.get('stage')}, {body.get('error')}: {_short(str(body.get('cause')))}"
            )
        info = body.get("DDBStreamBatchInfo")
        if not isinstance(info, Mapping):
            return None
        try:
            records = read_range(
                self._context.aws.client("dynamodbstreams"),
                str(info["streamArn"]),
                str(info["shardId"]),
                str(info["startSequenceNumber"]),
                str(info["endSequenceNumber"]),
            )
        except (StreamExpired, KeyError):
            return None
        for record in records:
            keys = json.dumps(json_safe(record["dynamodb"]["Keys"]), sort_keys=True)
            if keys in wanted:
                pipe = str((body.get("context") or {}).get("partnerResourceArn", "a pipe"))
                condition = (body.get("context") or {}).get("condition")
                return f"dead letter of {pipe} for the canary ({record['eventName']}): {condition}"
        return None


publish()
