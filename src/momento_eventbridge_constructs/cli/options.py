"""Options that the commands of both groups (running and operating a stack) take.

Only the standard library is used.
"""

from __future__ import annotations

import argparse

from publication import publish

from ..engine.parameters import FLAG

__all__ = ["add_parameters_option"]


def add_parameters_option(command: argparse.ArgumentParser, *, deployed: bool = False) -> None:
    """Add ``--parameters [STACK:]NAME=VALUE`` (repeatable) to ``command``.

    ``deployed``: for the operating commands, whose values replace the deployed ones.
    """
    rule = " (instead of the deployed value)" if deployed else ""
    command.add_argument(
        FLAG,
        action="append",
        default=[],
        metavar="[STACK:]NAME=VALUE",
        help=f"the value of a template parameter{rule}; repeatable, as for 'cdk deploy'",
    )


publish()
