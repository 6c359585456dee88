"""The parser of ``momento-eventbridge-constructs`` and the one handler of its commands.

Each command module registers its subcommands with ``add_commands(subparsers)``; every
subcommand sets ``handler``, a function of the parsed arguments that returns an
:class:`~.status.ExitStatus`. :func:`run` sets up logging once, calls it and maps errors to
statuses.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from publication import publish

from .. import __version__
from .status import PROG, RUN_MEANINGS, CommandError, ExitStatus, help_block

__all__ = ["build_parser", "configure_logging", "run"]

PACKAGE_LOGGER = "momento_eventbridge_constructs"

_EXAMPLES = f"""\
examples:
  {PROG} demo                     the bundled weather example
  {PROG} local                    the pipes of ./cdk.out
  {PROG} local cdk.out --stack S  one stack of several
  {PROG} local --parameters MomentoApiKey=KEY --parameters MomentoApiEndpoint=URL
                                  a stack whose template has parameters
"""


def build_parser() -> argparse.ArgumentParser:
    """The parser with every subcommand registered."""
    from ..local.cli import add_commands as add_local_commands
    from ..ops.cli import add_commands as add_operating_commands

    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Run the EventBridge pipes of a synthesized CDK stack on this machine,\n"
        "against local AWS (moto) and a local Momento server: no account needed; and\n"
        "operate a deployed stack: backfill its cache, redrive its dead letters, verify it.",
        epilog=_EXAMPLES + "\n" + help_block(RUN_MEANINGS),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    add_local_commands(commands)  # demo, local
    add_operating_commands(commands)  # backfill, redrive, verify
    return parser


def configure_logging(verbose: bool) -> None:
    """Warnings to stderr; with ``verbose``, this package's debug output too.

    Only this package's logger is lowered: the SDK's debug output would print request bodies.
    """
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if verbose:
        logging.getLogger(PACKAGE_LOGGER).setLevel(logging.DEBUG)


def _is_aws_error(error: BaseException) -> bool:
    return type(error).__module__.startswith(("botocore", "boto3"))


def run(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the command; a :class:`CommandError` is one line and its status."""
    arguments = build_parser().parse_args(argv)
    configure_logging(arguments.verbose)
    try:
        return int(arguments.handler(arguments))
    except CommandError as error:
        print(f"error: {error}", file=sys.stderr)
        return int(error.exit_status)
    except KeyboardInterrupt:
        return int(ExitStatus.INTERRUPTED)
    except Exception as error:
        if not _is_aws_error(error):
            raise
        print(f"error: AWS: {error}", file=sys.stderr)
        return int(ExitStatus.NOT_RUN)


publish()
