"""The context-manager protocol of everything that starts and stops: ``with`` starts, leaving stops.

Shared by the local servers and runtime, the Momento subscription and the progress line, so
that each states only what starting and stopping mean for it. Only the standard library is used.
"""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

__all__ = ["Lifecycle"]

_Self = TypeVar("_Self", bound="Lifecycle")


class Lifecycle:
    """Starts on entering a ``with`` block (:meth:`start`), stops on leaving it (:meth:`stop`)."""

    def start(self) -> object:
        """Start; the default does nothing (the object is ready once built)."""
        return self

    def stop(self) -> None:
        """Stop and release what :meth:`start` acquired."""
        raise NotImplementedError

    def __enter__(self: _Self) -> _Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
