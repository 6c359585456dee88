"""The ``backfill``, ``redrive`` and ``verify`` subcommands of ``momento-eventbridge-constructs``.

:func:`add_commands` registers them on an ``argparse`` subparsers object; each parsed
command carries its ``handler`` for :mod:`momento_eventbridge_constructs.cli`, which runs it;
their exit statuses are :data:`~momento_eventbridge_constructs.cli.status.OPERATE_MEANINGS`.
The command modules, and boto3 with them, are imported only when a command runs.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import Any

from publication import publish

from ..cli.options import add_parameters_option
from ..cli.status import (
    INSTALL_HINT,
    OPERATE_MEANINGS,
    CommandError,
    ExitStatus,
    help_sentence,
)

__all__ = ["add_commands"]

_COMMON_EPILOG = f"""
AWS access: boto3's standard configuration (AWS_PROFILE, AWS_REGION or AWS_DEFAULT_REGION,
AWS_ENDPOINT_URL, ...). Momento: MOMENTO_API_ENDPOINT and MOMENTO_API_KEY when set, else the
endpoint in the stack's template and the API key in the Secrets Manager secret its connection
reads. Physical names: through CloudFormation (ListStackResources) unless given with
--table-name / --queue-url / --resource. Template parameters: --parameters, else the deployed
values (DescribeStacks), else their Default. The API key is never printed.

Needs boto3: {INSTALL_HINT}

