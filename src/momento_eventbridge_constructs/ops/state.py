"""The backfill's state file: where each parallel scan segment stands.

After every page of a segment is written, the page's ``LastEvaluatedKey`` is saved (the file
is replaced atomically), so an interrupted backfill resumes each segment after its last
finished page: at most one page per segment is written twice, which a cache set allows. The
split into segments depends on ``TotalSegments``
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Scan.html#Scan.ParallelScan),
so a resumed run must use the same ``--segments``.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from publication import publish

from ..cli.status import CommandError

__all__ = ["ScanState"]

_VERSION = 1
_BINARY = "$base64"


def _encode(value: Any) -> Any:
    """Attribute values as JSON (binary values as ``{"$base64": ...}``)."""
    if isinstance(value, (bytes, bytearray)):
        return {_BINARY: base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, Mapping):
        return {key: _encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [_encode(item) for item in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, Mapping):
        if set(value) == {_BINARY}:
            return base64.b64decode(value[_BINARY])
        return {key: _decode(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item) for item in value]
    return value


class ScanState:
    """Positions of the scan segments of one table, kept in a file (or only in memory).

    Args:
        path: the state file (``None``: nothing is saved).
        stack, table: what is being backfilled; a file written for another table or stack
            is refused.
        segments: the number of parallel scan segments.
    """

    def __init__(self, path: Path | None, *, stack: str, table: str, segments: int) -> None:
        self.path = path
        self._identity = {"stack": stack, "table": table, "segments": segments}
        self.segments = segments
        self._positions: dict[int, Any] = {}
        self._done: set[int] = set()
        self._lock = threading.Lock()
        self.resumed = False
        if path is not None and path.exists():
            self._load(path)

    def _load(self, path: Path) -> None:
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise CommandError(f"cannot read the state file {path}: {error}") from error
        if not isinstance(saved, dict) or saved.get("version") != _VERSION:
            raise CommandError(f"{path} is not a backfill state file of this version")
        for name, expected in self._identity.items():
            if saved.get(name) != expected:
                raise CommandError(
                    f"the state file {path} was written for {name} {saved.get(name)!r}, not "
                    f"{expected!r}: use the same options, or another --state-file"
                )
        self._positions = {int(k): _decode(v) for k, v in saved.get("positions", {}).items()}
        self._done = {int(segment) for segment in saved.get("done", [])}
        self.resumed = True

    def start_key(self, segment: int) -> Mapping[str, Any] | None:
        """The ``ExclusiveStartKey`` to resume ``segment`` from (``None``: its start)."""
        with self._lock:
            position = self._positions.get(segment)
            return None if position is None else dict(position)

    def is_done(self, segment: int) -> bool:
        """Whether every page of ``segment`` has been written."""
        with self._lock:
            return segment in self._done

    @property
    def done_count(self) -> int:
        """How many segments are finished."""
        with self._lock:
            return len(self._done)

    def advance(self, segment: int, last_key: Mapping[str, Any] | None) -> None:
        """Record a finished page: resume after ``last_key`` (``None``: the segment is done)."""
        with self._lock:
            if last_key is None:
                self._done.add(segment)
                self._positions.pop(segment, None)
            else:
                self._positions[segment] = dict(last_key)
            self._save()

    def _save(self) -> None:
        if self.path is None:
            return
        document = {
            "version": _VERSION,
            **self._identity,
            "positions": {str(k): _encode(v) for k, v in sorted(self._positions.items())},
            "done": sorted(self._done),
        }
        temporary = self.path.with_name(self.path.name + ".tmp")
        temporary.write_text(json.dumps(document, indent=1), encoding="utf-8")
        os.replace(temporary, self.path)


publish()
