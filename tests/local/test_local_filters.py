"""Filters see the stream record without the fields the Pipes poller adds.

https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-event-filtering.html lists
the fields added by the poller, which filters cannot match: awsRegion, eventSource,
eventSourceARN, eventVersion, eventID, eventName, invokeIdentityArn, eventSourceKey. eventName
is part of the DynamoDB stream record itself and Momento's published demo filters on it, so it
stays visible. The input template still sees the whole record.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from momento_eventbridge_constructs.engine.patterns import compile_pattern, matches_any
from momento_eventbridge_constructs.engine.records import filter_view, target_view
from momento_eventbridge_constructs.local import LocalPipeline

CACHE = "momento-eventbridge-cache"
RECORDS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "stream_records.json").read_text()
)
POLLER_PATTERNS = {
    "awsRegion": {"awsRegion": ["us-west-2"]},
    "eventSourceARN": {"eventSourceARN": [{"prefix": "arn:aws:dynamodb:"}]},
    "eventSource": {"eventSource": ["aws:dynamodb"]},
    "eventVersion": {"eventVersion": ["1.1"]},
    "eventID": {"eventID": [{"exists": True}]},
}
RECORD_PATTERNS = {
    "eventName": {"eventName": ["INSERT", "MODIFY", "REMOVE"]},
    "Keys": {"dynamodb": {"Keys": {"Location": {"S": [{"exists": True}]}}}},
}


@pytest.mark.parametrize("field", sorted(POLLER_PATTERNS))
def test_a_pattern_on_a_poller_field_never_matches(field: str) -> None:
    pattern = compile_pattern(json.dumps(POLLER_PATTERNS[field]))
    assert all(field in record for record in RECORDS)  # the stream does carry it
    assert not any(matches_any([pattern], filter_view(record)) for record in RECORDS)


@pytest.mark.parametrize("field", sorted(RECORD_PATTERNS))
def test_a_pattern_on_the_record_itself_matches(field: str) -> None:
    pattern = compile_pattern(json.dumps(RECORD_PATTERNS[field]))
    assert all(matches_any([pattern], filter_view(record)) for record in RECORDS)


def test_the_target_view_keeps_the_poller_fields() -> None:
    raw = {k: v for k, v in RECORDS[0].items() if k not in ("awsRegion", "eventSourceARN")}
    view = target_view(raw, "eu-west-1", "arn:aws:dynamodb:eu-west-1:1:table/t/stream/s")
    assert view["awsRegion"] == "eu-west-1"
    assert view["eventSourceARN"] == "arn:aws:dynamodb:eu-west-1:1:table/t/stream/s"
    assert view["eventID"] == RECORDS[0]["eventID"]


FILTER_PIPES = (
    ("RegionFilter", {"awsRegion": [{"exists": True}]}),
    ("SourceArnFilter", {"eventSourceARN": [{"prefix": "arn:"}]}),
    ("EventNameFilter", {"eventName": ["INSERT"]}),
    ("NewImageFilter", {"dynamodb": {"NewImage": {"MaxTemp": {"N": ["80"]}}}}),
)


@pytest.fixture(scope="module")
def filter_assembly(
    tmp_path_factory: pytest.TempPathFactory, weather_app_builder: Any
) -> Iterator[Path]:
    options = weather_app_builder.Options(poison_pipe=False, filter_pipes=FILTER_PIPES)
    yield weather_app_builder(tmp_path_factory.mktemp("filters") / "cdk.out", options)


@pytest.mark.slow
def test_pipes_filter_on_the_record_and_render_the_whole_record(
    filter_assembly: Path, put_weather: Any
) -> None:
    with LocalPipeline.from_cloud_assembly(filter_assembly, momento="local") as lp:
        put_weather(lp.dynamodb, lp.table_name("WeatherStack/WeatherTable"), "Lagos", 80)
        put_weather(lp.dynamodb, lp.table_name("WeatherStack/WeatherTable"), "Lagos", 81)
        lp.drain(timeout=15)
        received = {
            name: [json.loads(m) for m in lp.momento.messages(CACHE, name)]
            for name, _ in FILTER_PIPES
        }
        stream_arn = lp.pipe("EventNameFilter").source_arn
        region = lp.aws.region
        filtered = {e.pipe for e in lp.events() if e.outcome == "filtered"}
    assert received["RegionFilter"] == [] and received["SourceArnFilter"] == []
    assert {lp.pipe("RegionFilter").name, lp.pipe("SourceArnFilter").name} <= filtered
    # The INSERT (MaxTemp 80) passes both record filters; the MODIFY (81) passes neither.
    for name in ("EventNameFilter", "NewImageFilter"):
        (message,) = received[name]
        assert message["key"] == "Lagos"
        # ...and the template reads the poller's fields all the same.
        assert message["region"] == region
        assert message["source"] == stream_arn
        assert message["eventID"]
