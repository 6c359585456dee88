"""AWS CDK constructs that keep Momento in step with a DynamoDB table.

A DynamoDB stream feeds EventBridge pipes; each pipe calls the Momento HTTP API through an API
destination: put the item into a cache, evict it, or announce the change on a topic.

The public names are imported on first use, so ``momento_eventbridge_constructs.local`` (and
its command line) starts without loading aws-cdk-lib.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as _version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api_destination import MomentoApiDestination
    from .connection import MomentoConnection
    from .endpoint import MomentoEndpoint
    from .enums import LogLevel, StartingPosition, StreamEvent
    from .errors import MomentoConstructError
    from .operation import MomentoOperation
    from .payload import MomentoPayload
    from .pipe import DynamoToMomentoPipe
    from .sync import DynamoToMomentoSync

_EXPORTS: Mapping[str, str] = {
    "DynamoToMomentoPipe": ".pipe",
    "DynamoToMomentoSync": ".sync",
    "LogLevel": ".enums",
    "StartingPosition": ".enums",
    "StreamEvent": ".enums",
    "MomentoApiDestination": ".api_destination",
    "MomentoConnection": ".connection",
    "MomentoConstructError": ".errors",
    "MomentoEndpoint": ".endpoint",
    "MomentoOperation": ".operation",
    "MomentoPayload": ".payload",
}

__all__ = [
    "DynamoToMomentoPipe",
    "DynamoToMomentoSync",
    "LogLevel",
    "MomentoApiDestination",
    "MomentoConnection",
    "MomentoConstructError",
    "MomentoEndpoint",
    "MomentoOperation",
    "MomentoPayload",
    "StartingPosition",
    "StreamEvent",
]

try:
    __version__ = _version("momento-eventbridge-constructs")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
