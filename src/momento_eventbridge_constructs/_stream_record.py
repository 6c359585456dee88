"""What a DynamoDB stream record holds, as the JSON paths of a Pipes input template see it.

Two questions are answered here, both in pure Python: does a path exist on every record a pipe
lets through (:func:`check_record_paths`), and is the value at a path an object, an array or a
scalar (:func:`path_shape`), which decides where a template may place it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from enum import Enum

from ._validation import Checker

# DynamoDB attribute value type descriptors as they appear in stream records.
ATTRIBUTE_TYPES = ("S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS")
_ARRAY_TYPES = frozenset({"L", "SS", "NS", "BS"})

# Fields every DynamoDB stream record carries, whatever its event name.
RECORD_STRINGS = frozenset(
    {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion", "eventSourceARN"}
)
_DYNAMODB_SCALARS = frozenset(
    {"SequenceNumber", "SizeBytes", "StreamViewType", "ApproximateCreationDateTime"}
)
_DYNAMODB_FIELDS = _DYNAMODB_SCALARS | {"Keys"}
# Which event names carry which image, and which stream view types record it.
_IMAGE_EVENTS: Mapping[str, frozenset[str]] = {
    "NewImage": frozenset({"INSERT", "MODIFY"}),
    "OldImage": frozenset({"MODIFY", "REMOVE"}),
}
_IMAGE_VIEWS: Mapping[str, frozenset[str]] = {
    "NewImage": frozenset({"NEW_IMAGE", "NEW_AND_OLD_IMAGES"}),
    "OldImage": frozenset({"OLD_IMAGE", "NEW_AND_OLD_IMAGES"}),
}
# Reserved variables whose value is the record itself, an object.
_OBJECT_VARIABLES = frozenset({"aws.pipes.event", "aws.pipes.event.json"})

_PATH_SEGMENT = re.compile(r"^[A-Za-z0-9_-]+$")


class Shape(Enum):
    """What a placeholder resolves to."""

    SCALAR = "scalar"
    OBJECT = "object"
    ARRAY = "array"

    @property
    def is_structured(self) -> bool:
        """Objects and arrays: the values Pipes strips of their inner quotes in a string."""
        return self is not Shape.SCALAR


def split_path(path: str, check: Checker, prop: str) -> list[str]:
    """``$.a.b`` -> ``["a", "b"]``; dot notation only, each segment ``[A-Za-z0-9_-]+``."""
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


def placeholder_shape(expression: str, check: Checker, prop: str) -> Shape:
    """The shape of a placeholder: a reserved variable or a JSON path into the record."""
    if expression.startswith("aws."):
        return Shape.OBJECT if expression in _OBJECT_VARIABLES else Shape.SCALAR
    return path_shape(split_path(expression, check, prop))


def path_shape(segments: list[str]) -> Shape:
    """The shape of the value at a record path (unknown paths count as scalars).

    ``$``, ``$.dynamodb``, images, keys and attribute values (``{"S": "..."}``) are objects;
    ``L``, ``SS``, ``NS`` and ``BS`` values are arrays; the rest are scalars.
    """
    if not segments or segments == ["dynamodb"] or segments[0] == "userIdentity":
        return Shape.OBJECT
    if segments[0] != "dynamodb" or segments[1] not in ("Keys", "NewImage", "OldImage"):
        return Shape.SCALAR
    return _attribute_shape(segments[2:])


def _attribute_shape(inner: list[str]) -> Shape:
    # inner = [] (the image) or [attribute, type, attribute, type, ...] through maps.
    while len(inner) >= 2:
        type_code, rest = inner[1], inner[2:]
        if type_code in _ARRAY_TYPES:
            return Shape.ARRAY if not rest else Shape.SCALAR
        if type_code != "M":
            return Shape.SCALAR  # S, N, B, BOOL, NULL, or a bad descriptor reported elsewhere
        if not rest:
            return Shape.OBJECT
        inner = rest
    return Shape.OBJECT


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
        segments = split_path(path, check, prop)
        if not segments:
            continue  # "$": the whole record
        head, rest = segments[0], segments[1:]
        if head in RECORD_STRINGS:
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
                + ", ".join(sorted(RECORD_STRINGS | {"dynamodb"})),
            )
        if rest:
            _check_dynamodb_field(path, rest, events, view_type, key_attributes, check, prop)


def _check_dynamodb_field(
    path: str,
    rest: list[str],
    events: frozenset[str],
    view_type: str | None,
    key_attributes: tuple[str, ...] | None,
    check: Checker,
    prop: str,
) -> None:
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
    elif field in _DYNAMODB_SCALARS:
        if inner:
            check.fail(prop, path, f"$.dynamodb.{field} is a scalar and has no fields")
    else:
        check.fail(
            prop,
            path,
            "is not a field of $.dynamodb; fields are "
            + ", ".join(sorted(_DYNAMODB_FIELDS | set(_IMAGE_EVENTS))),
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
