"""The weather demo: write, update and delete cities, then show the cache and the topic.

It runs against the weather example only. :func:`check_weather_stack` refuses any other stack
from its template, before anything starts, so the demo never writes its cities into a table of
someone else's stack.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import urlsplit

from publication import publish

from .._announcement import BATCH_CHANGES_FIELD
from .._aws_names import TABLE_TYPES
from ..cli.status import CommandError
from ..engine.stack import momento_names

if TYPE_CHECKING:
    from ..engine.assembly import StackTemplate
    from ..engine.momento_client import Subscription
    from .runtime import LocalPipeline, PipeSpec

__all__ = [
    "DEMO_CITIES",
    "DemoPlan",
    "NotTheWeatherExample",
    "WeatherDemo",
    "check_weather_stack",
    "plan",
]

KEY_ATTRIBUTE = "Location"
DEMO_CITIES = (
    ("New York", 80, 61, 20),
    ("San Francisco", 68, 54, 10),
    ("Rio de Janeiro", 91, 75, 60),
)
DEMO_TTL_SECONDS = 120
NEEDS = (
    "the demo needs the weather example: a table keyed by Location (string) with a stream, "
    "and a pipe from that stream that puts items into a Momento cache (PUT /cache/*, "
    "directly or through a DynamoToMomentoSync state machine); "
    "pipes that evict them (DELETE /cache/*) and announce changes (POST /topics/*/*) are "
    "optional"
)


class NotTheWeatherExample(CommandError):
    """The stack is not shaped like the weather example; nothing was written."""


def _key(resource: Mapping[str, Any]) -> str:
    """``Location: S``-style description of a table's partition key."""
    properties = resource.get("Properties") or {}
    types = {
        entry.get("AttributeName"): entry.get("AttributeType")
        for entry in properties.get("AttributeDefinitions") or []
    }
    hashes = [
        entry.get("AttributeName")
        for entry in properties.get("KeySchema") or []
        if entry.get("KeyType") == "HASH"
    ]
    return ", ".join(f"{name}: {types.get(name, '?')}" for name in hashes) or "none"


def _puts_into_a_cache(stack: StackTemplate, target_id: str) -> bool:
    """Whether a pipe target calls ``PUT /cache/*``: an API destination with that method, or
    a state machine (``DynamoToMomentoSync``) with such an HTTP task."""
    resource = stack.resources.get(target_id) or {}
    properties = resource.get("Properties") or {}
    if resource.get("Type") == "AWS::StepFunctions::StateMachine":
        text = json.dumps(properties.get("DefinitionString"))
        return '\\"Method\\":\\"PUT\\"' in text and "/cache/" in text
    return properties.get("HttpMethod") == "PUT"


def _put_pipes(stack: StackTemplate, table_id: str) -> list[str]:
    """The pipes reading the table's stream into something that puts items into a cache."""
    found = []
    for pipe_id, pipe in stack.resources_of_type("AWS::Pipes::Pipe"):
        properties = pipe.get("Properties") or {}
        if properties.get("Source") != {"Fn::GetAtt": [table_id, "StreamArn"]}:
            continue
        target = (properties.get("Target") or {}).get("Fn::GetAtt") or [None]
        if _puts_into_a_cache(stack, str(target[0])):
            found.append(pipe_id)
    return found


def check_weather_stack(stack: StackTemplate) -> str:
    """The logical ID of the weather table; :class:`NotTheWeatherExample` when there is none.

    Reads the template only, so a wrong stack is refused before anything starts.
    """
    tables = dict(stack.resources_of_type(*TABLE_TYPES))
    for table_id, table in tables.items():
        streamed = bool((table.get("Properties") or {}).get("StreamSpecification"))
        if _key(table) == f"{KEY_ATTRIBUTE}: S" and streamed and _put_pipes(stack, table_id):
            return table_id
    found = "; ".join(f"table {lid} (key {_key(t)})" for lid, t in tables.items()) or "no table"
    raise NotTheWeatherExample(
        f"stack {stack.artifact_id} is not the weather example, so the demo did not run: "
        f"{NEEDS}. Found: {found}. Run 'momento-eventbridge-constructs demo' without CDK_OUT "
        "for the bundled example, or 'momento-eventbridge-constructs local' to run this "
        "stack's pipes."
    )


@dataclass(frozen=True)
class DemoPlan:
    """What the demo writes to and which pipes it expects to see working."""

    table: str
    cache: str
    put_pipe: PipeSpec
    delete_pipe: PipeSpec | None
    topic: tuple[str, str] | None
    topic_pipe: PipeSpec | None


def plan(lp: LocalPipeline, table_id: str) -> DemoPlan:
    """The demo's plan from the pipes the runtime resolved on the weather table.

    A sync's one pipe puts, evicts and announces; three pipes split the work.
    """
    put = delete = topic_pipe = None
    cache = ""
    topic: tuple[str, str] | None = None
    for spec in (spec for spec in lp.pipes if spec.table_logical_id == table_id):
        for method, url in spec.calls():
            names = momento_names(urlsplit(url).path)
            if len(names) == 1 and method == "PUT" and put is None:
                put, cache = spec, names[0]
            elif len(names) == 1 and method == "DELETE" and not delete:
                delete = spec
            elif len(names) == 2 and method == "POST" and not topic:
                topic_pipe, topic = spec, (names[0], names[1])
    if put is None:
        raise NotTheWeatherExample(f"no pipe on table {table_id} runs locally: {NEEDS}")
    return DemoPlan(lp.table_name(table_id), cache, put, delete, topic, topic_pipe)


