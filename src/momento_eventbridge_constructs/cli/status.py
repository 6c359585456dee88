"""The exit statuses of ``momento-eventbridge-constructs``, the one error that carries one,
and the help texts that list them.

Every command returns an :class:`ExitStatus`; a command that cannot run raises
:class:`CommandError` (or a subclass), whose ``exit_status`` the handler returns after printing
the message as one line. What each status means is written once per group of commands
(:data:`RUN_MEANINGS` for ``demo`` and ``local``, :data:`OPERATE_MEANINGS` for ``backfill``,
``redrive`` and ``verify``); the ``--help`` texts and the table of ``docs/operating.md`` are
that text.

Only the standard library is used.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from publication import publish

from .._exit_status import CommandError, ExitStatus

__all__ = [
    "INSTALL_HINT",
    "OPERATE_MEANINGS",
    "PROG",
    "RUN_MEANINGS",
    "CommandError",
    "ExitStatus",
    "Meanings",
    "help_block",
    "help_sentence",
]


Meanings = Sequence[tuple[ExitStatus, str]]

RUN_MEANINGS: Meanings = (
    (ExitStatus.OK, "success (local: stopped by Ctrl-C or --exit-after)"),
    (ExitStatus.FAILED, "the demo ran and some expectation was not met"),
    (
        ExitStatus.NOT_RUN,
        "nothing ran: bad arguments, no usable cloud assembly, several stacks and no --stack, "
        "a stack that is not the weather example (demo), the bundled example did not "
        "synthesize (demo), or the 'local' extra is not installed",
    ),
    (ExitStatus.INTERRUPTED, "interrupted by Ctrl-C while starting or during the demo"),
)
"""What each status means for ``demo`` and ``local``."""

OPERATE_MEANINGS: Meanings = (
    (ExitStatus.OK, "everything held"),
    (
        ExitStatus.FAILED,
        "some items failed, some messages were left, or a verify step failed",
    ),
    (
        ExitStatus.NOT_RUN,
        "usage or setup error: arguments, credentials, an unreadable stack, a rejected API key "
        "or a missing cache",
    ),
    (ExitStatus.INTERRUPTED, "interrupted (backfill's state file keeps its progress)"),
)
"""What each status means for ``backfill``, ``redrive`` and ``verify``."""

PROG = "momento-eventbridge-constructs"
"""The console script's name."""

INSTALL_HINT = f'pip install "{PROG}[local]"'
"""How to install what the operating commands need (boto3)."""

_WIDTH = 88
_BLOCK_WIDTH = 91  # the status column takes 7 of it, as in argparse's own sections


def help_block(meanings: Meanings) -> str:
    """``meanings`` as an ``exit status:`` section in argparse's layout."""
    lines = ["exit status:"]
    for status, meaning in meanings:
        lines.append(
            textwrap.fill(
                meaning,
                _BLOCK_WIDTH,
                initial_indent=f"  {int(status):<4} ",
                subsequent_indent=" " * 7,
            )
        )
    return "\n".join(lines) + "\n"


def help_sentence(meanings: Meanings) -> str:
    """``meanings`` as one ``Exit status: 0 ...; 1 ...`` paragraph."""
    # A no-break space keeps each status beside the first word of its meaning.
    parts = [f"{int(status)}\u00a0{meaning}" for status, meaning in meanings]
    text = textwrap.fill("Exit status: " + "; ".join(parts) + ".", _WIDTH)
    return text.replace("\u00a0", " ")


publish()
