"""The weather example's items, and what its set pipe and its sync put into the cache for
each: written out here, not rendered by the code under test."""

from __future__ import annotations

from typing import Any

WEATHER_CACHE = "/cache/momento-eventbridge-cache"
# Location, MaxTemp, MinTemp, ChancesOfPrecipitation, TTL (relative seconds).
WEATHER_ITEMS = [
    ("New York", "80", "61", "20", "120"),
    ("Rio de Janeiro", "91", "-3.5", "60", "3600"),
    ("A&B/C#1?x=y+z", "0", "0", "100", "1"),
]
# The set pipe's input template is a JSON object of placeholders: each ``.S`` and ``.N`` value
# (a string in the stream record) is inserted as a quoted JSON string and the template's own
# spacing stays (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-input-transformation.html).
WEATHER_PIPE_BODIES = {
    "New York": b'{"Location": "New York", "MaxTemp": "80", "MinTemp": "61", '
    b'"ChancesOfPrecipitation": "20"}',
    "Rio de Janeiro": b'{"Location": "Rio de Janeiro", "MaxTemp": "91", "MinTemp": "-3.5", '
    b'"ChancesOfPrecipitation": "60"}',
    "A&B/C#1?x=y+z": b'{"Location": "A&B/C#1?x=y+z", "MaxTemp": "0", "MinTemp": "0", '
    b'"ChancesOfPrecipitation": "100"}',
}
# The sync's body is JSONata ``$string`` of an object of the same fields: compact JSON
# (https://docs.jsonata.org/string-functions#string).
WEATHER_SYNC_BODIES = {
    "New York": b'{"Location":"New York","MaxTemp":"80","MinTemp":"61",'
    b'"ChancesOfPrecipitation":"20"}',
    "Rio de Janeiro": b'{"Location":"Rio de Janeiro","MaxTemp":"91","MinTemp":"-3.5",'
    b'"ChancesOfPrecipitation":"60"}',
    "A&B/C#1?x=y+z": b'{"Location":"A&B/C#1?x=y+z","MaxTemp":"0","MinTemp":"0",'
    b'"ChancesOfPrecipitation":"100"}',
}
# Both read the relative TTL attribute ``TTL`` as the number of seconds.
WEATHER_TTLS = {location: ttl for location, *_, ttl in WEATHER_ITEMS}
WEATHER_BODIES = {"WeatherStack": WEATHER_PIPE_BODIES, "WeatherSyncStack": WEATHER_SYNC_BODIES}


def weather_items() -> list[dict[str, Any]]:
    """The items as DynamoDB writes them."""
    return [
        {
            "Location": {"S": location},
            "MaxTemp": {"N": high},
            "MinTemp": {"N": low},
            "ChancesOfPrecipitation": {"N": rain},
            "TTL": {"N": ttl},
        }
        for location, high, low, rain, ttl in WEATHER_ITEMS
    ]
