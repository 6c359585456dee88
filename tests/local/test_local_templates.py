"""Input templates and HTTP parameters rendered with Pipes semantics."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from momento_eventbridge_constructs._template_syntax import RESERVED_VARIABLES
from momento_eventbridge_constructs.engine.templates import (
    MissingPathError,
    PipeContext,
    TemplateError,
    is_json_path,
    render_input_template,
    render_parameter,
    resolve_path,
)

RECORDS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "stream_records.json").read_text(encoding="utf-8")
)
INSERT, MODIFY, REMOVE = RECORDS
CONTEXT = PipeContext(
    pipe_arn="arn:aws:pipes:us-west-2:123456789012:pipe/cache-put",
    pipe_name="cache-put",
    source_arn=INSERT["eventSourceARN"],
    target_arn="arn:aws:events:us-west-2:123456789012:api-destination/put/abc",
    ingestion_time="2026-11-28T00:00:00.000Z",
)


def render(template: str | None, record: dict[str, Any] = INSERT) -> str:
    return render_input_template(template, record, CONTEXT)


def test_bare_placeholders_become_typed_json() -> None:
    body = render(
        '{"Location": <$.dynamodb.Keys.Location.S>, "MaxTemp": <$.dynamodb.NewImage.MaxTemp.N>, '
        '"Size": <$.dynamodb.SizeBytes>, "Image": <$.dynamodb.NewImage>, "Keys": <$.dynamodb.Keys>}'
    )
    assert json.loads(body) == {
        "Location": "New York",
        "MaxTemp": "80",  # N values are strings in stream records
        "Size": 96,
        "Image": INSERT["dynamodb"]["NewImage"],
        "Keys": {"Location": {"S": "New York"}},
    }


def test_strings_are_escaped() -> None:
    record = {"dynamodb": {"Keys": {"k": {"S": 'say "hi"\n\\ ünï'}}}}
    body = render('{"k": <$.dynamodb.Keys.k.S>}', record)
    assert json.loads(body) == {"k": 'say "hi"\n\\ ünï'}


# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-input-transformation.html,
# "Implicit body data parsing": with a template that is only the body path, a payload
# {"key": "value"} "will become "{key: value}" when delivered to the target", which fails
# targets that need valid JSON; the advice is to "wrap the source body data input transformer in
# JSON", e.g. {"data": <$.data>}.
SQS_LIKE = {"body": {"key": "value"}, "list": ["a", 1, True, None]}


def test_a_whole_template_object_path_loses_its_quotes() -> None:
    assert render("<$.body>", SQS_LIKE) == "{key: value}"
    assert render("<$.list>", SQS_LIKE) == "[a, 1, true, null]"
    # The DynamoDB case: the image alone is mangled...
    image = render("<$.dynamodb.NewImage>")
    assert image == (
        "{Location: {S: New York}, MaxTemp: {N: 80}, MinTemp: {N: 61}, "
        "ChancesOfPrecipitation: {N: 20}, TTL: {N: 120}}"
    )
    with pytest.raises(json.JSONDecodeError):
        json.loads(image)
    # ...and valid JSON once placed as a value under a key.
    assert json.loads(render('{"item": <$.dynamodb.NewImage>}')) == {
        "item": INSERT["dynamodb"]["NewImage"]
    }
    assert json.loads(render('{"data": <$.body>}', SQS_LIKE)) == {"data": {"key": "value"}}


def test_a_whole_template_scalar_path_is_json() -> None:
    assert render("<$.eventName>") == '"INSERT"'
    assert render(" <$.dynamodb.SizeBytes>\n") == " 96\n"
    assert render("<$.dynamodb.Keys.Location.S>") == '"New York"'


def test_nested_objects_are_quote_stripped_member_by_member() -> None:
    record = {"v": {"a": {"S": "x y"}, "b": [1, {"c": False}], "q": 'say "hi"'}}
    assert render("<$.v>", record) == '{a: {S: x y}, b: [1, {c: false}], q: say "hi"}'


def test_placeholders_inside_quotes_and_free_text_are_raw() -> None:
    assert render('{"msg": "city <$.dynamodb.Keys.Location.S>!"}') == '{"msg": "city New York!"}'
    assert render("Hello, <$.dynamodb.Keys.Location.S>") == "Hello, New York"
    assert render('{"size": "<$.dynamodb.SizeBytes> bytes"}') == '{"size": "96 bytes"}'


def test_objects_inside_strings_and_free_text_lose_their_quotes() -> None:
    # Same page: the quotes within a JSON payload are removed, so "Body is <$.body>" becomes
    # "Body is {key: value}" (this exact example is unverified against the page's text).
    assert render('"Body is <$.body>"', SQS_LIKE) == '"Body is {key: value}"'
    assert render('{"msg": "Body is <$.body>"}', SQS_LIKE) == '{"msg": "Body is {key: value}"}'
    assert render("Body is <$.body>", SQS_LIKE) == "Body is {key: value}"
    assert render("keys: <$.dynamodb.Keys>") == "keys: {Location: {S: New York}}"
    assert (
        render('["<$.list>", <$.list>]', SQS_LIKE) == '["[a, 1, true, null]", ["a", 1, true, null]]'
    )


def test_quotes_inside_strings_do_not_confuse_the_scanner() -> None:
    body = render('{"a": "x \\" y", "b": <$.eventName>, "c": "<$.eventName>"}')
    assert json.loads(body) == {"a": 'x " y', "b": "INSERT", "c": "INSERT"}


def test_the_reference_topic_template() -> None:
    template = (
        '{"eventName": <$.eventName>, "keys": <$.dynamodb.Keys>, '
        '"sequenceNumber": <$.dynamodb.SequenceNumber>}'
    )
    assert json.loads(render(template, REMOVE)) == {
        "eventName": "REMOVE",
        "keys": {"Location": {"S": "New York"}},
        "sequenceNumber": "111300000000000000003",
    }


def test_every_reserved_variable_renders() -> None:
    # The construct library's list (_template_syntax.RESERVED_VARIABLES) and the renderer agree.
    for name in RESERVED_VARIABLES:
        assert "v" in json.loads(render(f'{{"v": <{name}>}}'))


def test_enrichment_arn_is_empty_without_an_enrichment() -> None:
    # <aws.pipes.enrichment-arn> is "The ARN of the enrichment of the pipe" (input transformation
    # page, "Reserved variables"); the local runtime runs no enrichment.
    assert json.loads(render('{"e": <aws.pipes.enrichment-arn>}')) == {"e": ""}
    enriched = PipeContext(enrichment_arn="arn:aws:lambda:us-west-2:123456789012:function:enrich")
    body = render_input_template('{"e": <aws.pipes.enrichment-arn>}', INSERT, enriched)
    assert json.loads(body) == {"e": enriched.enrichment_arn}
    assert render_input_template("via <aws.pipes.enrichment-arn>", INSERT, enriched) == (
        "via " + enriched.enrichment_arn
    )


def test_reserved_variables() -> None:
    body = render(
        '{"arn": <aws.pipes.pipe-arn>, "name": <aws.pipes.pipe-name>, '
        '"source": <aws.pipes.source-arn>, "target": <aws.pipes.target-arn>, '
        '"at": <aws.pipes.event.ingestion-time>, "event": <aws.pipes.event>, '
        '"json": <aws.pipes.event.json>}'
    )
    parsed = json.loads(body)
    assert parsed["arn"] == CONTEXT.pipe_arn
    assert parsed["name"] == "cache-put"
    assert parsed["source"] == INSERT["eventSourceARN"]
    assert parsed["target"] == CONTEXT.target_arn
    assert parsed["at"] == "2026-11-28T00:00:00.000Z"
    assert json.loads(parsed["event"]) == INSERT  # escaped JSON text
    assert parsed["json"] == INSERT  # inlined object


def test_no_template_sends_the_record() -> None:
    assert json.loads(render(None)) == INSERT


def test_missing_paths_are_errors() -> None:
    with pytest.raises(MissingPathError) as caught:
        render('{"MaxTemp": <$.dynamodb.NewImage.MaxTemp.N>}', REMOVE)
    assert caught.value.path == "$.dynamodb.NewImage.MaxTemp.N"
    with pytest.raises(MissingPathError):
        render_parameter("$.dynamodb.NewImage.TTL.N", REMOVE)


def test_unknown_reserved_variable_is_an_error() -> None:
    with pytest.raises(TemplateError):
        render("<aws.pipes.nope>")


def test_paths_with_indexes_and_wildcards() -> None:
    record = {"a": {"list": [{"v": 1}, {"v": 2}]}, "b-c": {"d_e": "x"}}
    assert resolve_path(record, "$.a.list[1].v") == 2
    assert resolve_path(record, "$.a.list[*].v") == [1, 2]
    assert resolve_path(record, "$.b-c.d_e") == "x"
    assert resolve_path(record, "$") == record
    with pytest.raises(MissingPathError):
        resolve_path(record, "$.a.list[5]")
    with pytest.raises(TemplateError):
        resolve_path(record, "a.b")


def test_http_parameters() -> None:
    assert is_json_path("$.dynamodb.Keys.Location.S")
    assert not is_json_path("300")
    assert not is_json_path("text/plain")
    assert render_parameter("$.dynamodb.Keys.Location.S", INSERT) == "New York"
    assert render_parameter("$.dynamodb.NewImage.TTL.N", INSERT) == "120"
    assert render_parameter("300", INSERT) == "300"
    assert render_parameter("$.dynamodb.Keys", INSERT) == '{"Location":{"S":"New York"}}'
