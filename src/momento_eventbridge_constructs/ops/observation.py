"""What one look at the cache or a topic found: the expected value, or what was there instead."""

from __future__ import annotations

from dataclasses import dataclass

from publication import publish

__all__ = ["Observation"]


@dataclass(frozen=True)
class Observation:
    """``seen`` means the expectation held; ``detail`` says what was found when it did not."""

    seen: bool
    detail: str = ""

    @classmethod
    def found(cls) -> Observation:
        return cls(True)

    @classmethod
    def missing(cls, detail: str) -> Observation:
        return cls(False, detail)


publish()
