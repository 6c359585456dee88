"""MomentoPayload builders and the JSON path checks (pure Python, no synth)."""

from __future__ import annotations

import json
import re

import pytest

from momento_eventbridge_constructs import MomentoConstructError, MomentoPayload
from momento_eventbridge_constructs._stream_record import check_record_paths
from momento_eventbridge_constructs._template_syntax import KeyInfo, placeholders
from momento_eventbridge_constructs._validation import Checker

KEY = KeyInfo("Location", "S")
ALL = frozenset({"INSERT", "MODIFY", "REMOVE"})
PUTS = frozenset({"INSERT", "MODIFY"})


def render_with(template: str, record: dict[str, object]) -> object:
    """Render a template the way Pipes does for bare placeholders, to check the JSON shape."""

    def value(match: re.Match[str]) -> str:
        node: object = record
        for segment in match.group(1)[2:].split("."):
            assert isinstance(node, dict)
            node = node[segment]
        return json.dumps(node)

    return json.loads(re.sub(r"<(\$[^<>]*)>", value, template))


RECORD = {
    "eventName": "MODIFY",
    "dynamodb": {
        "Keys": {"Location": {"S": "New York"}},
        "NewImage": {"Location": {"S": "New York"}, "MaxTemp": {"N": "82"}},
        "SequenceNumber": "111200000000000000002",
    },
}


def paths_ok(
    template: str,
    events: frozenset[str],
    view: str | None = "NEW_AND_OLD_IMAGES",
    keys: tuple[str, ...] | None = ("Location",),
) -> None:
    check_record_paths(
        placeholders(template),
        events=events,
        view_type=view,
        key_attributes=keys,
        check=Checker("test"),
        prop="value",
    )


def test_new_image_places_the_image_as_a_value_under_item() -> None:
    template = MomentoPayload.new_image().render(KEY)
    assert template == '{"item": <$.dynamodb.NewImage>}'
    assert render_with(template, RECORD) == {"item": RECORD["dynamodb"]["NewImage"]}  # type: ignore[index]


def test_from_attributes_puts_the_key_first_from_keys_and_the_rest_from_new_image() -> None:
    template = MomentoPayload.from_attributes({"MaxTemp": "N"}).render(KEY)
    assert template == (
        '{"Location": <$.dynamodb.Keys.Location.S>, "MaxTemp": <$.dynamodb.NewImage.MaxTemp.N>}'
    )
    assert render_with(template, RECORD) == {"Location": "New York", "MaxTemp": "82"}


def test_from_attributes_naming_the_key_reads_it_from_keys_once() -> None:
    template = MomentoPayload.from_attributes({"Location": "S"}).render(KEY)
    assert template == '{"Location": <$.dynamodb.Keys.Location.S>}'
    paths_ok(template, ALL, view="KEYS_ONLY")


def test_from_attributes_key_with_the_wrong_type_is_rejected() -> None:
    with pytest.raises(MomentoConstructError, match="key attribute 'Location' has type 'S'"):
        MomentoPayload.from_attributes({"Location": "N"}).render(KEY)


def test_from_attributes_needs_the_key() -> None:
    with pytest.raises(MomentoConstructError, match="key_attribute"):
        MomentoPayload.from_attributes({"MaxTemp": "N"}).render(None)


def test_change_notice_is_valid_for_every_event_and_any_stream_view() -> None:
    template = MomentoPayload.change_notice().render(None)
    paths_ok(template, ALL, view="KEYS_ONLY")
    assert render_with(template, RECORD) == {
        "eventName": "MODIFY",
        "keys": {"Location": {"S": "New York"}},
        "sequenceNumber": "111200000000000000002",
    }


def test_from_template_keeps_the_template() -> None:
    raw = '{"where": <$.dynamodb.Keys.Location.S>, "pipe": <aws.pipes.pipe-name>}'
    assert MomentoPayload.from_template(raw).render(None) == raw
    paths_ok(raw, ALL)


