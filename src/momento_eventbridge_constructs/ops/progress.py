"""Counting outcomes, a progress line on stderr, and the summary the commands end with."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import TextIO

from publication import publish

from .._lifecycle import Lifecycle

__all__ = ["Progress", "Tally"]

_EXAMPLES_PER_REASON = 3


class Tally:
    """Thread-safe counts of outcomes (``written``, ``skipped`` ...) with reasons and a few
    example keys per reason."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.reasons: dict[str, Counter[str]] = {}
        self.examples: dict[tuple[str, str], list[str]] = {}

    def add(self, outcome: str, reason: str | None = None, example: str | None = None) -> None:
        """Count one ``outcome`` (with its ``reason`` and an ``example`` key, if any)."""
        with self._lock:
            self.counts[outcome] += 1
            if reason is None:
                return
            self.reasons.setdefault(outcome, Counter())[reason] += 1
            examples = self.examples.setdefault((outcome, reason), [])
            if example is not None and len(examples) < _EXAMPLES_PER_REASON:
                examples.append(example)

    def __getitem__(self, outcome: str) -> int:
        with self._lock:
            return self.counts[outcome]

    def summary_lines(self, outcomes: list[str]) -> list[str]:
        """``outcome: N`` per outcome, then each reason with its count and examples."""
        lines: list[str] = []
        with self._lock:
            for outcome in outcomes:
                lines.append(f"  {outcome}: {self.counts[outcome]}")
                for reason, count in sorted(
                    self.reasons.get(outcome, Counter()).items(), key=lambda pair: -pair[1]
                ):
                    examples = self.examples.get((outcome, reason), [])
                    shown = f" (e.g. {'; '.join(examples)})" if examples else ""
                    lines.append(f"    {count} x {reason}{shown}")
        return lines


class Progress(Lifecycle):
    """Rewrites one status line on a terminal (``\\r``), or prints a line now and then on
    anything else, until stopped; use as a context manager.

    Args:
        stream: where the line goes (stderr).
        line: builds the current text (given this object, for :meth:`rate`).
        interval: seconds between updates on a terminal (ten times as long otherwise).
    """

    def __init__(
        self, stream: TextIO, line: Callable[[Progress], str], interval: float = 0.5
    ) -> None:
        self._stream = stream
        self._line = line
        self._tty = bool(getattr(stream, "isatty", lambda: False)())
        self._interval = interval if self._tty else interval * 10
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)
        self.started = time.monotonic()

    def _show(self, final: bool = False) -> None:
        text = self._line(self)
        if self._tty:
            self._stream.write("\r\x1b[2K" + text + ("\n" if final else ""))
        else:
            self._stream.write(text + "\n")
        self._stream.flush()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self._show()

    def start(self) -> Progress:
        """Start updating the line."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop updating and write the final line."""
        self._stop.set()
        self._thread.join()
        self._show(final=True)

    def rate(self, count: int) -> float:
        """``count`` per second since the start."""
        return count / max(time.monotonic() - self.started, 1e-6)


publish()
