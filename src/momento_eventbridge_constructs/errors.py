"""The one exception type the constructs raise for invalid input."""

from __future__ import annotations

from publication import publish

__all__ = ["MomentoConstructError"]


class MomentoConstructError(ValueError):
    """An invalid construct prop, raised at construct time.

    The message always names the prop, the value and the rule it broke, so the error reads
    without a stack trace. It subclasses ``ValueError`` so ``except ValueError`` also catches it.

    Attributes:
        prop: the prop (or argument) that was rejected, e.g. ``"ttl"``.
        value: a printable form of the rejected value.
        rule: what the value must satisfy.
    """

    def __init__(self, prop: str, value: str, rule: str, *, where: str | None = None) -> None:
        self.prop = prop
        self.value = value
        self.rule = rule
        self.where = where
        prefix = f"{where}: " if where else ""
        super().__init__(f"{prefix}{prop}={value}: {rule}")


publish()