def test_repr_names_the_factory() -> None:
    assert repr(MomentoPayload.new_image()) == "MomentoPayload.new_image()"
    assert repr(MomentoPayload.from_attributes({"A": "S"})) == (
        "MomentoPayload.from_attributes({'A': 'S'})"
    )


@pytest.mark.parametrize(
    ("attributes", "rule"),
    [
        ({"Max Temp": "N"}, "letters, digits, '_' and '-'"),
        ({"": "N"}, "non-empty DynamoDB attribute name"),
        ({"MaxTemp": "INT"}, "DynamoDB type descriptor"),
        (["MaxTemp"], "mapping of attribute name"),
    ],
)
def test_from_attributes_rejects(attributes: object, rule: str) -> None:
    with pytest.raises(MomentoConstructError, match=re.escape(rule)):
        MomentoPayload.from_attributes(attributes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("template", "rule"),
    [
        ("", "non-empty string"),
        ('{"p": <aws.pipes.nonsense>}', "not a Pipes reserved variable"),
        ('{"p": <$dynamodb>}', "start with '$.'"),
        ('{"p": <$.dynamodb.Keys[0]>}', "dot notation"),
        ("x" * 8193, "limited to 8192 characters"),
        ("${Token[TOKEN.1]}", "literal string"),
    ],
)
def test_from_template_rejects(template: str, rule: str) -> None:
    with pytest.raises(MomentoConstructError, match=re.escape(rule)):
        MomentoPayload.from_template(template)


# The Pipes input transformation page: an object or array loses its inner quotes when the whole
# template is one path to it ("{key: value}") and when it stands inside a string ("Body is
# {key: value}"); its advice is to place it as a value under a key.
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-pipes-input-transformation.html
OBJECT_OR_ARRAY_PLACEHOLDERS = [
    "<$>",
    "<$.dynamodb>",
    "<$.dynamodb.NewImage>",
    "<$.dynamodb.OldImage>",
    "<$.dynamodb.Keys>",
    "<$.dynamodb.NewImage.MaxTemp>",
    "<$.dynamodb.NewImage.Address.M>",
    "<$.dynamodb.NewImage.Address.M.Street>",
    "<$.dynamodb.NewImage.Tags.L>",
    "<$.dynamodb.NewImage.Tags.SS>",
    "<$.dynamodb.NewImage.Scores.NS>",
    "<$.dynamodb.NewImage.Blobs.BS>",
    "<aws.pipes.event>",
    "<aws.pipes.event.json>",
]
SCALAR_PLACEHOLDERS = [
    "<$.eventName>",
    "<$.eventID>",
    "<$.dynamodb.SequenceNumber>",
    "<$.dynamodb.ApproximateCreationDateTime>",
    "<$.dynamodb.Keys.Location.S>",
    "<$.dynamodb.NewImage.MaxTemp.N>",
    "<$.dynamodb.NewImage.Flag.BOOL>",
    "<$.dynamodb.NewImage.Address.M.Street.S>",
    "<aws.pipes.pipe-name>",
    "<aws.pipes.event.ingestion-time>",
]


@pytest.mark.parametrize("placeholder", OBJECT_OR_ARRAY_PLACEHOLDERS)
def test_a_template_that_is_only_an_object_or_array_path_is_rejected(placeholder: str) -> None:
    with pytest.raises(MomentoConstructError) as raised:
        MomentoPayload.from_template(f"  {placeholder}\n")
    message = str(raised.value)
    assert "inner quotes removed" in message
    assert "eb-pipes-input-transformation.html" in message
    assert f'{{"item": {placeholder}}}' in message  # the safe form to use instead


@pytest.mark.parametrize("placeholder", OBJECT_OR_ARRAY_PLACEHOLDERS)
@pytest.mark.parametrize(
    "template",
    ['{{"k": "changed: {p}"}}', '[1, "{p}"]', "Changed: {p}", '{{"a": "x \\" {p}"}}'],
)
def test_an_object_or_array_inside_a_string_is_rejected(placeholder: str, template: str) -> None:
    with pytest.raises(MomentoConstructError) as raised:
        MomentoPayload.from_template(template.format(p=placeholder))
    assert raised.value.value.strip("'") == placeholder
    assert raised.value.rule.startswith("is an object or array inside a string")


