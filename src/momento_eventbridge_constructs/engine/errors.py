"""The error both sides raise about one thing for one reason.

Only the standard library is used.
"""

from __future__ import annotations

from publication import publish

__all__ = ["ReasonedError"]


class ReasonedError(Exception):
    """An error about one subject, for one reason; its message is ``<subject>: <reason>``
    (only the subject when the reason is empty).

    Args:
        subject: what failed: a pipe's path, ``HTTP 500``, ``Momento answered 404``.
        reason: why, in the words of whoever refused.
    """

    def __init__(self, subject: str, reason: str) -> None:
        super().__init__(f"{subject}: {reason}" if reason else subject)
        self.subject = subject
        self.reason = reason


publish()
