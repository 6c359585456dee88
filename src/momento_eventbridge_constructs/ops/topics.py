"""The topics verify listens to: messages received so far and the last failed poll, per topic.

Subscribed before the first write so no announcement is missed; each expected message is
taken once, so two equal announcements need two messages.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from publication import publish

from .canary import body_matches
from .observation import Observation

if TYPE_CHECKING:
    from ..engine.momento_client import Subscription
    from .momento import Momento

__all__ = ["TopicListener", "Topics"]


@dataclass
class TopicListener:
    """One subscription and what it has delivered."""

    subscription: Subscription
    received: list[str] = field(default_factory=list)
    failure: str | None = None
    """The last poll that failed, kept for the step's detail."""

    def collect(self) -> None:
        try:
            self.received.extend(self.subscription.collect(1000, 0.01))
        except Exception as error:  # a failed poll: the next one may succeed
            self.failure = f"subscription failed: {error}"

    def take(self, body: bytes) -> Observation:
        """Remove and report the first message whose body is ``body``."""
        for index, message in enumerate(self.received):
            if body_matches(message.encode("utf-8"), body):
                del self.received[index]
                return Observation.found()
        if self.failure is not None:
            return Observation.missing(self.failure)
        count = len(self.received)
        return Observation.missing(f"{count} other message(s)" if count else "no message")

    def take_matching(self, wanted: Callable[[str], bool]) -> list[str]:
        """Remove and return every message ``wanted`` accepts, in the order received."""
        taken: list[str] = []
        kept: list[str] = []
        for message in self.received:
            (taken if wanted(message) else kept).append(message)
        self.received = kept
        return taken


class Topics:
    """The listeners of every ``(cache, topic)``; close them when done."""

    def __init__(self) -> None:
        self._listeners: dict[tuple[str, str], TopicListener] = {}

    def subscribe(
        self, momento: Momento, topics: Iterable[tuple[str, str]], timeout: float, settle: float
    ) -> None:
        """Subscribe to each topic, then give the first long polls ``settle`` seconds to start."""
        for cache, topic in sorted(topics):
            subscription = momento.subscribe(cache, topic, timeout=timeout)
            self._listeners[(cache, topic)] = TopicListener(subscription)
        if self._listeners:
            time.sleep(settle)

    def collect(self) -> None:
        for listener in self._listeners.values():
            listener.collect()

    def take(self, cache: str, topic: str, body: bytes) -> Observation:
        listener = self._listeners.get((cache, topic))
        if listener is None:
            return Observation.missing("no message")
        return listener.take(body)

    def take_matching(self, cache: str, topic: str, wanted: Callable[[str], bool]) -> list[str]:
        """Remove and return every message of the topic ``wanted`` accepts, oldest first."""
        listener = self._listeners.get((cache, topic))
        return [] if listener is None else listener.take_matching(wanted)

    def failure(self, cache: str, topic: str) -> str | None:
        """The topic's last failed poll, if any."""
        listener = self._listeners.get((cache, topic))
        return None if listener is None else listener.failure

    def close(self) -> None:
        for listener in self._listeners.values():
            listener.subscription.close()


publish()
