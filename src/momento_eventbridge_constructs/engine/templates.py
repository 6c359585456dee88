"""EventBridge Pipes input templates and HTTP parameters, rendered locally.

Rules implemented, from
https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-input-transformation.html:

* ``<$.path>`` placeholders read the record; ``<aws.pipes.*>`` placeholders are the reserved
  variables, ``<aws.pipes.enrichment-arn>`` included.
* A placeholder written as a bare value inside a JSON object or array (a template whose first
  non-blank character is ``{`` or ``[``) is replaced by typed JSON: a string is quoted and
  escaped, an object or array is inlined, numbers, booleans and null are written as they are.
  The page's advice, "wrap the source body data input transformer in JSON", relies on this:
  ``{"item": <$.dynamodb.NewImage>}`` is valid JSON.
* A placeholder inside a JSON string literal, or anywhere in a free-text template, is inserted
  unescaped: strings as they are, numbers/booleans/null as JSON, and an object or array
  *quote-stripped* (below). The page tells not to "put quotes around variables that refer to
  JSON objects or arrays"; the quote-stripped form,
  ``"Body is <$.body>"`` -> ``"Body is {key: value}"``, is how this module reads that advice
  (the exact example is unverified against the page's current text).
* A whole template that is one placeholder renders a string, number, boolean or null as JSON
  (``<$.eventName>`` -> ``"INSERT"``), and an object or array quote-stripped. The page
  ("Implicit body data parsing"): with the body path alone, ``{"key": "value"}`` "will become
  ``"{key: value}"``", which makes targets that need valid JSON fail; a JSON string would be
  valid JSON, so the surrounding quotes there are read as quotation and none are added:
  ``<$.dynamodb.NewImage>`` -> ``{Location: {S: New York}, ...}``, not valid JSON. Whether
  DynamoDB stream records get this treatment is not confirmed on AWS.
* Quote-stripped means: every key and string value written without quotes and without JSON
  escaping, ``: `` between a key and its value, ``, `` between members, nested objects and
  arrays written the same way, numbers/booleans/null as JSON. So ``{"a": {"S": "x y"}}``
  becomes ``{a: {S: x y}}``. The page shows ``{key: value}`` for a one-member object; the
  exact spacing and the handling of quotes, backslashes and nesting are not documented.
* A path that does not exist in the record is an error (:class:`MissingPathError`): the
  behaviour on AWS is undocumented, so the local runtime fails the record loudly instead of
  guessing.
* ``HttpParameters`` values that are a whole JSON path (``$.dynamodb.Keys.Location.S``) are
  resolved against the original record (strings as they are, other values as compact JSON);
  anything else is static.
* ``<aws.pipes.enrichment-arn>`` is :attr:`PipeContext.enrichment_arn`, an empty string when
  the pipe has no enrichment (the runtime never runs one); AWS does not document its value
  for a pipe without enrichment.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from publication import publish

from .._template_syntax import RESERVED_VARIABLES

__all__ = [
    "MissingPathError",
    "PipeContext",
    "TemplateError",
    "is_json_path",
    "render_input_template",
    "render_parameter",
    "resolve_path",
]

_PLACEHOLDER = re.compile(r"<(\$[^<>\s]*|aws\.pipes\.[a-z.\-]+)>")
_SEGMENT = re.compile(r"\.([A-Za-z0-9_\-/@:]+|\*)|\[(\d+|\*)\]|\['([^']*)'\]")


class TemplateError(ValueError):
    """A template or JSON path the local runtime cannot render."""


class MissingPathError(TemplateError):
    """A JSON path that does not exist in the record being rendered."""

    def __init__(self, path: str) -> None:
        super().__init__(f"JSON path {path} does not exist in the record")
        self.path = path


@dataclass(frozen=True)
class PipeContext:
    """The values of the reserved variables for one record."""

    pipe_arn: str = ""
    pipe_name: str = ""
    source_arn: str = ""
    target_arn: str = ""
    # Empty when the pipe has no enrichment; a field so a runtime that runs enrichments can fill it.
    enrichment_arn: str = ""
    ingestion_time: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def is_json_path(value: str) -> bool:
    """Whether an HTTP parameter value is a whole JSON path (``$.a.b``)."""
    return value == "$" or (value.startswith("$") and _parse_path(value) is not None)


def _parse_path(path: str) -> list[str | int] | None:
    """Split ``$.a.b[0]`` into segments; ``"*"`` is a wildcard. ``None`` if not a path."""
    if not path.startswith("$"):
        return None
    segments: list[str | int] = []
    position = 1
    while position < len(path):
        match = _SEGMENT.match(path, position)
        if match is None:
            return None
        name, index, quoted = match.groups()
        if name is not None:
            segments.append(name)
        elif quoted is not None:
            segments.append(quoted)
        elif index == "*":
            segments.append("*")
        else:
            segments.append(int(index))
        position = match.end()
    return segments


def resolve_path(record: Any, path: str) -> Any:
    """Read a JSON path from ``record``; raise :class:`MissingPathError` when it is absent.

    A wildcard (``*`` or ``[*]``) collects the matches into a list.
    """
    segments = _parse_path(path)
    if segments is None:
        raise TemplateError(f"unsupported JSON path {path!r}")
    values = [record]
    wildcard = False
    for segment in segments:
        next_values: list[Any] = []
        for value in values:
            if segment == "*":
                wildcard = True
                if isinstance(value, Mapping):
                    next_values.extend(value.values())
                elif isinstance(value, list):
                    next_values.extend(value)
            elif isinstance(segment, int):
                if isinstance(value, list) and 0 <= segment < len(value):
                    next_values.append(value[segment])
            elif isinstance(value, Mapping) and segment in value:
                next_values.append(value[segment])
        values = next_values
        if not values and not wildcard:
            raise MissingPathError(path)
    if wildcard:
        return values
    return values[0]


def _reserved_value(name: str, record: Any, context: PipeContext) -> Any:
    if name == "aws.pipes.pipe-arn":
        return context.pipe_arn
    if name == "aws.pipes.pipe-name":
        return context.pipe_name
    if name == "aws.pipes.source-arn":
        return context.source_arn
    if name == "aws.pipes.enrichment-arn":
        return context.enrichment_arn
    if name == "aws.pipes.target-arn":
        return context.target_arn
    if name == "aws.pipes.event.ingestion-time":
        return context.ingestion_time
    if name == "aws.pipes.event":
        # The event as received: inserted as escaped JSON text when bare.
        return json.dumps(record, separators=(",", ":"))
    if name == "aws.pipes.event.json":
        return record
    raise TemplateError(f"unknown reserved variable <{name}>")


def _value_of(expression: str, record: Any, context: PipeContext) -> Any:
    if expression.startswith("$"):
        return resolve_path(record, expression)
    if expression in RESERVED_VARIABLES:
        return _reserved_value(expression, record, context)
    raise TemplateError(f"unknown placeholder <{expression}>")


def _compact_json_text(value: Any) -> str:
    """An HTTP parameter value: strings as they are, anything else as compact JSON."""
    if isinstance(value, str):
        return value
    return json.dumps(value, separators=(",", ":"))


def _quote_stripped(value: Any) -> str:
    """Text without JSON quoting: ``{"a": {"S": "x y"}}`` -> ``{a: {S: x y}}``."""
    if isinstance(value, Mapping):
        members = (f"{key}: {_quote_stripped(item)}" for key, item in value.items())
        return "{" + ", ".join(members) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_quote_stripped(item) for item in value) + "]"
    if isinstance(value, str):
        return value
    return json.dumps(value)


def _typed_json(expression: str, value: Any) -> str:
    """A bare placeholder in a JSON template: the value as JSON."""
    if expression == "aws.pipes.event.json":
        return json.dumps(value, separators=(",", ":"))
    return json.dumps(value, ensure_ascii=False)


def _string_literal_mask(template: str, placeholders: Sequence[re.Match[str]]) -> list[bool]:
    """For each placeholder, whether it sits inside a JSON string literal of the template."""
    starts = {match.start(): index for index, match in enumerate(placeholders)}
    ends = {match.start(): match.end() for match in placeholders}
    inside = [False] * len(placeholders)
    in_string = False
    position = 0
    while position < len(template):
        if position in starts:
            inside[starts[position]] = in_string
            position = ends[position]
            continue
        char = template[position]
        if in_string and char == "\\":
            position += 2
            continue
        if char == '"':
            in_string = not in_string
        position += 1
    return inside


def render_input_template(template: str | None, record: Any, context: PipeContext) -> str:
    """Render a Pipes ``InputTemplate`` for one record; no template -> the record as JSON."""
    if template is None:
        return json.dumps(record, separators=(",", ":"))
    placeholders = list(_PLACEHOLDER.finditer(template))
    stripped = template.strip()
    if len(placeholders) == 1 and placeholders[0].group(0) == stripped:
        return _render_single(template, placeholders[0], record, context)
    json_mode = stripped[:1] in ("{", "[")
    inside = _string_literal_mask(template, placeholders) if json_mode else []
    pieces: list[str] = []
    last = 0
    for index, match in enumerate(placeholders):
        pieces.append(template[last : match.start()])
        value = _value_of(match.group(1), record, context)
        if json_mode and not inside[index]:
            pieces.append(_typed_json(match.group(1), value))
        else:
            pieces.append(_quote_stripped(value))
        last = match.end()
    pieces.append(template[last:])
    return "".join(pieces)


def _render_single(template: str, match: re.Match[str], record: Any, context: PipeContext) -> str:
    """A template that is one placeholder: scalars as JSON, objects and arrays quote-stripped."""
    value = _value_of(match.group(1), record, context)
    if isinstance(value, (Mapping, list)):
        text = _quote_stripped(value)
    else:
        text = _typed_json(match.group(1), value)
    return template[: match.start()] + text + template[match.end() :]


def render_parameter(value: str, record: Any) -> str:
    """Render one query-string or header parameter value.

    A whole JSON path reads the original record (strings as they are, other values as JSON);
    anything else is a static value.
    """
    if not is_json_path(value):
        return value
    return _compact_json_text(resolve_path(record, value))


publish()
