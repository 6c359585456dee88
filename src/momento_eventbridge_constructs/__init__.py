"""AWS CDK constructs that keep Momento in step with a DynamoDB table.

A DynamoDB stream feeds EventBridge pipes; each pipe calls the Momento HTTP API through an API
destination: put the item into a cache, evict it, or announce the change on a topic.
"""

from importlib.metadata import version as _version

from .api_destination import MomentoApiDestination
from .connection import MomentoConnection
from .endpoint import MomentoEndpoint
from .errors import MomentoConstructError
from .operation import MomentoOperation
from .payload import MomentoPayload
from .pipe import DynamoToMomentoPipe

__all__ = [
    "DynamoToMomentoPipe",
    "MomentoApiDestination",
    "MomentoConnection",
    "MomentoConstructError",
    "MomentoEndpoint",
    "MomentoOperation",
    "MomentoPayload",
]

__version__ = _version("momento-eventbridge-constructs")
