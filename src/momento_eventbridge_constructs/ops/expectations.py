"""What verify waits for after each write: a body in a cache, an eviction, an announcement;
and one look at whether it holds, as an :class:`~.observation.Observation`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from publication import publish

from .canary import body_matches
from .momento import MomentoCallError
from .observation import Observation

if TYPE_CHECKING:
    from .momento import Momento
    from .render import MomentoCall
    from .topics import Topics

__all__ = ["Expectation", "ExpectationKind", "Observer"]

ExpectationKind = Literal["present", "absent", "message"]


@dataclass(frozen=True)
class Expectation:
    """One outcome the stack must produce: named as its step is."""

    name: str
    kind: ExpectationKind
    source: str
    cache: str
    key_query: Mapping[str, str]
    body: bytes | None
    topic: str | None = None
    call: MomentoCall | None = None


class Observer:
    """Looks at Momento with verify's own key, and at the topics verify listens to."""

    def __init__(self, momento: Momento, topics: Topics) -> None:
        self._momento = momento
        self.topics = topics

    def check(self, expectation: Expectation) -> Observation:
        """One look at the cache or topic ``expectation`` names."""
        if expectation.kind == "message":
            return self.topics.take(
                expectation.cache, str(expectation.topic), expectation.body or b""
            )
        try:
            value = self._momento.get(expectation.cache, expectation.key_query)
        except MomentoCallError as error:
            return Observation.missing(f"verify's own read: {error}")
        if expectation.kind == "absent":
            return Observation(value is None, "still in the cache")
        if value is None:
            return Observation.missing("not in the cache")
        if body_matches(value, expectation.body or b""):
            return Observation.found()
        return Observation.missing("body " + value.decode("utf-8", errors="replace")[:200])


publish()