@pytest.mark.parametrize("placeholder", OBJECT_OR_ARRAY_PLACEHOLDERS)
def test_an_object_or_array_as_a_value_is_accepted(placeholder: str) -> None:
    MomentoPayload.from_template(f'{{"item": {placeholder}, "list": [{placeholder}]}}')


@pytest.mark.parametrize("placeholder", SCALAR_PLACEHOLDERS)
def test_a_scalar_may_stand_anywhere(placeholder: str) -> None:
    for template in (
        placeholder,
        f'{{"k": "changed: {placeholder}"}}',
        f"Changed: {placeholder}",
        f'{{"k": {placeholder}}}',
    ):
        MomentoPayload.from_template(template)


@pytest.mark.parametrize(
    "payload",
    [
        MomentoPayload.new_image(),
        MomentoPayload.change_notice(),
        MomentoPayload.from_attributes({"Location": "S", "MaxTemp": "N", "Tags": "SS"}),
        MomentoPayload.from_attributes({"Address": "M", "History": "L", "Blob": "B"}),
    ],
)
def test_every_factory_body_obeys_the_placement_rules(payload: MomentoPayload) -> None:
    template = payload.render(KEY)
    # The same check from_template applies: none of the factories emits a mangled form.
    MomentoPayload.from_template(template)
    assert template.startswith("{") and template.endswith("}")


def test_new_image_on_a_pipe_that_lets_remove_through_is_rejected() -> None:
    with pytest.raises(MomentoConstructError) as raised:
        paths_ok("<$.dynamodb.NewImage>", ALL)
    assert "REMOVE records have no NewImage" in str(raised.value)
    assert "$.dynamodb.NewImage" in str(raised.value)


def test_old_image_on_insert_is_rejected() -> None:
    with pytest.raises(MomentoConstructError, match="INSERT records have no OldImage"):
        paths_ok("<$.dynamodb.OldImage.MaxTemp.N>", PUTS)


def test_old_image_on_modify_and_remove_is_accepted() -> None:
    paths_ok("<$.dynamodb.OldImage.MaxTemp.N>", frozenset({"MODIFY", "REMOVE"}))


@pytest.mark.parametrize("view", ["KEYS_ONLY", "OLD_IMAGE"])
def test_new_image_on_a_stream_without_new_images_is_rejected(view: str) -> None:
    with pytest.raises(MomentoConstructError, match=f"stream view type is {view}"):
        paths_ok("<$.dynamodb.NewImage>", PUTS, view=view)


def test_unknown_view_type_is_not_guessed() -> None:
    paths_ok("<$.dynamodb.NewImage>", PUTS, view=None)


@pytest.mark.parametrize(
    ("path", "rule"),
    [
        ("$.dynamodb.Keys.Other.S", "holds only the table's key attributes"),
        ("$.dynamodb.NewImage.MaxTemp.INT", "not a DynamoDB type descriptor"),
        ("$.userIdentity", "only on deletions by TTL"),
        ("$.eventName.x", "is a string and has no fields"),
        ("$.dynamodb.SequenceNumber.x", "is a scalar"),
        ("$.dynamodb.Nope", "is not a field of $.dynamodb"),
        ("$.nope", "is not a field of a DynamoDB stream record"),
    ],
)
def test_record_path_rules(path: str, rule: str) -> None:
    with pytest.raises(MomentoConstructError, match=re.escape(rule)):
        paths_ok(f"<{path}>", PUTS)


def test_whole_record_and_reserved_variables_are_always_valid() -> None:
    paths_ok("<$>", ALL, view="KEYS_ONLY")
    paths_ok("<aws.pipes.event.json>", ALL, view="KEYS_ONLY")