def _item(city: str, max_temp: int, min_temp: int, chances: int) -> dict[str, Any]:
    return {
        KEY_ATTRIBUTE: {"S": city},
        "MaxTemp": {"N": str(max_temp)},
        "MinTemp": {"N": str(min_temp)},
        "ChancesOfPrecipitation": {"N": str(chances)},
        "TTL": {"N": str(DEMO_TTL_SECONDS)},
    }


class WeatherDemo:
    """One run of the demo story; :meth:`run` returns the exit status (0 or 1)."""

    def __init__(self, lp: LocalPipeline, plan: DemoPlan, out: TextIO) -> None:
        self.lp = lp
        self.plan = plan
        self.out = out
        self.problems: list[str] = []
        self.messages: list[str] = []
        self.topic_events = 0

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def check(self, ok: bool, text: str) -> None:
        self.say(f"    {'ok  ' if ok else 'FAIL'} {text}")
        if not ok:
            self.problems.append(text)

    def show_cache(self) -> dict[str, Any]:
        contents: dict[str, Any] = {}
        self.say(f"  cache {self.plan.cache!r}:")
        for city, *_ in DEMO_CITIES:
            value = self.lp.momento.get(self.plan.cache, city)
            contents[city] = None if value is None else json.loads(value)
            shown = "(not in cache)" if value is None else value.decode("utf-8", "replace")
            self.say(f"    {city:<16} {shown}")
        return contents

    def step(self, text: str, action: Callable[[], object], subscription: Any) -> dict[str, Any]:
        """Write, wait until every pipe has processed it, show the topic and the cache."""
        self.say(f"==> {text}")
        action()
        self.lp.drain(timeout=20)
        self.show_topic(subscription)
        return self.show_cache()

    def show_topic(self, subscription: Subscription | None) -> None:
        pipe, topic = self.plan.topic_pipe, self.plan.topic
        if subscription is None or pipe is None or topic is None:
            return
        # Every record the topic pipe let through must reach the topic, whatever happened.
        events = self.lp.events(pipe.logical_id)
        fresh_events = events[self.topic_events :]
        self.topic_events = len(events)
        expected = len({e.sequence_number for e in fresh_events if e.outcome != "filtered"})
        fresh: list[str] = []
        deadline = time.monotonic() + 10
        while _changes_in(fresh) < expected and time.monotonic() < deadline:
            fresh += subscription.collect(1, timeout=max(0.0, deadline - time.monotonic()))
        self.messages.extend(fresh)
        self.say(f"  topic {topic[1]!r} received {len(fresh)} message(s):")
        for message in fresh:
            self.say(f"    {message}")
        announced = _changes_in(fresh)
        self.check(announced == expected, f"{expected} change(s) announced for this step")

    def cached_max_temp(self, contents: Mapping[str, Any], city: str) -> object:
        value = contents[city]
        return value.get("MaxTemp") if isinstance(value, dict) else None

    def story(self, subscription: Subscription | None) -> None:
        dynamodb, table = self.lp.dynamodb, self.plan.table
        cities = ", ".join(city for city, *_ in DEMO_CITIES)
        contents = self.step(
            f"inserting {cities}",
            lambda: [dynamodb.put_item(TableName=table, Item=_item(*c)) for c in DEMO_CITIES],
            subscription,
        )
        for city, max_temp, *_ in DEMO_CITIES:
            ok = self.cached_max_temp(contents, city) == str(max_temp)
            self.check(ok, f"{city} cached with MaxTemp {max_temp}")
        contents = self.step(
            "updating New York (MaxTemp 80 -> 84)",
            lambda: dynamodb.put_item(TableName=table, Item=_item("New York", 84, 62, 35)),
            subscription,
        )
        self.check(
            self.cached_max_temp(contents, "New York") == "84", "New York updated in the cache"
        )
        contents = self.step(
            "deleting San Francisco",
            lambda: dynamodb.delete_item(
                TableName=table, Key={KEY_ATTRIBUTE: {"S": "San Francisco"}}
            ),
            subscription,
        )
        if self.plan.delete_pipe is not None:
            self.check(contents["San Francisco"] is None, "San Francisco evicted")
        else:
            self.say("    (no cache-delete pipe: San Francisco stays until its TTL)")
        self.check(contents["Rio de Janeiro"] is not None, "Rio de Janeiro still cached")

    def run(self) -> int:
        plan = self.plan
        topic = f", topic {plan.topic[1]!r}" if plan.topic else ""
        self.say(f"Weather demo: table {plan.table}, cache {plan.cache!r}{topic}")
        subscription = self.lp.momento.subscribe(*plan.topic, timeout=120) if plan.topic else None
        try:
            self.story(subscription)
        finally:
            if subscription is not None:
                subscription.close()
        return self.verdict()

    def verdict(self) -> int:
        letters = self.lp.dead_letters()
        self.check(not letters, f"no dead letters ({len(letters)} found)")
        for letter in letters:
            self.say(f"    dead letter: {json.dumps(letter)}")
        if self.plan.topic_pipe is not None:
            self.check(bool(self.messages), "the topic announced the changes")
        self.say()
        if self.problems:
            self.say(f"Demo FAILED: {len(self.problems)} expectation(s) not met.")
            return 1
        self.say("Demo finished: every expectation met.")
        return 0


def _changes_in(messages: list[str]) -> int:
    """How many changes the messages announce: one each, or a batch's ``changes``."""
    count = 0
    for message in messages:
        try:
            body = json.loads(message)
        except ValueError:
            body = None
        changes = body.get(BATCH_CHANGES_FIELD) if isinstance(body, dict) else None
        count += len(changes) if isinstance(changes, list) else 1
    return count


publish()
