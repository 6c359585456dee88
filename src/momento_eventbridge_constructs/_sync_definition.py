"""The Step Functions definition (JSONata) of ``DynamoToMomentoSync``, built in pure Python.

One EXPRESS execution per stream record, started synchronously by the pipe, so records of a
shard are applied one after the other in stream order::

    Read ─▶ Route ─┬─ REMOVE, or an epoch TTL already passed ─▶ Delete ─┐
                   └─ INSERT, MODIFY ─────────────────────────▶ Set ────┴─▶ Announce? ─▶ Done
    Set, Delete, Announce ── retries exhausted ──▶ DeadLetter (one SQS message with the keys)

A pipe always passes a JSON array, even with batch size 1
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-batching-concurrency.html),
so the record is ``$states.input[0]``. HTTP tasks: https://docs.aws.amazon.com/step-functions/
latest/dg/call-https-apis.html (errors ``States.Http.StatusCode.NNN``, 60-second limit).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ._announcement import BATCH_CHANGES_FIELD
from ._aws_names import HTTP_INVOKE, SQS_SEND_MESSAGE
from ._template_syntax import KeyInfo
from ._ttl import TtlRule

# Momento answers 429 above its limits and 5xx on its own faults; a timeout or a broken
# connection is transient too. Other 4xx (bad key, missing cache) will not heal by retrying.
RETRYABLE_ERRORS: Sequence[str] = [
    "States.Http.StatusCode.429",
    "States.Http.StatusCode.500",
    "States.Http.StatusCode.502",
    "States.Http.StatusCode.503",
    "States.Http.StatusCode.504",
    "States.Http.Socket",
    "States.Timeout",
]
HTTP_TIMEOUT_SECONDS = 10
# Worst case per call: 4 attempts of 10 s plus 1 + 2 + 4 s of backoff = 47 s; three calls and
# the dead letter stay well inside the 4-minute budget and EXPRESS's 5-minute limit.
CALL_BUDGET_SECONDS = 4 * HTTP_TIMEOUT_SECONDS + 1 + 2 + 4
# A dead letter: 4 SendMessage attempts with 1 + 2 + 4 s of backoff, about a second each
# (an estimate: SQS publishes no latency figure).
DEAD_LETTER_BUDGET_SECONDS = 4 * 1 + 1 + 2 + 4
STEP_BUDGET_SECONDS = CALL_BUDGET_SECONDS + DEAD_LETTER_BUDGET_SECONDS
RETRY: Mapping[str, Any] = {
    "ErrorEquals": RETRYABLE_ERRORS,
    "IntervalSeconds": 1,
    "BackoffRate": 2,
    "MaxAttempts": 3,
    "MaxDelaySeconds": 8,
    "JitterStrategy": "FULL",
}
EXECUTION_TIMEOUT_SECONDS = 240
# A batch applies its keys in rounds of MaxConcurrency, each round one write (and maybe a dead
# letter) per key, then announces once: the rounds that fit beside the announcement.
BATCH_ROUNDS = (EXECUTION_TIMEOUT_SECONDS - STEP_BUDGET_SECONDS) // STEP_BUDGET_SECONDS
# Keys applied at once in a batch: 10 calls in flight at about 100 ms per HTTP task call (an
# estimate, not a documented figure) stay near Momento's default of 100 cache operations per
# second.
DEFAULT_MAX_CONCURRENCY = 10
# A topic message holds at most 4 KB, a hard limit (https://docs.momentohq.com/topics/limits).
# A batch's announcement is split into messages of at most this many UTF-8 bytes, so that the
# limit holds whether Momento's KB is 1,000 or 1,024 bytes. Topics also allow 10 operations
# per second (soft): one message per batch, not per change, keeps far below it.
MESSAGE_BYTES = 4000


@dataclass(frozen=True)
class SyncBatching:
    """How many records one execution applies, and how.

    Attributes:
        size: the pipe's ``BatchSize`` (1: one record per execution, today's definition).
        window_seconds: the pipe's ``MaximumBatchingWindowInSeconds`` (None: not set).
        concurrency: keys applied at once (the Map's ``MaxConcurrency``).
    """

    size: int = 1
    window_seconds: int | None = None
    concurrency: int = DEFAULT_MAX_CONCURRENCY

    @property
    def batched(self) -> bool:
        """Whether an execution may carry more than one record."""
        return self.size > 1


@dataclass(frozen=True)
class SyncDefinition:
    """Everything the definition names; tokens (e.g. the endpoint) stay tokens."""

    endpoint: str
    connection_arn: str
    cache_name: str
    topic_name: str | None
    queue_url: str
    table_name: str
    keys: Sequence[KeyInfo]
    key_separator: str
    body: Sequence[tuple[str, str]]  # (JSON field, record path), see MomentoPayload.fields
    announcement: Sequence[tuple[str, str]]
    ttl: TtlRule
    batching: SyncBatching = SyncBatching()

    def build(self) -> dict[str, Any]:
        """The ASL document."""
        if self.batching.batched:
            return self._build_batch()
        after_write = "Announce" if self.topic_name is not None else "Done"
        states: dict[str, Any] = {
            "Read": {
                "Type": "Pass",
                "Assign": {"record": "{% $states.input[0] %}", "key": f"{{% {self._key()} %}}"},
                "Next": "Route",
            },
            "Route": self._route(),
            "Set": self._http("PUT", "/cache/", self._set_query(), self._body(), after_write),
            "Delete": self._http("DELETE", "/cache/", self._key_query(), None, after_write),
            "DeadLetter": self._dead_letter(),
            "Done": {"Type": "Succeed"},
        }
        if self.topic_name is not None:
            states["Announce"] = self._http(
                "POST", "/topics/", None, self._announcement(), "Done", stage="announce"
            )
        return {
            "Comment": "Apply one DynamoDB stream record to Momento, in stream order",
            "QueryLanguage": "JSONata",
            "TimeoutSeconds": EXECUTION_TIMEOUT_SECONDS,
            "StartAt": "Read",
            "States": states,
        }

    # -- keys and TTL ---------------------------------------------------------------------

    @property
    def binary_key(self) -> bool:
        """One binary key attribute: sent as ``key_base64`` (URL-safe alphabet)."""
        return len(self.keys) == 1 and self.keys[0].type_code == "B"

    def _key(self, root: str = "$states.input[0]") -> str:
        parts = [path(root, f"dynamodb.Keys.{k.attribute}.{k.type_code}") for k in self.keys]
        if self.binary_key:
            # Stream records carry binary as standard base64; Momento wants the URL-safe form.
            return f"$replace($replace({parts[0]}, '+', '-'), '/', '_')"
        if len(parts) == 1:
            return parts[0]
        return f"$join([{', '.join(parts)}], {jsonata_string(self.key_separator)})"

    def _key_query(self) -> dict[str, str]:
        return {"key_base64" if self.binary_key else "key": "{% $key %}"}

    def _set_query(self) -> dict[str, str]:
        return {**self._key_query(), "ttl_seconds": f"{{% $string({self._ttl_seconds()}) %}}"}

    def _ttl_value(self) -> str:
        assert self.ttl.attribute is not None
        return f"$number({path('$record', f'dynamodb.NewImage.{self.ttl.attribute}.N')})"

    def _started(self) -> str:
        return "($toMillis($states.context.Execution.StartTime) / 1000)"

    def _ttl_seconds(self) -> str:
        rule = self.ttl
        if rule.attribute is None:
            return str(rule.fixed_seconds)
        assert rule.max_seconds is not None, "the sync computes every TTL it reads"
        value = self._ttl_value()
        left = f"({value} - {self._started()})" if rule.epoch else value
        # An item without the attribute never expires in the table: cache it for max_ttl.
        bounded = f"$max([1, $min([$floor({left}), {rule.max_seconds}])])"
        return f"($exists({value}) ? {bounded} : {rule.max_seconds})"

    # -- states ---------------------------------------------------------------------------

    def _route(self) -> dict[str, Any]:
        choices = [{"Condition": "{% $record.eventName = 'REMOVE' %}", "Next": "Delete"}]
        if self.ttl.epoch:
            value = self._ttl_value()
            choices.append(
                {
                    "Condition": f"{{% $exists({value}) and {value} <= {self._started()} %}}",
                    "Next": "Delete",
                }
            )
        return {"Type": "Choice", "Choices": choices, "Default": "Set"}

    def _http(
        self,
        method: str,
        prefix: str,
        query: Mapping[str, str] | None,
        body: str | None,
        next_state: str,
        *,
        stage: str = "cache",
    ) -> dict[str, Any]:
        names = [self.cache_name]
        if prefix == "/topics/":
            names.append(str(self.topic_name))
        arguments: dict[str, Any] = {
            "ApiEndpoint": self.endpoint + prefix + "/".join(names),
            "Method": method,
            "Authentication": {"ConnectionArn": self.connection_arn},
        }
        if query:
            arguments["QueryParameters"] = dict(query)
        if body is not None:
            content_type = "text/plain" if prefix == "/topics/" else "application/json"
            arguments["Headers"] = {"Content-Type": content_type}
            arguments["RequestBody"] = body
        return {
            "Type": "Task",
            "Resource": HTTP_INVOKE,
            "Arguments": arguments,
            "TimeoutSeconds": HTTP_TIMEOUT_SECONDS,
            "Retry": [RETRY],
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "Assign": {"failure": "{% $states.errorOutput %}", "stage": stage},
                    "Next": "DeadLetter",
                }
            ],
            "Next": next_state,
        }

    def _body(self) -> str:
        return f"{{% $string({jsonata_object('$record', self.body)}) %}}"

    def _announcement(self) -> str:
        return f"{{% $string({jsonata_object('$record', self.announcement)}) %}}"

    def _dead_letter(self, changes: bool = False, next_state: str = "Done") -> dict[str, Any]:
        # A batch collapses a key's changes into one write: its dead letter names them all.
        listed = '"changes": $changes, ' if changes else ""
        message = (
            "{"
            '"source": "DynamoToMomentoSync", '
            f'"table": {jsonata_string(self.table_name)}, '
            '"eventName": $record.eventName, '
            '"keys": $record.dynamodb.Keys, '
            '"momentoKey": $key, '
            '"sequenceNumber": $record.dynamodb.SequenceNumber, '
            f"{listed}"
            '"stage": $stage, '
            '"error": $failure.Error, '
            '"cause": $failure.Cause'
            "}"
        )
        return self._send_dead_letter(message, next_state)

    def _send_dead_letter(self, message: str, next_state: str) -> dict[str, Any]:
        return {
            "Type": "Task",
            "Resource": SQS_SEND_MESSAGE,
            "Arguments": {"QueueUrl": self.queue_url, "MessageBody": f"{{% $string({message}) %}}"},
            "Retry": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "IntervalSeconds": 1,
                    "BackoffRate": 2,
                    "MaxAttempts": 3,
                }
            ],
            # The change is parked with its keys; the pipe moves on to the next record.
            "Next": next_state,
        }

    # -- a batch (batch_size > 1) ---------------------------------------------------------

    def _build_batch(self) -> dict[str, Any]:
        """One execution per batch: the last change of each key, keys in parallel, then one
        announcement of every applied change.

        ``ApplyKeys`` maps over the batch grouped by Momento key (first appearance order),
        each item ``{"key", "record": the key's last record, "changes": [its change notices
        in stream order]}``; an iteration applies that record as the one-record definition
        does and outputs its key, or dead-letters the key with all its changes and outputs
        nothing. ``Announce`` then publishes one message, ``{"changes": [...]}``: the notices
        of the applied keys' records in stream order. No state carries more than the batch
        itself (Step Functions' 256 KiB).
        """
        states: dict[str, Any] = {
            "Read": {
                "Type": "Pass",
                "Assign": {
                    "record": "{% $states.input.record %}",
                    "key": "{% $states.input.key %}",
                    "changes": "{% $states.input.changes %}",
                },
                "Next": "Route",
            },
            "Route": self._route(),
            "Set": self._http("PUT", "/cache/", self._set_query(), self._body(), "Written"),
            "Delete": self._http("DELETE", "/cache/", self._key_query(), None, "Written"),
            "DeadLetter": self._dead_letter(changes=True, next_state="Parked"),
            "Written": {"Type": "Pass", "Output": {"key": "{% $key %}"}, "End": True},
            "Parked": {"Type": "Pass", "Output": {}, "End": True},
        }
        summary = '"records": $count($states.input), "keys": $count($states.result)'
        if self.topic_name is not None:
            summary += f', "changes": {self._applied_notices()}'
        apply_keys = {
            "Type": "Map",
            "Items": f"{{% {self._groups()} %}}",
            "MaxConcurrency": self.batching.concurrency,
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Read",
                "States": states,
            },
            "Output": f"{{% {{{summary}}} %}}",
            "Next": "Applied" if self.topic_name is None else "AnythingToAnnounce",
        }
        top: dict[str, Any] = {"ApplyKeys": apply_keys, "Applied": {"Type": "Succeed"}}
        if self.topic_name is not None:
            top.update(self._announce_batch())
        # State names are unique across the whole definition, iterations included.
        return {
            "Comment": (
                "Apply a batch of DynamoDB stream records to Momento: the last change of each "
                "key, in stream order per key, then one announcement of the batch"
            ),
            "QueryLanguage": "JSONata",
            "TimeoutSeconds": EXECUTION_TIMEOUT_SECONDS,
            "StartAt": "ApplyKeys",
            "States": top,
        }

    def _key_function(self) -> str:
        return f"$keyOf := function($r) {{ {self._key('$r')} }}"

    def _groups(self) -> str:
        """The batch grouped by Momento key, keys in order of first appearance (each key's
        records found through one object built once, not by filtering the batch per key)."""
        notice = jsonata_object("$", self.announcement)
        return (
            "( "
            f"{self._key_function()}; "
            "$records := $states.input; "
            "$byKey := $records{$keyOf($): [$]}; "
            "[$distinct($records.$keyOf($)).( "
            "$k := $; "
            "$mine := $lookup($byKey, $k); "
            f'{{"key": $k, "record": $mine[-1], "changes": [$mine.{notice}]}} '
            ")] )"
        )

    def _applied_notices(self) -> str:
        """The notices of the batch's records whose key was applied, in stream order."""
        notice = jsonata_object("$", self.announcement)
        return (
            f"( {self._key_function()}; $applied := $states.result.key; "
            f"[$states.input[$keyOf($) in $applied].{notice}] )"
        )

    def _announce_batch(self) -> dict[str, Any]:
        """Every applied change of the batch in as few messages as fit, one after the other."""
        publish = self._http("POST", "/topics/", None, "{% $states.input %}", "Applied")
        del publish["Catch"], publish["Next"]
        publish["Output"] = {}
        publish["End"] = True
        announce = {
            "Type": "Map",
            "Items": f"{{% {self._messages()} %}}",
            "MaxConcurrency": 1,  # in order
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "INLINE"},
                "StartAt": "Publish",
                "States": {"Publish": publish},
            },
            # Names apart from the iterations' variables: an inner scope may not reuse an
            # outer scope's name (https://docs.aws.amazon.com/step-functions/latest/dg/
            # workflow-variables.html; unverified here, so avoided).
            "Catch": [
                {
                    "ErrorEquals": ["States.ALL"],
                    "Assign": {"announceFailure": "{% $states.errorOutput %}"},
                    "Next": "AnnouncementDeadLetter",
                }
            ],
            "Output": '{% {"records": $states.input.records, "keys": $states.input.keys} %}',
            "Next": "Applied",
        }
        return {
            "AnythingToAnnounce": {
                "Type": "Choice",
                "Assign": {"announced": "{% $states.input.changes %}"},
                "Choices": [
                    {"Condition": "{% $count($states.input.changes) > 0 %}", "Next": "Announce"}
                ],
                "Default": "Applied",
            },
            "Announce": announce,
            "AnnouncementDeadLetter": self._send_dead_letter(
                self._announcement_letter(), "Applied"
            ),
        }

    @staticmethod
    def _messages() -> str:
        """``$announced`` as ``{"changes": [...]}`` messages of at most MESSAGE_BYTES each, in
        order: notices are packed greedily, their UTF-8 size counted as the bytes of their
        URL encoding (each ``%XX`` is one byte)."""
        opening = f'{{"{BATCH_CHANGES_FIELD}":['
        envelope = len(opening) + len("]}")
        return (
            f"( $limit := {MESSAGE_BYTES}; "
            "$bytes := function($s) { $length($replace($encodeUrlComponent($s), "
            '/%[0-9A-F]{2}/, "_")) }; '
            "$add := function($acc, $n) {( "
            "$t := $string($n); $size := $bytes($t); "
            f"$acc.size > 0 and $acc.size + 1 + $size + {envelope} > $limit "
            '? {"done": $append($acc.done, $acc.open), "open": $t, "size": $size} '
            ': {"done": $acc.done, '
            '"open": $acc.size > 0 ? $acc.open & "," & $t : $t, '
            '"size": $acc.size > 0 ? $acc.size + 1 + $size : $size} )}; '
            '$last := $reduce($announced, $add, {"done": [], "open": "", "size": 0}); '
            "[$append($last.done, $last.size > 0 ? [$last.open] : [])"
            f".('{opening}' & $ & ']}}')] )"
        )

    def _announcement_letter(self) -> str:
        """The batch's announcement that could not be published: its changes, each with keys."""
        return (
            "{"
            '"source": "DynamoToMomentoSync", '
            f'"table": {jsonata_string(self.table_name)}, '
            '"sequenceNumber": $announced[-1].sequenceNumber, '
            '"changes": $announced, '
            '"stage": "announce", '
            '"error": $announceFailure.Error, '
            '"cause": $announceFailure.Cause'
            "}"
        )


def path(root: str, dotted: str) -> str:
    """A JSONata path with every step quoted (attribute names may hold ``-``)."""
    return root + "".join(f".`{step}`" for step in dotted.split("."))


def jsonata_object(root: str, fields: Sequence[tuple[str, str]]) -> str:
    """``{"name": <root>.path, ...}`` as a JSONata object constructor."""
    return "{" + ", ".join(f"{jsonata_string(n)}: {path(root, p)}" for n, p in fields) + "}"


def jsonata_string(text: str) -> str:
    """A JSONata string literal (JSON escaping; tokens pass through unchanged)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'
