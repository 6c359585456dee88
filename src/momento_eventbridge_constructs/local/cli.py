"""The ``demo`` and ``local`` subcommands of ``momento-eventbridge-constructs``.

* ``demo [CDK_OUT]`` runs the weather demo: writes a few cities, updates one, deletes one, and
  shows the topic messages, the cache after each step and the eviction. Without ``CDK_OUT`` it
  synthesizes the weather example bundled with the package into a temporary directory first.
  It uses the local Momento server unless given ``--momento remote``.
* ``local [CDK_OUT]`` runs the pipes of a synthesized stack (default ``./cdk.out``) until
  Ctrl-C, printing which Momento it calls and why, where every call goes and every delivery;
  ``--parameters NAME=VALUE`` gives template parameters their values.

Reading a cloud assembly needs neither aws-cdk-lib nor Node.js, and none of these commands
loads them (only ``demo`` without ``CDK_OUT`` synthesizes, in a process of its own).

:func:`add_commands` registers them on the parser of :mod:`momento_eventbridge_constructs.cli`;
their exit statuses are :data:`~momento_eventbridge_constructs.cli.status.RUN_MEANINGS`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from publication import publish

from ..cli.options import add_parameters_option
from ..cli.status import PROG, RUN_MEANINGS, CommandError, ExitStatus, help_block
from ..engine.assembly import list_stacks, load_stack
from ..engine.parameters import missing_parameters, parse_parameters
from .banner import print_banner
from .momento_backend import MOMENTO_MODES
from .moto_server import DEFAULT_ACCOUNT
from .weather_demo import (
    DEMO_CITIES,
    DemoPlan,
    WeatherDemo,
    check_weather_stack,
    plan,
)

if TYPE_CHECKING:
    from . import DeliveryEvent, LocalPipeline

__all__ = ["add_commands"]

_EXIT_STATUS_HELP = help_block(RUN_MEANINGS)
DEFAULT_ASSEMBLY = "cdk.out"
_REMOTE_VARIABLES = ("MOMENTO_API_KEY", "MOMENTO_API_ENDPOINT")
BUNDLED_MODULE = "momento_eventbridge_constructs.examples.weather"
BUNDLED_STACK = "WeatherStack"
SYNTH_TIMEOUT_SECONDS = 600

_DEMO_TEXT = """\
Run the weather demo on this machine, without AWS or Momento accounts: insert three cities
into the weather table, update one, delete one, and after each step show the messages on
the Momento topic and what the cache holds; then check that no record was dead-lettered.
The cache and topic are those of a local Momento server, whatever the environment holds;
--momento remote writes into real Momento instead (MOMENTO_API_KEY, MOMENTO_API_ENDPOINT).

