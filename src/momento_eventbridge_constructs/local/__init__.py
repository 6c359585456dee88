"""Run the pipes of a synthesized stack locally: moto for AWS, an in-memory Momento.

Install with the ``local`` extra (``pip install 'momento-eventbridge-constructs[local]'``)::

    from momento_eventbridge_constructs.local import LocalPipeline

    with LocalPipeline.from_cloud_assembly("cdk.out") as lp:
        lp.dynamodb.put_item(TableName=lp.table_name("WeatherStack/WeatherTable"), Item=...)
        lp.drain(timeout=10)
        print(lp.momento.get("momento-eventbridge-cache", "New York"))

The Momento server only needs the standard library, as do the pattern matcher, the template
renderer and the Momento client re-exported here from :mod:`momento_eventbridge_constructs.engine`;
:class:`LocalPipeline` needs ``boto3`` and ``moto`` and is imported lazily (so this package
cannot end with ``publication.publish()``: its namespace holds these names only, as
:mod:`momento_eventbridge_constructs` does).
"""

from typing import TYPE_CHECKING

from .._namespace import lazy_exports
from ..engine.momento_client import MomentoError, MomentoHttpClient, Subscription
from ..engine.patterns import PatternError, compile_pattern, matches
from ..engine.templates import MissingPathError, PipeContext, render_input_template
from .momento_server import LocalMomentoServer

if TYPE_CHECKING:
    from .runtime import DeliveryEvent, LocalPipeline, PipeSpec

__all__ = [
    "DeliveryEvent",
    "LocalMomentoServer",
    "LocalPipeline",
    "MissingPathError",
    "MomentoError",
    "MomentoHttpClient",
    "PatternError",
    "PipeContext",
    "PipeSpec",
    "Subscription",
    "compile_pattern",
    "matches",
    "render_input_template",
]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {"DeliveryEvent": ".runtime", "LocalPipeline": ".runtime", "PipeSpec": ".runtime"},
)

del TYPE_CHECKING, lazy_exports
