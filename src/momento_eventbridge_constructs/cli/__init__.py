"""The console script ``momento-eventbridge-constructs``.

One parser (:mod:`.parser`) on which :mod:`momento_eventbridge_constructs.local.cli` registers
``demo`` and ``local`` and :mod:`momento_eventbridge_constructs.ops.cli` registers
``backfill``, ``redrive`` and ``verify``; one handler that sets up logging, runs the chosen
command and turns a :class:`~.status.CommandError` into its exit status (:mod:`.status`).
``local`` and ``ops`` never import each other; both run on
:mod:`momento_eventbridge_constructs.engine`.
"""

from __future__ import annotations

from collections.abc import Sequence

from publication import publish

from .._namespace import attach_submodules
from .status import CommandError, ExitStatus

__all__ = ["CommandError", "ExitStatus", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    # Imported here: the commands import ``local`` and ``ops``, which import .status.
    from .parser import run

    return run(argv)


publish()
attach_submodules(__name__)