{help_sentence(OPERATE_MEANINGS)}"""

_BACKFILL = """Write every item of the table into the cache exactly as the stack's set pipe or
sync would write it for an INSERT (same body, key and TTL; same filters), without announcing
anything. Items whose epoch TTL has passed are skipped. Run it after the pipe or sync is
deployed and running: changes made during the backfill then reach the cache through the pipe
after the backfill read the item, so the cache ends as the table."""

_REDRIVE = """For every message in the stack's dead-letter queues, make the cache match the
table for the keys it names (a consistent read of each item; set when it exists, delete when
not), then delete the message. A pipe's dead letter names a stream range: its records are read
back while the stream retains them (24 hours); after that the message is left and `backfill`
is the way to repair the cache. Announcements lost to a dead-letter queue are not re-sent.
Running it twice does no harm."""

_VERIFY_TTL = """TTL: checked with a short-lived probe item when the stack reads the TTL from an
attribute; a fixed TTL is reported, not observed (Momento's HTTP API returns no TTL)."""

_VERIFY = """After a deploy: write a canary item (a key no real item has, written only if
free), wait until each cache holds exactly the body the stack renders and each topic carried
the announcement, update it, delete it and wait for the eviction; probe the TTL and keys with
reserved characters; look for dead letters naming the canary; remove every canary, also when a
step fails. Reports the latency of every step and, for a failed one, a diagnosis (pipe state,
last logged error, dead-letter queue)."""


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("assembly", metavar="CDK_OUT", help="the cloud assembly directory")
    parser.add_argument("--stack", required=True, metavar="NAME", help="the stack to operate on")
    parser.add_argument(
        "--table-name",
        action="append",
        default=[],
        metavar="[ID=]NAME",
        help="physical table name (ID=NAME when the stack has several tables)",
    )
    parser.add_argument(
        "--resource",
        action="append",
        default=[],
        metavar="ID=NAME",
        help="physical name of any resource (logical ID or construct path), e.g. a pipe",
    )
    add_parameters_option(parser, deployed=True)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")


def _settles() -> str:
    """What a passing verify settles, for its --help."""
    from .verify import SETTLES

    lines = ["What a passing run settles that cannot be checked offline:"]
    for behaviour, settled_by in SETTLES:
        lines.append(
            textwrap.fill(
                f"{behaviour}: {settled_by}", 88, initial_indent="  - ", subsequent_indent="    "
            )
        )
    return "\n".join(lines)


def _add(
    subparsers: Any, name: str, summary: str, description: str, epilog: str
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name,
        help=summary,
        description=textwrap.fill(" ".join(description.split()), 88),
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _common(parser)
    return parser


def add_commands(subparsers: Any) -> None:
    """Register ``backfill``, ``redrive`` and ``verify`` on ``parser.add_subparsers()``."""
    backfill = _add(
        subparsers, "backfill", "fill the cache from the table", _BACKFILL, _COMMON_EPILOG
    )
    backfill.add_argument("--table", metavar="ID_OR_PATH", help="the table, if several")
    backfill.add_argument(
        "--max-rate", type=float, default=50.0, help="cache writes per second (default 50)"
    )
    backfill.add_argument(
        "--segments", type=int, default=4, help="parallel scan segments (default 4)"
    )
    backfill.add_argument("--page-size", type=int, help="items per scan page (default 1 MB)")
    backfill.add_argument("--state-file", type=Path, help="save progress here; resume from it")
    backfill.add_argument("--dry-run", action="store_true", help="print what would be written")
    backfill.set_defaults(handler=_backfill)

    redrive = _add(
        subparsers, "redrive", "repair the cache for dead letters", _REDRIVE, _COMMON_EPILOG
    )
    redrive.add_argument(
        "--queue-url", action="append", default=[], help="read this queue (repeatable)"
    )
    redrive.add_argument("--max-rate", type=float, default=50.0, help="cache writes per second")
    redrive.add_argument("--dry-run", action="store_true", help="print, write nothing")
    redrive.set_defaults(handler=_redrive)

    verify = _add(
        subparsers,
        "verify",
        "check a deployed stack with a canary",
        _VERIFY,
        f"{_settles()}\n{_VERIFY_TTL}\n{_COMMON_EPILOG}",
    )
    verify.add_argument("--timeout", type=float, default=60.0, help="seconds per step")
    verify.add_argument("--ttl-probe", type=int, default=5, help="TTL of the probe item (s)")
    verify.add_argument(
        "--skip", action="append", default=[], choices=["ttl", "encoding"], help="skip a probe"
    )
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.set_defaults(handler=_verify)


def _check_positive(value: float, flag: str) -> None:
    if value <= 0:
        raise CommandError(f"{flag} must be more than 0")


def _context(arguments: argparse.Namespace) -> Any:
    from .context import OpsContext

    return OpsContext.open(
        arguments.assembly,
        arguments.stack,
        table_names=arguments.table_name,
        resources=arguments.resource,
        parameters=arguments.parameters,
    )


def _backfill(arguments: argparse.Namespace) -> int:
    from .backfill import BackfillOptions, run_backfill

    _check_positive(arguments.max_rate, "--max-rate")
    _check_positive(arguments.segments, "--segments")
    options = BackfillOptions(
        table=arguments.table,
        max_rate=arguments.max_rate,
        segments=arguments.segments,
        dry_run=arguments.dry_run,
        state_file=arguments.state_file,
        page_size=arguments.page_size,
    )
    report = run_backfill(_context(arguments), options, sys.stdout, sys.stderr)
    return ExitStatus.INTERRUPTED if report.problem == "interrupted" else report.exit_status


def _redrive(arguments: argparse.Namespace) -> int:
    from .redrive import RedriveOptions, run_redrive

    _check_positive(arguments.max_rate, "--max-rate")
    options = RedriveOptions(
        queue_urls=tuple(arguments.queue_url),
        dry_run=arguments.dry_run,
        max_rate=arguments.max_rate,
    )
    return run_redrive(_context(arguments), options, sys.stdout, sys.stderr).exit_status


def _verify(arguments: argparse.Namespace) -> int:
    from .verify import VerifyOptions, run_verify

    _check_positive(arguments.timeout, "--timeout")
    options = VerifyOptions(
        timeout=arguments.timeout,
        ttl_probe_seconds=max(2, arguments.ttl_probe),
        skip=frozenset(arguments.skip),
    )
    report = run_verify(_context(arguments), options)
    if arguments.json:
        sys.stdout.write(json.dumps(report.to_json(), indent=2) + "\n")
    else:
        sys.stdout.write(report.text())
    return report.exit_status


publish()
