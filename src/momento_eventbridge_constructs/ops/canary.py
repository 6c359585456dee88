"""The canary items ``verify`` writes, and how it recognises what the stack made of them.

A canary's key holds a random token behind a prefix no real item uses, and it is written
with a condition that the key is free, so it never overwrites data. It carries every
attribute the stack's bodies and TTL read, with values that change from one version to the
next. Expected bodies are rendered with markers in place of what only the real stream record
knows (event ID, sequence number, creation time, size); a marker matches any value.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from publication import publish

from .._asl import every_state
from .definitions import StackDefinitions, TableDefinition

__all__ = [
    "CANARY_ATTRIBUTE",
    "CANARY_PREFIX",
    "RESERVED_CHARACTERS",
    "Canary",
    "TtlSource",
    "body_matches",
    "markers",
    "read_attributes",
    "ttl_sources",
]

CANARY_PREFIX = "momento-eventbridge-constructs-canary-"
CANARY_ATTRIBUTE = "momentoEventbridgeConstructsCanary"
# Characters a query value must percent-encode (RFC 3986 reserved, space, '%', non-ASCII).
RESERVED_CHARACTERS = " /?#&+=%é"
_CANARY_TTL_SECONDS = 600
# `NewImage.NAME.TYPE` in a Pipes JSON path, `NewImage`.`NAME`.`TYPE` in the sync's JSONata.
_PIPE_READ = re.compile(r"NewImage\.([A-Za-z0-9_\-]+)\.(BOOL|NULL|SS|NS|BS|S|N|B|M|L)\b")
_SYNC_READ = re.compile(r"`NewImage`\.`([^`]+)`\.`(BOOL|NULL|SS|NS|BS|S|N|B|M|L)`")


@dataclass(frozen=True)
class TtlSource:
    """Where one cache path takes the TTL from."""

    source: str
    fixed_seconds: int | None
    attribute: str | None
    epoch: bool


def ttl_sources(definitions: StackDefinitions, table_id: str) -> list[TtlSource]:
    """The TTL rule of every set pipe and sync of a table."""
    found: list[TtlSource] = []
    for pipe in definitions.pipes_of(table_id, "set"):
        value = pipe.query.get("ttl_seconds", "")
        match = _PIPE_READ.search(value)
        if match is not None:
            found.append(TtlSource(pipe.path, None, match.group(1), False))
        elif value.isdigit():
            found.append(TtlSource(pipe.path, int(value), None, False))
    for sync in definitions.syncs_of(table_id):
        expression = _sync_ttl_expression(sync.definition)
        match = _SYNC_READ.search(expression)
        fixed = re.fullmatch(r"\{%\s*\$string\((\d+)\)\s*%\}", expression.strip())
        if match is not None:
            epoch = "Execution.StartTime" in expression
            found.append(TtlSource(sync.path, None, match.group(1), epoch))
        elif fixed is not None:
            found.append(TtlSource(sync.path, int(fixed.group(1)), None, False))
    return found


def _sync_ttl_expression(definition: Mapping[str, Any]) -> str:
    for _, state in every_state(definition):
        query = (state.get("Arguments") or {}).get("QueryParameters") or {}
        if "ttl_seconds" in query:
            return str(query["ttl_seconds"])
    return ""


def read_attributes(definitions: StackDefinitions, table_id: str) -> dict[str, str]:
    """Attribute name -> type of every new-image attribute the table's paths read."""
    texts: list[tuple[re.Pattern[str], str]] = []
    for pipe in definitions.pipes:
        if pipe.table_id == table_id:
            parts = [pipe.input_template or "", *pipe.query.values(), *pipe.headers.values()]
            texts.append((_PIPE_READ, " ".join(parts)))
    for sync in definitions.syncs_of(table_id):
        texts.append((_SYNC_READ, json.dumps(sync.definition)))
    found: dict[str, str] = {}
    for pattern, text in texts:
        for name, type_code in pattern.findall(text):
            found.setdefault(name, type_code)
    return found


def _value(type_code: str, version: int) -> dict[str, Any]:
    text = f"canary v{version}"
    values: dict[str, Any] = {
        "S": {"S": text},
        "N": {"N": str(version)},
        "B": {"B": text.encode()},
        "BOOL": {"BOOL": version % 2 == 1},
        "NULL": {"NULL": True},
        "M": {"M": {"version": {"N": str(version)}}},
        "L": {"L": [{"S": text}]},
        "SS": {"SS": [text]},
        "NS": {"NS": [str(version)]},
        "BS": {"BS": [text.encode()]},
    }
    return dict(values[type_code])


