"""The syntax rules of an EventBridge Pipes input template, checked when a payload is built.

:class:`~momento_eventbridge_constructs.MomentoPayload` checks its own template with
:func:`check_template_syntax`; a pipe and a sync check the JSON paths it reads against their
stream view (``_stream_record.check_record_paths``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._stream_record import placeholder_shape
from ._validation import Checker, is_token

MAX_TEMPLATE_LENGTH = 8192

# Documented reserved variables of Pipes input templates.
RESERVED_VARIABLES = frozenset(
    {
        "aws.pipes.pipe-arn",
        "aws.pipes.pipe-name",
        "aws.pipes.source-arn",
        "aws.pipes.enrichment-arn",
        "aws.pipes.target-arn",
        "aws.pipes.event.ingestion-time",
        "aws.pipes.event",
        "aws.pipes.event.json",
    }
)

# The rule on objects and arrays, as the AWS page states it (quoted in error messages).
INPUT_TRANSFORMATION_PAGE = (
    "https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-input-transformation.html"
)

_PLACEHOLDER = re.compile(r"<(\$[^<>]*|aws\.[^<>]*)>")


@dataclass(frozen=True)
class KeyInfo:
    """What a payload needs to know about the item key."""

    attribute: str
    type_code: str  # "S" or "N"


def placeholders(template: str) -> list[str]:
    """The placeholder expressions of a template, without the angle brackets."""
    return [match.group(1) for match in _PLACEHOLDER.finditer(template)]


def check_template_syntax(template: str, check: Checker, prop: str) -> None:
    """Length, placeholder syntax and placement of objects and arrays.

    The Pipes input transformation page says an object or array loses its inner quotes
    (``{"key": "value"}`` arrives as ``{key: value}``) when it stands inside a string, and
    when the whole template is one path to it; its advice is to place it as a value under a
    key. Both forms are rejected here; scalars may stand anywhere.
    """
    if is_token(template):
        check.fail(prop, template, "must be a literal string so its JSON paths can be checked")
    if len(template) > MAX_TEMPLATE_LENGTH:
        check.fail(
            prop,
            check.shown(f"<{len(template)} characters>"),
            f"Pipes input templates are limited to {MAX_TEMPLATE_LENGTH} characters",
        )
    matches = list(_PLACEHOLDER.finditer(template))
    stripped = template.strip()
    whole = len(matches) == 1 and matches[0].group(0) == stripped
    free_text = not whole and stripped[:1] not in ("{", "[")
    quoted = _quoted_spans(template)
    for match in matches:
        expression = match.group(1)
        if expression.startswith("aws.") and expression not in RESERVED_VARIABLES:
            check.fail(
                prop,
                f"<{expression}>",
                "is not a Pipes reserved variable; known: " + ", ".join(sorted(RESERVED_VARIABLES)),
            )
        if not placeholder_shape(expression, check, prop).is_structured:
            continue
        if whole:
            check.fail(prop, template, _WHOLE_TEMPLATE_RULE.format(expression=expression))
        if free_text or any(start < match.start() < end for start, end in quoted):
            check.fail(prop, f"<{expression}>", _IN_STRING_RULE.format(expression=expression))


_WHOLE_TEMPLATE_RULE = (
    "a template that is only a path to an object or array reaches the target with its inner "
    'quotes removed ({{"key": "value"}} becomes {{key: value}}, Pipes input transformation '
    f"page, {INPUT_TRANSFORMATION_PAGE}); place it as a value under a key, e.g. "
    '{{"item": <{expression}>}}'
)
_IN_STRING_RULE = (
    "is an object or array inside a string, where Pipes removes its inner quotes "
    '("Body is {{key: value}}", Pipes input transformation page, '
    f"{INPUT_TRANSFORMATION_PAGE}); place it as a bare value, e.g. "
    '{{"item": <{expression}>}}'
)


def _quoted_spans(text: str) -> list[tuple[int, int]]:
    """Start and end offsets of the double-quoted JSON strings in ``text``."""
    spans: list[tuple[int, int]] = []
    start = -1
    escaped = False
    for index, char in enumerate(text):
        if start >= 0:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                spans.append((start, index))
                start = -1
        elif char == '"':
            start = index
    if start >= 0:
        spans.append((start, len(text)))
    return spans
