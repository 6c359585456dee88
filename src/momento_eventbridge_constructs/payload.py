"""Bodies of the Momento calls, built as EventBridge Pipes input templates.

A template is checked twice: its syntax when it is built (here), and its JSON paths against the
events and stream view of the pipe that uses it (:func:`check_record_paths`, called by
:class:`~momento_eventbridge_constructs.DynamoToMomentoPipe`). Both checks are pure Python.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ._validation import Checker, is_token
from .errors import MomentoConstructError

__all__ = ["MomentoPayload"]

MAX_TEMPLATE_LENGTH = 8192

# DynamoDB attribute value type descriptors as they appear in stream records.
ATTRIBUTE_TYPES = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")

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

# Fields every DynamoDB stream record carries, whatever its event name.
_RECORD_STRINGS = frozenset(
    {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "eventSourceARN"}
)
_DYNAMODB_ALWAYS = frozenset(
    {"Keys", "SequenceNumber", "SizeBytes", "StreamViewType", "ApproximateCreationDateTime"}
)
# Which event names carry which image, and which stream view types record it.
_IMAGE_EVENTS = {
    "NewImage": frozenset({"INSERT", "MODIFY"}),
    "OldImage": frozenset({"MODIFY", "REMOVE"}),
}
_IMAGE_VIEWS = {
    "NewImage": frozenset({"NEW_IMAGE", "NEW_AND_OLD_IMAGES"}),
    "OldImage": frozenset({"OLD_IMAGE", "NEW_AND_OLD_IMAGES"}),
}

_PLACEHOLDER = re.compile(r"<(\$[^<>]*|aws\.[^<>]*)>")
_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")


@dataclass(frozen=True)
class KeyInfo:
    """What a payload needs to know about the item key."""

    attribute: str
    type_code: str  # "S" or "N"


class MomentoPayload:
    """The body of a ``CACHE_SET`` or ``TOPIC_PUBLISH`` call.

    Build one with a static factory; the pipe checks every JSON path it reads against the
    events it lets through, so a body that would read ``NewImage`` on a ``REMOVE`` record is an
    error at construct time instead of a failed call at run time.

    Placeholders ``<$.path>`` are written bare (never inside quotes): Pipes renders them as
    typed JSON. DynamoDB numbers (``N``) are strings in stream records, so they arrive as JSON
    strings, e.g. ``"80"``.
    """

    __slots__ = ("_attributes", "_kind", "_template")

    def __init__(self, kind: str, template: str = "", attributes: tuple[tuple[str, str], ...] = ()):
        # Use the static factories; this signature is not part of the public API.
        self._kind = kind
        self._template = template
        self._attributes = attributes

    def __repr__(self) -> str:
        if self._kind == "attributes":
            return f"MomentoPayload.from_attributes({dict(self._attributes)!r})"
        if self._kind == "template":
            return f"MomentoPayload.from_template({self._template!r})"
        return f"MomentoPayload.{self._kind}()"

    @staticmethod
    def new_image() -> MomentoPayload:
        """The item's new image as DynamoDB JSON (``{"Attr": {"S": "..."}, ...}``).

        Valid for ``INSERT`` and ``MODIFY`` on a stream that records new images. The default
        body of ``CACHE_SET``.
        """
        return MomentoPayload("new_image", "<$.dynamodb.NewImage>")

    @staticmethod
    def change_notice() -> MomentoPayload:
        """A small message about the change: event name, item keys and sequence number.

        ``{"eventName": "MODIFY", "keys": {"Location": {"S": "New York"}},
        "sequenceNumber": "1112..."}``. Valid for ``INSERT``, ``MODIFY`` and ``REMOVE`` on any
        stream view type. The default body of ``TOPIC_PUBLISH``.
        """
        return MomentoPayload(
            "change_notice",
            '{"eventName": <$.eventName>, "keys": <$.dynamodb.Keys>, '
            '"sequenceNumber": <$.dynamodb.SequenceNumber>}',
        )

    @staticmethod
    def from_attributes(attributes: Mapping[str, str]) -> MomentoPayload:
        """A JSON object of named attributes of the new image, the key attribute included.

        Example: ``MomentoPayload.from_attributes({"MaxTemp": "N", "MinTemp": "N"})`` on a
        table keyed by ``Location`` gives ``{"Location": "New York", "MaxTemp": "80",
        "MinTemp": "61"}``. The key attribute is read from the record's keys, the others from
        the new image, so this needs ``INSERT``/``MODIFY`` events and a stream with new images
        (unless only key attributes are named). Every item must carry every named attribute.

        Args:
            attributes: attribute name -> DynamoDB type descriptor (``"S"``, ``"N"``, ``"B"``,
                ``"BOOL"``, ``"NULL"``, ``"M"``, ``"L"``, ``"SS"``, ``"NS"``, ``"BS"``).
        """
        check = Checker("MomentoPayload.from_attributes")
        if not isinstance(attributes, Mapping):
            check.fail(
                "attributes",
                attributes,
                "must be a mapping of attribute name to DynamoDB type, e.g. {'MaxTemp': 'N'}",
            )
        pairs: list[tuple[str, str]] = []
        for name, type_code in attributes.items():
            check.attribute_name("attributes", name)
            if type_code not in ATTRIBUTE_TYPES:
                check.fail(
                    f"attributes[{name!r}]",
                    type_code,
                    "must be a DynamoDB type descriptor: " + ", ".join(ATTRIBUTE_TYPES),
                )
            pairs.append((name, type_code))
        return MomentoPayload("attributes", attributes=tuple(pairs))

    @staticmethod
    def from_template(template: str) -> MomentoPayload:
        """A raw EventBridge Pipes input template, for experts.

        Placeholders are ``<$.json.path>`` into the stream record or a reserved variable such
        as ``<aws.pipes.pipe-name>``, written bare, never inside quotes (Pipes inserts them
        unescaped there). At most 8192 characters.
        """
        check = Checker("MomentoPayload.from_template")
        if not isinstance(template, str) or not template.strip():
            check.fail("template", template, "must be a non-empty string")
        check_template_syntax(template, check, "template")
        return MomentoPayload("template", template)

    def render(self, key: KeyInfo | None) -> str:
        """The input template for a pipe whose item key is ``key``.

        ``key`` may be None only for bodies that do not name the key attribute.
        """
        if self._kind != "attributes":
            return self._template
        if key is None:
            raise MomentoConstructError(
                "key_attribute",
                "None",
                "is required for MomentoPayload.from_attributes, which includes the key",
            )
        fields = [f"{json.dumps(key.attribute)}: <$.dynamodb.Keys.{key.attribute}.{key.type_code}>"]
        for name, type_code in self._attributes:
            if name == key.attribute:
                if type_code != key.type_code:
                    raise MomentoConstructError(
                        f"value attributes[{name!r}]",
                        repr(type_code),
                        f"the key attribute {name!r} has type {key.type_code!r}",
                    )
                continue
            fields.append(f"{json.dumps(name)}: <$.dynamodb.NewImage.{name}.{type_code}>")
        return "{" + ", ".join(fields) + "}"

    @property
    def needs_key(self) -> bool:
        """Whether rendering needs the key attribute."""
        return self._kind == "attributes"


def placeholders(template: str) -> list[str]:
    """The placeholder expressions of a template, without the angle brackets."""
    return [match.group(1) for match in _PLACEHOLDER.finditer(template)]


def check_template_syntax(template: str, check: Checker, prop: str) -> None:
    """Length, placeholder syntax and placement (never inside a JSON string)."""
    if is_token(template):
        check.fail(prop, template, "must be a literal string so its JSON paths can be checked")
    if len(template) > MAX_TEMPLATE_LENGTH:
        check.fail(
            prop,
            check.shown(f"<{len(template)} characters>"),
            f"Pipes input templates are limited to {MAX_TEMPLATE_LENGTH} characters",
        )
    quoted = _quoted_spans(template)
    for match in _PLACEHOLDER.finditer(template):
        expression = match.group(1)
        if any(start < match.start() < end for start, end in quoted):
            check.fail(
                prop,
                f"<{expression}>",
                "a placeholder inside quotes is inserted unescaped; write it bare, e.g. "
                '{"name": <$.dynamodb.Keys.id.S>}, and Pipes renders it as typed JSON',
            )
        if expression.startswith("aws."):
            if expression not in RESERVED_VARIABLES:
                check.fail(
                    prop,
                    f"<{expression}>",
                    "is not a Pipes reserved variable; known: "
                    + ", ".join(sorted(RESERVED_VARIABLES)),
                )
        else:
            _split_path(expression, check, prop)


def check_record_paths(
    paths: Iterable[str],
    *,
    events: frozenset[str],
    view_type: str | None,
    key_attributes: tuple[str, ...] | None,
    check: Checker,
    prop: str,
) -> None:
    """Every JSON path must exist on every record the pipe lets through.

    Args:
        paths: JSON paths such as ``$.dynamodb.NewImage.MaxTemp.N``; reserved variables are
            skipped.
        events: the event names the pipe's filter lets through.
        view_type: the table's stream view type, or None when unknown (imported tables).
        key_attributes: the table's key attribute names, or None when unknown.
    """
    for path in paths:
        if path.startswith("aws."):
            continue
        segments = _split_path(path, check, prop)
        if not segments:
            continue  # "$": the whole record
        head, rest = segments[0], segments[1:]
        if head in _RECORD_STRINGS:
            if rest:
                check.fail(prop, path, f"$.{head} is a string and has no fields")
            continue
        if head == "userIdentity":
            check.fail(
                prop,
                path,
                "$.userIdentity is present only on deletions by TTL, so it "
                "is missing on most records",
            )
        if head != "dynamodb":
            check.fail(
                prop,
                path,
                "is not a field of a DynamoDB stream record; records have "
                + ", ".join(sorted(_RECORD_STRINGS | {"dynamodb"})),
            )
        if not rest:
            continue
        field, inner = rest[0], rest[1:]
        if field in _IMAGE_EVENTS:
            _check_image(path, field, inner, events, view_type, check, prop)
        elif field == "Keys":
            if inner and key_attributes is not None and inner[0] not in key_attributes:
                check.fail(
                    prop,
                    path,
                    f"$.dynamodb.Keys holds only the table's key attributes "
                    f"({', '.join(key_attributes)})",
                )
            _check_type_descriptor(path, inner, check, prop)
        elif field in _DYNAMODB_ALWAYS:
            if inner:
                check.fail(prop, path, f"$.dynamodb.{field} is a scalar and has no fields")
        else:
            check.fail(
                prop,
                path,
                "is not a field of $.dynamodb; fields are "
                + ", ".join(sorted(_DYNAMODB_ALWAYS | set(_IMAGE_EVENTS))),
            )


def _check_image(
    path: str,
    image: str,
    inner: list[str],
    events: frozenset[str],
    view_type: str | None,
    check: Checker,
    prop: str,
) -> None:
    missing = sorted(events - _IMAGE_EVENTS[image])
    if missing:
        check.fail(
            prop,
            path,
            f"{' and '.join(missing)} records have no {image}, and this pipe lets "
            f"{', '.join(sorted(events))} through; restrict event_names to "
            f"{', '.join(sorted(_IMAGE_EVENTS[image]))} or read $.dynamodb.Keys instead",
        )
    if view_type is not None and view_type not in _IMAGE_VIEWS[image]:
        check.fail(
            prop,
            path,
            f"the table's stream view type is {view_type}, which does not record {image}; use "
            + " or ".join(sorted(_IMAGE_VIEWS[image])),
        )
    _check_type_descriptor(path, inner, check, prop)


def _check_type_descriptor(path: str, inner: list[str], check: Checker, prop: str) -> None:
    # inner = [attribute, type, ...]: the type descriptor, when given, must be a real one.
    if len(inner) >= 2 and inner[1] not in ATTRIBUTE_TYPES:
        check.fail(
            prop,
            path,
            f"{inner[1]!r} is not a DynamoDB type descriptor; use one of "
            + ", ".join(ATTRIBUTE_TYPES),
        )


def _split_path(path: str, check: Checker, prop: str) -> list[str]:
    if path == "$":
        return []
    if not path.startswith("$."):
        check.fail(prop, path, "JSON paths start with '$.'")
    segments = path[2:].split(".")
    for segment in segments:
        if not _PATH_SEGMENT.match(segment):
            check.fail(
                prop,
                path,
                "JSON path segments may use only letters, digits, '_' and '-' (dot notation)",
            )
    return segments


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
