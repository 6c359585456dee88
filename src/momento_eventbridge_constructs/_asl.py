"""Reading Amazon States Language documents (pure Python: the local runtime uses it too)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def every_state(definition: Mapping[str, Any]) -> list[tuple[str, Mapping[str, Any]]]:
    """Every state of a definition by name, those of Map iterations included."""
    found: list[tuple[str, Mapping[str, Any]]] = []
    for name, state in (definition.get("States") or {}).items():
        found.append((name, state))
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if isinstance(processor, Mapping):
            found.extend(every_state(processor))
    return found