@dataclass(frozen=True)
class Canary:
    """One canary item of a table: its key and its versions."""

    table: TableDefinition
    keys: Mapping[str, Any]
    attributes: Mapping[str, str]
    ttl: tuple[TtlSource, ...]

    @classmethod
    def create(
        cls,
        definitions: StackDefinitions,
        table_id: str,
        *,
        reserved_characters: bool = False,
        token: str | None = None,
    ) -> Canary:
        """A canary for ``table_id`` with a fresh token (and, if asked, a partition key full
        of characters a URL query must encode)."""
        table = definitions.tables[table_id]
        token = token or secrets.token_hex(8)
        keys: dict[str, Any] = {}
        for index, (name, type_code) in enumerate(table.keys):
            text = CANARY_PREFIX + token
            if reserved_characters and index == 0:
                text = f"{CANARY_PREFIX}{RESERVED_CHARACTERS}{token}"
            if type_code == "N":
                # Negative, 20 random digits: no counter or timestamp key looks like this.
                keys[name] = {"N": "-7" + "".join(secrets.choice("0123456789") for _ in range(20))}
            elif type_code == "B":
                keys[name] = {"B": text.encode()}
            else:
                keys[name] = {"S": text}
        return cls(
            table,
            keys,
            read_attributes(definitions, table_id),
            tuple(ttl_sources(definitions, table_id)),
        )

    @property
    def can_hold_reserved_characters(self) -> bool:
        """Whether the partition key is a string (the only kind that can hold them)."""
        return self.table.keys[0][1] == "S"

    def item(self, version: int, ttl_seconds: int = _CANARY_TTL_SECONDS) -> dict[str, Any]:
        """Version ``version`` of the item; a TTL attribute holds ``ttl_seconds`` from now."""
        item: dict[str, Any] = {}
        for name, type_code in self.attributes.items():
            if name not in self.keys:
                item[name] = _value(type_code, version)
        for source in self.ttl:
            if source.attribute is not None:
                # Epoch: rounded up, so at least ttl_seconds are left.
                seconds = math.ceil(time.time()) + ttl_seconds if source.epoch else ttl_seconds
                item[source.attribute] = {"N": str(seconds)}
        item[CANARY_ATTRIBUTE] = {"S": f"v{version}"}
        item.update(self.keys)
        return item


def markers() -> dict[str, str]:
    """Stand-ins for the parts of a record only the real stream knows."""
    token = secrets.token_hex(4)
    return {
        name: f"@@verify-{name}-{token}@@"
        for name in ("event_id", "sequence_number", "created", "size")
    }


_MARKER = re.compile(r"@@verify-[a-z_]+-[0-9a-f]+@@")


def body_matches(actual: bytes, expected: bytes) -> bool:
    """Whether a body Momento holds is the one rendered (markers match any value)."""
    expected_text = expected.decode("utf-8", errors="replace")
    if not _MARKER.search(expected_text):
        return actual == expected
    actual_text = actual.decode("utf-8", errors="replace")
    try:
        return _json_matches(json.loads(actual_text), json.loads(expected_text))
    except ValueError:
        return _text_matches(actual_text, expected_text)


def _json_matches(actual: Any, expected: Any) -> bool:
    if isinstance(expected, str) and _MARKER.search(expected):
        if _MARKER.fullmatch(expected):
            return True
        return isinstance(actual, str) and _text_matches(actual, expected)
    if isinstance(expected, dict):
        return (
            isinstance(actual, dict)
            and list(actual) == list(expected)
            and all(_json_matches(actual[k], v) for k, v in expected.items())
        )
    if isinstance(expected, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(expected)
            and all(_json_matches(a, e) for a, e in zip(actual, expected, strict=True))
        )
    return bool(actual == expected) and type(actual) is type(expected)


def _text_matches(actual: str, expected: str) -> bool:
    pieces = _MARKER.split(expected)
    pattern = ".*?".join(re.escape(piece) for piece in pieces)
    return re.fullmatch(pattern, actual, flags=re.DOTALL) is not None


publish()
