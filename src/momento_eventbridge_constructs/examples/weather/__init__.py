"""The weather-stats example: a DynamoDB table of weather readings kept in a Momento cache.

Items are put into the cache on ``INSERT`` and ``MODIFY``, evicted on ``REMOVE`` and every change
is announced on a Momento topic: in ``WeatherStack`` through three EventBridge pipes, in
``WeatherSyncStack`` through one pipe and a state machine that applies changes in stream order
(``DynamoToMomentoSync``). Synthesize both without an AWS account (into ``$CDK_OUTDIR``, else
``./cdk.out``)::

    python -m momento_eventbridge_constructs.examples.weather
    cdk --app "python -m momento_eventbridge_constructs.examples.weather" synth

or use the stacks in an app of your own::

    from momento_eventbridge_constructs.examples.weather import WeatherStack, WeatherSyncStack

Context (``-c name=value``): ``api_key_secret_name`` (default ``momento-eventbridge-api-key``),
``momento_endpoint`` (default: Momento's cell for ``region``), ``region`` (default:
``CDK_DEFAULT_REGION``, else ``us-west-2``).
"""

from __future__ import annotations

from publication import publish

from ..._namespace import attach_submodules
from .app import STACKS, WeatherStackClass, build_app
from .pipes import WeatherDestinations, add_weather_table
from .stacks import WeatherStack, WeatherSyncStack
from .table import (
    CACHE_NAME,
    DEFAULT_REGION,
    DEFAULT_SECRET_NAME,
    KEY_ATTRIBUTE,
    TOPIC_NAME,
    weather_table,
)

__all__ = [
    "CACHE_NAME",
    "DEFAULT_REGION",
    "DEFAULT_SECRET_NAME",
    "KEY_ATTRIBUTE",
    "STACKS",
    "TOPIC_NAME",
    "WeatherDestinations",
    "WeatherStack",
    "WeatherStackClass",
    "WeatherSyncStack",
    "add_weather_table",
    "build_app",
    "weather_table",
]

publish()
attach_submodules(__name__)
