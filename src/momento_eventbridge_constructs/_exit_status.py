"""The status the console script exits with, and the error that carries one.

Kept apart from :mod:`momento_eventbridge_constructs.cli` so that the engine can raise a
:class:`CommandError` (a cloud assembly that cannot be read) without importing the command line.
Only the standard library is used.
"""

from __future__ import annotations

import enum

__all__ = ["CommandError", "ExitStatus"]


class ExitStatus(enum.IntEnum):
    """The status the process exits with."""

    OK = 0
    FAILED = 1
    NOT_RUN = 2
    INTERRUPTED = 130


class CommandError(Exception):
    """The command cannot run as asked; the message says what to change.

    Nothing ran, or nothing more runs: the command line prints ``error: <message>`` and exits
    with :attr:`exit_status`.
    """

    exit_status: ExitStatus = ExitStatus.NOT_RUN
