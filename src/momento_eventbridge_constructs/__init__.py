"""AWS CDK constructs that keep Momento in step with a DynamoDB table.

A DynamoDB stream feeds EventBridge pipes; each pipe calls the Momento HTTP API through an API
destination: put the item into a cache, evict it, or announce the change on a topic.

The public names are imported on first use, so ``momento_eventbridge_constructs.local`` (and
its command line) starts without loading aws-cdk-lib. The namespace holds nothing else: the
submodules end with ``publication.publish()``, and this package, which cannot, keeps only
``__all__``, ``__version__`` and the lazy ``__getattr__``.
"""

from typing import TYPE_CHECKING

from ._namespace import installed_version, lazy_exports

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

__version__ = installed_version("momento-eventbridge-constructs")

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
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
    },
)

del TYPE_CHECKING, installed_version, lazy_exports
