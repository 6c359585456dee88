"""The errors the operating commands report, and the exit status each one means."""

from __future__ import annotations

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_SETUP", "INSTALL_HINT", "SetupError"]

EXIT_OK = 0
"""Everything held: every item written, every message redriven, every verify step passed."""
EXIT_FAILED = 1
"""The command ran, but some items failed, some messages were left or a verify step failed."""
EXIT_SETUP = 2
"""Usage or setup error: bad arguments, no credentials, an unreadable stack, a rejected key."""

INSTALL_HINT = 'pip install "momento-eventbridge-constructs[local]"'


class SetupError(Exception):
    """The command cannot run as configured (exit status 2); the message says what to change."""
