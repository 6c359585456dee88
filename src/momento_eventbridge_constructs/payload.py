"""Bodies of the Momento calls, built as EventBridge Pipes input templates.

A template is checked twice: its syntax when it is built (here), and its JSON paths against the
events and stream view of the pipe that uses it (by
:class:`~momento_eventbridge_constructs.DynamoToMomentoPipe` or
:class:`~momento_eventbridge_constructs.DynamoToMomentoSync`). Both checks are pure Python.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from publication import publish

from ._stream_record import ATTRIBUTE_TYPES
from ._template_syntax import KeyInfo, check_template_syntax
from ._validation import Checker
from .errors import MomentoConstructError

__all__ = ["MomentoPayload"]


class MomentoPayload:
    """The body of a ``CACHE_SET`` or ``TOPIC_PUBLISH`` call.

    Build one with a static factory; the pipe checks every JSON path it reads against the
    events it lets through, so a body that would read ``NewImage`` on a ``REMOVE`` record is an
    error at construct time instead of a failed call at run time.

    Every body places objects and arrays (an image, the keys, a map or list attribute) as
    values inside a JSON object, the form the Pipes input transformation page documents as
    safe: a template that is only an object path, or an object inside a string, reaches the
    target with its inner quotes removed. Placeholders written as bare values are rendered as
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
        """The item's new image as DynamoDB JSON, under ``item``.

        A consumer that reads the cache gets ``{"item": {"Location": {"S": "New York"},
        "MaxTemp": {"N": "80"}, ...}}``: one JSON object whose ``item`` is the image in the
        stream's attribute-value form (``boto3.dynamodb.types.TypeDeserializer`` turns it into
        plain values). The image is a value under a key because Pipes strips the inner quotes
        of a template that is only an object path. Valid for ``INSERT`` and ``MODIFY`` on a
        stream that records new images. The default body of ``CACHE_SET``.
        """
        return MomentoPayload("new_image", '{"item": <$.dynamodb.NewImage>}')

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
        as ``<aws.pipes.pipe-name>``. At most 8192 characters. Rejected, because Pipes delivers
        an object or array without its inner quotes there (Pipes input transformation page):
        a template that is only a path to an object or array (``<$.dynamodb.NewImage>``), and
        an object or array inside a string (``"item <$.dynamodb.Keys>"``). Place them as values
        instead: ``{"item": <$.dynamodb.NewImage>}``. Scalars (``<$.eventName>``,
        ``<$.dynamodb.Keys.id.S>``) may stand anywhere; inside a string they are inserted as
        they are, without JSON escaping (observed, not documented), so a value holding ``"``
        breaks the JSON around it: prefer bare placeholders, which Pipes renders as typed JSON.
        """
        check = Checker("MomentoPayload.from_template")
        if not isinstance(template, str) or not template.strip():
            check.fail("template", template, "must be a non-empty string")
        check_template_syntax(template, check, "template")
        return MomentoPayload("template", template)

    def render(self, key: KeyInfo | None) -> str:
        """The Pipes input template for a pipe whose item key is ``key``.

        ``key`` may be None only for bodies that do not name the key attribute.
        """
        if self._kind == "template":
            return self._template
        fields = self.fields([key] if key is not None else [])
        return "{" + ", ".join(f"{json.dumps(name)}: <$.{path}>" for name, path in fields) + "}"

    def fields(self, keys: Sequence[KeyInfo]) -> list[tuple[str, str]]:
        """The body as (JSON field, record path) pairs, e.g. ``("item", "dynamodb.NewImage")``.

        Both renderings derive from it: the pipe's input template and the sync's JSONata.
        ``keys`` are the item's key attributes (``from_attributes`` reads them from ``Keys``).
        Not defined for ``from_template`` bodies.
        """
        if self._kind == "new_image":
            return [("item", "dynamodb.NewImage")]
        if self._kind == "change_notice":
            return [
                ("eventName", "eventName"),
                ("keys", "dynamodb.Keys"),
                ("sequenceNumber", "dynamodb.SequenceNumber"),
            ]
        if self._kind != "attributes":
            raise MomentoConstructError(
                "value",
                repr(self),
                "a raw Pipes input template has no JSONata form; build the body with "
                "new_image(), from_attributes() or change_notice()",
            )
        if not keys:
            raise MomentoConstructError(
                "key_attribute",
                "None",
                "is required for MomentoPayload.from_attributes, which includes the key",
            )
        return self._attribute_fields(keys)

    def _attribute_fields(self, keys: Sequence[KeyInfo]) -> list[tuple[str, str]]:
        by_name = {key.attribute: key for key in keys}
        fields = [(k.attribute, f"dynamodb.Keys.{k.attribute}.{k.type_code}") for k in keys]
        for name, type_code in self._attributes:
            key = by_name.get(name)
            if key is None:
                fields.append((name, f"dynamodb.NewImage.{name}.{type_code}"))
            elif type_code != key.type_code:
                raise MomentoConstructError(
                    f"value attributes[{name!r}]",
                    repr(type_code),
                    f"the key attribute {name!r} has type {key.type_code!r}",
                )
        return fields

    @property
    def needs_key(self) -> bool:
        """Whether rendering needs the key attribute."""
        return self._kind == "attributes"


publish()
