"""Pacing the calls to Momento: a shared rate limit, back-off, and retries of transient errors.

Momento's default limit is 100 cache operations per second per account and region (soft),
answered with 429 above it (https://docs.momentohq.com/cache/manage/limits), so the commands
default to half of it and every worker slows down when one of them meets a 429.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from publication import publish

from .momento import Momento, MomentoCallError
from .render import MomentoCall

__all__ = ["DEFAULT_MAX_RATE", "Backoff", "Interrupted", "PacedWriter", "RateLimiter"]

DEFAULT_MAX_RATE = 50.0


class Interrupted(Exception):
    """The command was asked to stop while waiting."""


class RateLimiter:
    """Spaces calls at least ``1 / rate`` seconds apart across every thread (no bursts).

    Args:
        rate: calls per second, more than 0.
        clock: monotonic seconds.
    """

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("the rate must be more than 0 calls per second")
        self._interval = 1.0 / rate
        self._clock = clock
        self._next = clock()
        self._lock = threading.Lock()

    def acquire(self, stop: threading.Event, count: int = 1) -> None:
        """Wait for the turn of ``count`` calls made back to back.

        Raises:
            Interrupted: ``stop`` was set while waiting.
        """
        with self._lock:
            now = self._clock()
            turn = max(self._next, now)
            self._next = turn + self._interval * count
        if turn > now and stop.wait(turn - now):
            raise Interrupted()
        if stop.is_set():
            raise Interrupted()

    def pause(self, seconds: float) -> None:
        """Let no call start for ``seconds`` (every thread backs off after a 429)."""
        with self._lock:
            self._next = max(self._next, self._clock() + seconds)


@dataclass(frozen=True)
class Backoff:
    """Exponential back-off with jitter between attempts of one call.

    ``attempts`` calls at most; the wait after failed attempt ``n`` (0-based) is between half
    and all of ``min(cap, base * 2**n)`` seconds.
    """

    base: float = 0.5
    cap: float = 20.0
    attempts: int = 8

    def delay(self, attempt: int, rng: random.Random) -> float:
        """Seconds to wait after failed attempt ``attempt``."""
        ceiling = float(min(self.cap, self.base * 2 ** min(attempt, 32)))
        return ceiling / 2 + rng.uniform(0, ceiling / 2)


@dataclass(frozen=True)
class PacedWriter:
    """Makes calls within the rate limit, retrying transient errors.

    The calls of every attempt are produced right when their turn has come, so what they
    carry is read from the table just before it is written: a change made meanwhile cannot be
    overwritten by an older copy that waited for its turn or for a retry.

    Args:
        momento: where the calls go.
        limiter: the shared rate limit.
        backoff: waits and attempts for transient errors (no answer, 429, 5xx).
        stop: set to interrupt waits.
        on_retry: told about every error that will be retried.
    """

    momento: Momento
    limiter: RateLimiter
    backoff: Backoff
    stop: threading.Event
    on_retry: Callable[[MomentoCallError], None] = lambda error: None
    _rng: random.Random = field(default_factory=random.Random, init=False, repr=False)

    def send(
        self,
        produce: Callable[[], Sequence[MomentoCall]],
        slots: int = 1,
        on_refused: Callable[[MomentoCall, MomentoCallError], None] | None = None,
    ) -> None:
        """Wait for ``slots`` turns, then make the calls ``produce`` returns now; after a
        transient error, wait and start again from ``produce``.

        Args:
            produce: builds the calls (reads what they carry) when their turn has come.
            slots: the turns to wait for (the calls are expected to be about as many).
            on_refused: told about a call Momento refused for good (other than a rejected
                key or a missing cache); the other calls go on. Default: raise.

        Raises:
            MomentoCallError: a refusal (see ``on_refused``), a rejected key or missing
                cache, or a transient error on the last attempt.
            Interrupted: ``stop`` was set.
            Exception: whatever ``produce`` raises.
        """
        for attempt in range(self.backoff.attempts):
            self.limiter.acquire(self.stop, max(1, slots))
            try:
                for call in produce():
                    self._send(call, on_refused)
                return
            except MomentoCallError as error:
                if not error.transient or attempt + 1 >= self.backoff.attempts:
                    raise
                delay = self.backoff.delay(attempt, self._rng)
                if error.status == 429:
                    self.limiter.pause(delay)
                self.on_retry(error)
                if self.stop.wait(delay):
                    raise Interrupted() from error

    def _send(
        self,
        call: MomentoCall,
        on_refused: Callable[[MomentoCall, MomentoCallError], None] | None,
    ) -> None:
        try:
            self.momento.send(call)
        except MomentoCallError as error:
            if error.transient or error.fatal or on_refused is None:
                raise
            on_refused(call, error)


publish()
