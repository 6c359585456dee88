"""Console entry point: ``momento-eventbridge-constructs local|demo``.

* ``local [CDK_OUT]`` runs the pipes of a synthesized stack until Ctrl-C, printing the
  endpoints and every delivery.
* ``demo [CDK_OUT]`` drives the weather example: writes a few cities, updates one, deletes
  one, and shows the topic messages, the cache after each step and the eviction. It exits
  non-zero when something expected did not happen.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from .momento_client import Subscription
    from .runtime import LocalPipeline, PipeSpec

__all__ = ["main"]

DEFAULT_ASSEMBLY = "examples/weather/cdk.out"
DEMO_CITIES = (
    ("New York", 80, 61, 20),
    ("San Francisco", 68, 54, 10),
    ("Rio de Janeiro", 91, 75, 60),
)
DEMO_TTL_SECONDS = 120


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="momento-eventbridge-constructs",
        description="Run the EventBridge pipes of a synthesized stack locally.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("local", "run the pipes of a cdk.out until Ctrl-C"),
        ("demo", "run the weather demo against a cdk.out of the weather example"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument(
            "assembly",
            nargs="?",
            default=DEFAULT_ASSEMBLY,
            help=f"cloud assembly directory (default: {DEFAULT_ASSEMBLY})",
        )
        command.add_argument("--stack", help="stack name, when the assembly has several")
        command.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands.choices["local"].add_argument(
        "--exit-after",
        type=float,
        default=None,
        metavar="SECONDS",
        help="stop after this many seconds instead of waiting for Ctrl-C",
    )
    from ..ops.cli import add_commands

    add_commands(commands)  # backfill, redrive, verify
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    arguments = _parser().parse_args(argv)
    if getattr(arguments, "handler", None) is not None:  # an operating command
        return int(arguments.handler(arguments))
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if arguments.verbose:
        # Only this package's debug output: the SDK's would print request bodies.
        logging.getLogger("momento_eventbridge_constructs").setLevel(logging.DEBUG)
    from .assembly import AssemblyError

    try:
        if arguments.command == "local":
            return _run_local(arguments.assembly, arguments.stack, arguments.exit_after, sys.stdout)
        return _run_demo(arguments.assembly, arguments.stack, sys.stdout)
    except AssemblyError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


def _print_endpoints(lp: LocalPipeline, out: TextIO) -> None:
    out.write(
        f"Local AWS (moto):   {lp.aws.endpoint}  region {lp.aws.region}, "
        f"account {lp.aws.account_id}\n"
    )
    where = "real Momento" if lp.remote_momento else "local Momento"
    out.write(f"Momento ({where}): {lp.momento_endpoint}\n")
    if lp.momento_server is not None:
        out.write(f"  caches: {', '.join(lp.momento_server.caches)}\n")
        out.write(f"  local API key: {lp.momento_server.api_key}\n")
    tables = {spec.table_logical_id for spec in lp.pipes}
    for logical_id in sorted(tables):
        out.write(f"Table {logical_id}: {lp.table_name(logical_id)}\n")
    for spec in lp.pipes:
        filters = ", ".join(json.dumps(f.source) for f in spec.filters) or "none"
        out.write(
            f"Pipe {spec.name}: {spec.destination.http_method} "
            f"{spec.destination.endpoint} {list(spec.path_parameter_values)} "
            f"filters {filters}\n"
        )
    for logical_id, reason in lp.skipped_pipes.items():
        out.write(f"Pipe {logical_id} not run: {reason}\n")
    out.flush()


def _run_local(assembly: str, stack: str | None, exit_after: float | None, out: TextIO) -> int:
    from .aws import DEFAULT_ACCOUNT
    from .runtime import LocalPipeline

    stop = threading.Event()
    # moto's default account, so the AWS CLI reaches the resources without extra headers.
    with LocalPipeline.from_cloud_assembly(assembly, stack, account_id=DEFAULT_ACCOUNT) as lp:
        _print_endpoints(lp, out)
        lock = threading.Lock()

        def show(event: Any) -> None:
            if event.outcome != "filtered":
                with lock:
                    out.write(event.describe() + "\n")
                    out.flush()

        lp.add_listener(show)
        out.write("Running; press Ctrl-C to stop.\n")
        out.flush()
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait(exit_after)
        out.write("Stopping.\n")
    return 0


@dataclass
class _DemoPlan:
    table: str
    key_attribute: str
    cache: str
    put_pipe: PipeSpec | None
    delete_pipe: PipeSpec | None
    topic: tuple[str, str] | None
    topic_pipe: PipeSpec | None


def _path_parts(lp: LocalPipeline, spec: PipeSpec) -> list[str]:
    return [unquote(p) for p in urlsplit(lp._endpoint_url(spec)).path.split("/") if p]


def _plan(lp: LocalPipeline) -> _DemoPlan:
    if not lp.pipes:
        raise RuntimeError("the stack has no pipe the local runtime can run")
    counts: dict[str, int] = {}
    for spec in lp.pipes:
        counts[spec.table_logical_id] = counts.get(spec.table_logical_id, 0) + 1
    table_id = max(counts, key=lambda key: counts[key])
    properties = lp.stack.resources[table_id].get("Properties") or {}
    key_attribute = next(
        entry["AttributeName"]
        for entry in properties.get("KeySchema", [])
        if entry.get("KeyType") == "HASH"
    )
    put_pipe = delete_pipe = topic_pipe = None
    cache = ""
    topic: tuple[str, str] | None = None
    for spec in lp.pipes:
        if spec.table_logical_id != table_id:
            continue
        parts = _path_parts(lp, spec)
        method = spec.destination.http_method
        if len(parts) == 2 and parts[0] == "cache" and method == "PUT":
            put_pipe, cache = spec, parts[1]
        elif len(parts) == 2 and parts[0] == "cache" and method == "DELETE":
            delete_pipe, cache = spec, cache or parts[1]
        elif len(parts) == 3 and parts[0] == "topics" and method == "POST" and topic is None:
            topic_pipe, topic = spec, (parts[1], parts[2])
    if put_pipe is None:
        raise RuntimeError("the stack has no cache-put pipe (PUT /cache/*)")
    return _DemoPlan(
        lp.table_name(table_id), key_attribute, cache, put_pipe, delete_pipe, topic, topic_pipe
    )


def _item(
    key_attribute: str, city: str, max_temp: int, min_temp: int, chances: int
) -> dict[str, Any]:
    return {
        key_attribute: {"S": city},
        "MaxTemp": {"N": str(max_temp)},
        "MinTemp": {"N": str(min_temp)},
        "ChancesOfPrecipitation": {"N": str(chances)},
        "TTL": {"N": str(DEMO_TTL_SECONDS)},
    }


class _Demo:
    def __init__(self, lp: LocalPipeline, out: TextIO) -> None:
        self.lp = lp
        self.out = out
        self.plan = _plan(lp)
        self.problems: list[str] = []
        self.messages: list[str] = []

    def say(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def check(self, ok: bool, text: str) -> None:
        self.say(f"    {'ok  ' if ok else 'FAIL'} {text}")
        if not ok:
            self.problems.append(text)

    def show_cache(self, cities: Sequence[str]) -> dict[str, Any]:
        contents: dict[str, Any] = {}
        self.say(f"  cache {self.plan.cache!r}:")
        for city in cities:
            value = self.lp.momento.get(self.plan.cache, city)
            contents[city] = None if value is None else json.loads(value)
            shown = "(not in cache)" if value is None else value.decode("utf-8", "replace")
            self.say(f"    {city:<16} {shown}")
        return contents

    def show_topic(self, subscription: Subscription | None, expected: int) -> None:
        if subscription is None:
            return
        fresh = subscription.collect(expected, timeout=10)
        self.messages.extend(fresh)
        topic = self.plan.topic
        assert topic is not None
        self.say(f"  topic {topic[1]!r} received {len(fresh)} message(s):")
        for message in fresh:
            self.say(f"    {message}")
        self.check(len(fresh) == expected, f"{expected} topic message(s) for this step")

    def write(self, text: str, action: Any) -> None:
        self.say(f"==> {text}")
        action()
        self.lp.drain(timeout=20)

    def expected_topic_messages(self, before: int) -> int:
        pipe = self.plan.topic_pipe
        if pipe is None:
            return 0
        # Every record the topic pipe let through must reach the topic, whatever happened.
        events = self.lp.events(pipe.logical_id)[before:]
        return len({e.sequence_number for e in events if e.outcome != "filtered"})

    def run(self) -> int:
        lp, plan = self.lp, self.plan
        dynamodb = lp.dynamodb
        cities = [city for city, *_ in DEMO_CITIES]
        self.say(
            f"Weather demo: table {plan.table} (key {plan.key_attribute}), cache "
            f"{plan.cache!r}" + (f", topic {plan.topic[1]!r}" if plan.topic else "")
        )
        subscription = lp.momento.subscribe(*plan.topic, timeout=120) if plan.topic else None
        topic_events = 0

        def step_topic() -> None:
            nonlocal topic_events
            pipe = plan.topic_pipe
            if pipe is None:
                return
            expected = self.expected_topic_messages(topic_events)
            topic_events = len(lp.events(pipe.logical_id))
            self.show_topic(subscription, expected)

        try:
            self.write(
                f"inserting {', '.join(cities)}",
                lambda: [
                    dynamodb.put_item(TableName=plan.table, Item=_item(plan.key_attribute, *city))
                    for city in DEMO_CITIES
                ],
            )
            step_topic()
            contents = self.show_cache(cities)
            for city, max_temp, *_ in DEMO_CITIES:
                value = contents[city]
                self.check(
                    isinstance(value, dict) and value.get("MaxTemp") == str(max_temp),
                    f"{city} cached with MaxTemp {max_temp}",
                )

            self.write(
                "updating New York (MaxTemp 80 -> 84)",
                lambda: dynamodb.put_item(
                    TableName=plan.table, Item=_item(plan.key_attribute, "New York", 84, 62, 35)
                ),
            )
            step_topic()
            contents = self.show_cache(cities)
            value = contents["New York"]
            self.check(
                isinstance(value, dict) and value.get("MaxTemp") == "84",
                "New York updated in the cache",
            )

            self.write(
                "deleting San Francisco",
                lambda: dynamodb.delete_item(
                    TableName=plan.table, Key={plan.key_attribute: {"S": "San Francisco"}}
                ),
            )
            step_topic()
            contents = self.show_cache(cities)
            if plan.delete_pipe is not None:
                self.check(contents["San Francisco"] is None, "San Francisco evicted")
            else:
                self.say("    (no cache-delete pipe: San Francisco stays until its TTL)")
            self.check(contents["Rio de Janeiro"] is not None, "Rio de Janeiro still cached")
        finally:
            if subscription is not None:
                subscription.close()
        letters = lp.dead_letters()
        self.check(not letters, f"no dead letters ({len(letters)} found)")
        for letter in letters:
            self.say(f"    dead letter: {json.dumps(letter)}")
        if plan.topic_pipe is not None:
            self.check(bool(self.messages), "the topic announced the changes")
        self.say()
        if self.problems:
            self.say(f"Demo FAILED: {len(self.problems)} expectation(s) not met.")
            return 1
        self.say("Demo finished: every expectation met.")
        return 0


def _run_demo(assembly: str, stack: str | None, out: TextIO) -> int:
    from .runtime import LocalPipeline

    started = time.monotonic()
    with LocalPipeline.from_cloud_assembly(assembly, stack) as lp:
        out.write(f"Started local pipes in {time.monotonic() - started:.1f} s\n")
        _print_endpoints(lp, out)
        try:
            demo = _Demo(lp, out)
        except RuntimeError as error:
            out.write(f"error: {error}\n")
            return 2
        try:
            return demo.run()
        except TimeoutError as error:
            out.write(f"Demo FAILED: {error}\n")
            return 1