Without CDK_OUT, the weather example bundled with the package is synthesized into a
temporary directory first (aws-cdk-lib needs Node.js for that): WeatherStack (three pipes)
by default, WeatherSyncStack (one ordered reader) with --stack WeatherSyncStack. With
CDK_OUT, its stack must be the weather example (a table keyed by Location, string, with a
pipe that puts items into a Momento cache, directly or through a DynamoToMomentoSync state
machine); for any other stack the demo refuses before writing anything.
"""
_LOCAL_TEXT = """\
Run the pipes of a synthesized stack on this machine until Ctrl-C: its tables, queues and
secrets in a local moto server, its Momento calls against a local Momento server (or real
Momento when MOMENTO_API_KEY and MOMENTO_API_ENDPOINT are set, unless --momento local).
Prints which Momento and why, where every call
goes, locally and once deployed, then every delivery. Write to the tables with any AWS SDK
or the AWS CLI pointed at the printed endpoint. Template parameters without a Default take
their value from --parameters, as with 'cdk deploy'.
"""


def _add_common(command: argparse.ArgumentParser, assembly_help: str, stack_help: str) -> None:
    command.add_argument("assembly", nargs="?", metavar="CDK_OUT", help=assembly_help)
    command.add_argument("--stack", metavar="NAME", help=stack_help)
    command.add_argument(
        "-v", "--verbose", action="store_true", help="debug logging of this package"
    )


def add_commands(commands: Any) -> None:
    """Register ``demo`` and ``local`` on ``parser.add_subparsers()``."""
    formatter = argparse.RawDescriptionHelpFormatter
    demo = commands.add_parser(
        "demo",
        help="run the weather demo (the bundled example, or CDK_OUT)",
        description=_DEMO_TEXT,
        epilog=_EXIT_STATUS_HELP,
        formatter_class=formatter,
    )
    _add_common(
        demo,
        "a cloud assembly of the weather example (default: synthesize the bundled one)",
        "the stack, when CDK_OUT holds several (default: the only one; for the bundled example "
        "WeatherStack, or WeatherSyncStack)",
    )
    demo.add_argument(
        "--momento",
        choices=("local", "remote"),
        default="local",
        help="the local Momento server (default), or real Momento from MOMENTO_API_KEY and "
        "MOMENTO_API_ENDPOINT: the demo then writes into that cache",
    )
    local = commands.add_parser(
        "local",
        help="run the pipes of a synthesized stack until Ctrl-C",
        description=_LOCAL_TEXT,
        epilog=_EXIT_STATUS_HELP,
        formatter_class=formatter,
    )
    _add_common(
        local,
        f"the cloud assembly directory (default: ./{DEFAULT_ASSEMBLY}, as 'cdk synth' writes it)",
        "the stack, when CDK_OUT holds several (default: the only one)",
    )
    add_parameters_option(local)
    local.add_argument(
        "--momento",
        choices=MOMENTO_MODES,
        default="auto",
        help="auto (default): real Momento when MOMENTO_API_KEY and MOMENTO_API_ENDPOINT are "
        "set, else the local Momento server; local or remote to choose",
    )
    local.add_argument(
        "--exit-after",
        type=float,
        metavar="SECONDS",
        help="stop after this many seconds instead of waiting for Ctrl-C",
    )
    demo.set_defaults(handler=lambda arguments: _run_demo(arguments, sys.stdout))
    local.set_defaults(handler=lambda arguments: _run_local(arguments, sys.stdout))


def _say(out: TextIO, text: str) -> None:
    out.write(text + "\n")
    out.flush()


def _local_pipeline() -> type[LocalPipeline]:
    """The runtime class; a clear error when the ``local`` extra is not installed."""
    try:
        from . import LocalPipeline
    except ModuleNotFoundError as error:
        missing = (error.name or "a module").partition(".")[0]
        raise CommandError(
            f"the local runtime needs the 'local' extra ({missing} is not installed): "
            f"pip install '{PROG}[local]'"
        ) from error
    return LocalPipeline


def _choose_stack(assembly: str, stack: str | None) -> str:
    """``stack``, else the only stack of the assembly."""
    if not (Path(assembly) / "manifest.json").is_file():
        raise CommandError(
            f"{assembly} is not a cloud assembly (no manifest.json): synthesize your app "
            "first ('cdk synth' writes ./cdk.out) or pass its directory as CDK_OUT"
        )
    if stack is not None:
        return stack
    stacks = list_stacks(assembly)
    if len(stacks) == 1:
        return stacks[0]
    if not stacks:
        raise CommandError(f"{assembly} holds no stack")
    raise CommandError(
        f"{assembly} holds several stacks ({', '.join(stacks)}): choose one with --stack NAME"
    )


def _parameters(assembly: str, stack: str, entries: Sequence[str]) -> dict[str, str]:
    """The ``--parameters`` values for ``stack``; every parameter without a Default needs one."""
    template = load_stack(assembly, stack)
    values = parse_parameters(entries, template)
    problem = missing_parameters(template, values)
    if problem is not None:
        raise CommandError(problem)
    return values


def _remote_configured() -> bool:
    return all(os.environ.get(name) for name in _REMOTE_VARIABLES)


def _momento_why(command: str, mode: str) -> str:
    """Why ``command`` with ``--momento mode`` calls the Momento it calls, for the banner."""
    if mode != "auto":
        if mode == "remote" and not _remote_configured():
            raise CommandError(
                "--momento remote needs MOMENTO_API_KEY and MOMENTO_API_ENDPOINT to be set"
            )
        if command == "demo" and mode == "local":
            return "the demo uses the local server unless --momento remote is given"
        return f"--momento {mode} was given"
    if _remote_configured():
        return (
            "MOMENTO_API_KEY and MOMENTO_API_ENDPOINT are set (--momento auto); "
            "--momento local uses the local server"
        )
    return "MOMENTO_API_KEY and MOMENTO_API_ENDPOINT are not both set (--momento auto)"


def _printer(out: TextIO) -> Callable[[DeliveryEvent], None]:
    lock = threading.Lock()

    def show(event: DeliveryEvent) -> None:
        if event.outcome != "filtered":
            with lock:
                _say(out, event.describe())

    return show


def _run_local(arguments: argparse.Namespace, out: TextIO) -> ExitStatus:
    pipeline_class = _local_pipeline()
    assembly = arguments.assembly or DEFAULT_ASSEMBLY
    stack = _choose_stack(assembly, arguments.stack)
    parameters = _parameters(assembly, stack, arguments.parameters)
    why = _momento_why("local", arguments.momento)
    _say(out, "Starting local AWS and Momento...")
    with pipeline_class.from_cloud_assembly(
        assembly,
        stack,
        account_id=DEFAULT_ACCOUNT,
        parameters=parameters,
        momento=arguments.momento,
    ) as lp:
        print_banner(lp, out, why)
        lp.add_listener(_printer(out))
        _say(out, "Running; press Ctrl-C to stop.")
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait(arguments.exit_after)
        _say(out, "Stopping.")
    return ExitStatus.OK


def _synthesize_bundled_example(directory: str, out: TextIO) -> None:
    """``python -m ...examples.weather`` into ``directory``, in its own process."""
    _say(out, "Synthesizing the bundled weather example...")
    started = time.monotonic()
    try:
        result = subprocess.run(
            [sys.executable, "-m", BUNDLED_MODULE],
            env={**os.environ, "CDK_OUTDIR": directory},
            capture_output=True,
            text=True,
            timeout=SYNTH_TIMEOUT_SECONDS,
        )
    except subprocess.TimeoutExpired as error:
        raise CommandError(
            f"the bundled weather example did not synthesize within {SYNTH_TIMEOUT_SECONDS} s"
        ) from error
    if result.returncode != 0:
        tail = "\n".join(result.stderr.strip().splitlines()[-15:])
        raise CommandError(
            "the bundled weather example did not synthesize (aws-cdk-lib runs on Node.js: "
            f"is 'node' on PATH?):\n{tail}"
        )
    _say(out, f"Synthesized in {time.monotonic() - started:.1f} s")


def _run_demo(arguments: argparse.Namespace, out: TextIO) -> int:
    pipeline_class = _local_pipeline()
    momento = arguments.momento
    why = _momento_why("demo", momento)  # before synthesizing: a missing variable fails fast
    if arguments.assembly is not None:
        stack = _choose_stack(arguments.assembly, arguments.stack)
        return _demo(pipeline_class, arguments.assembly, stack, out, (momento, why))
    with tempfile.TemporaryDirectory(prefix="momento-eventbridge-demo-") as directory:
        _synthesize_bundled_example(directory, out)
        stack = arguments.stack or BUNDLED_STACK
        return _demo(pipeline_class, directory, stack, out, (momento, why))


def _remote_warning(demo_plan: DemoPlan, endpoint: str) -> str:
    topic = f" and publishes to its topic {demo_plan.topic[1]}" if demo_plan.topic else ""
    cities = ", ".join(city for city, *_ in DEMO_CITIES)
    return (
        f"warning: --momento remote: the demo writes {cities} into cache "
        f"{demo_plan.cache}{topic} of the real Momento at {endpoint} (the account of "
        "MOMENTO_API_KEY), and deletes San Francisco again"
    )


def _demo(
    pipeline_class: type[LocalPipeline],
    assembly: str,
    stack: str,
    out: TextIO,
    momento: tuple[str, str],
) -> int:
    table_id = check_weather_stack(load_stack(assembly, stack))  # before anything starts
    mode, why = momento
    _say(out, "Starting local AWS and Momento...")
    started = time.monotonic()
    with pipeline_class.from_cloud_assembly(assembly, stack, momento=mode) as lp:
        _say(out, f"Started in {time.monotonic() - started:.1f} s")
        print_banner(lp, out, why)
        demo_plan = plan(lp, table_id)
        if lp.remote_momento:
            print(_remote_warning(demo_plan, lp.momento_endpoint), file=sys.stderr, flush=True)
        demo = WeatherDemo(lp, demo_plan, out)
        try:
            return demo.run()
        except TimeoutError as error:
            _say(out, f"Demo FAILED: {error}")
            return ExitStatus.FAILED


publish()
