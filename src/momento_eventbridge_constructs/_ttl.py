"""The TTL rule of ``DynamoToMomentoPipe`` and ``DynamoToMomentoSync``: one check, one meaning.

Both constructs read the same props the same way:

- ``ttl``: a fixed time to live, 1 second to ``max_ttl``; 1 hour when no TTL prop is given;
- ``ttl_attribute``: a numeric attribute of the new image holding relative seconds;
- ``ttl_epoch_attribute`` (sync only): DynamoDB TTL-style epoch seconds;
- ``max_ttl``: the longest TTL the construct sends (24 hours unless raised). A TTL read from
  an attribute is cut to ``[1 s, max_ttl]``, and an item without the attribute is cached for
  ``max_ttl``.

A pipe sends what its input template renders, and templates have no arithmetic
(https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-input-transformation.html):
it can send a fixed TTL or an attribute as it is, but cannot cut it, fall back when it is
missing, or turn an epoch into time left. So a pipe rejects ``max_ttl`` with ``ttl_attribute``
(the prop would be ignored) and has no ``ttl_epoch_attribute``; its attribute goes to Momento as
it is, Momento answers a zero, negative or too large TTL with 400, and the pipe retries and then
dead-letters the record. How Pipes renders a missing attribute is not documented (unverified);
the local runtime fails such a record before calling, so it is dead-lettered too.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_cdk import Duration

from ._validation import Checker, is_number_token

DEFAULT_TTL_SECONDS = 3600
DEFAULT_MAX_TTL_SECONDS = 24 * 3600  # Momento's hard limit on on-demand caches

PIPE_CANNOT_CLAMP = (
    "has no effect with ttl_attribute on DynamoToMomentoPipe: Pipes input templates cannot "
    "cut a TTL to max_ttl or fall back to it when the attribute is missing (no arithmetic), "
    "so the attribute is sent as it is and Momento rejects values outside its limits; use "
    "DynamoToMomentoSync, which applies max_ttl, or a fixed ttl"
)


@dataclass(frozen=True)
class TtlProps:
    """The TTL props as given; ``ttl_epoch_attribute`` is always None on a pipe."""

    ttl: Duration | None
    ttl_attribute: str | None
    max_ttl: Duration | None
    ttl_epoch_attribute: str | None = None


@dataclass(frozen=True)
class TtlRule:
    """How the cache TTL of an item is found.

    ``fixed_seconds`` for a fixed TTL; else ``attribute`` (epoch seconds when ``epoch``).
    ``max_seconds`` caps a fixed TTL and, where the construct can compute (the sync), cuts an
    attribute's value and stands in for a missing one; None: the attribute is sent as it is.
    """

    fixed_seconds: int | None
    attribute: str | None
    epoch: bool
    max_seconds: int | None

    @property
    def prop(self) -> str:
        """The prop the TTL comes from, for error messages."""
        if self.attribute is None:
            return "ttl"
        return "ttl_epoch_attribute" if self.epoch else "ttl_attribute"


def check_ttl(check: Checker, props: TtlProps, *, computed: bool) -> TtlRule:
    """The one TTL check of both constructs.

    Args:
        computed: True where the TTL is computed per item (the sync's state machine), False
            where a template sends it (a pipe).
    """
    given = [
        (name, value)
        for name, value in (
            ("ttl", props.ttl),
            ("ttl_attribute", props.ttl_attribute),
            ("ttl_epoch_attribute", props.ttl_epoch_attribute),
        )
        if value is not None
    ]
    if len(given) > 1:
        names = " and ".join(name for name, _ in given)
        check.fail(
            given[1][0],
            check.shown(show_duration(given[1][1])),
            f"{names} are exclusive; give one",
        )
    cap = seconds(check, "max_ttl", props.max_ttl, DEFAULT_MAX_TTL_SECONDS)
    if cap < 1:
        check.fail("max_ttl", check.shown(f"{cap} seconds"), "must be at least 1 second")
    attribute = props.ttl_attribute or props.ttl_epoch_attribute
    if attribute is not None:
        epoch = props.ttl_attribute is None
        check.attribute_name("ttl_epoch_attribute" if epoch else "ttl_attribute", attribute)
        if computed:
            return TtlRule(None, attribute, epoch, cap)
        if props.max_ttl is not None:
            check.fail("max_ttl", check.shown(show_duration(props.max_ttl)), PIPE_CANNOT_CLAMP)
        return TtlRule(None, attribute, epoch, None)
    fixed = seconds(check, "ttl", props.ttl, DEFAULT_TTL_SECONDS)
    if not 1 <= fixed <= cap:
        limit = (
            "Momento's 24-hour limit on on-demand caches; raise max_ttl for caches with a "
            "higher limit"
            if props.max_ttl is None
            else "max_ttl"
        )
        check.fail(
            "ttl",
            check.shown(f"{fixed} seconds"),
            f"must be from 1 second to {cap} seconds ({limit})",
        )
    return TtlRule(fixed, None, False, cap)


def seconds(check: Checker, prop: str, duration: Duration | None, default: int) -> int:
    """A concrete, whole number of seconds from an optional ``Duration``."""
    if duration is None:
        return default
    if not isinstance(duration, Duration):
        check.fail(prop, duration, "must be an aws_cdk.Duration")
    value = duration.to_seconds(integral=False)
    if is_number_token(value):
        check.fail(prop, check.shown("<token>"), "must be a concrete duration, not a token")
    if value != int(value):
        check.fail(
            prop, check.shown(duration.to_human_string()), "must be a whole number of seconds"
        )
    return int(value)


def show_duration(value: object) -> str:
    """A duration as a person reads it (``1 hour``), for error messages."""
    if isinstance(value, Duration):
        try:
            return value.to_human_string()
        except Exception:  # a token duration has no human form
            return "<token duration>"
    return repr(value)
