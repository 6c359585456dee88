"""Property-based tests over the constructs' props.

Invalid input of any kind raises MomentoConstructError (never a raw jsii error or a template
that fails at deploy). Every check runs before a resource is created, so all invalid-input
properties share one stack and nothing is synthesized. Valid input is built in small batches,
one stack per generated configuration, synthesized once per batch and put through cdk-nag and
cfn-lint.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_secretsmanager as secretsmanager
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from momento_eventbridge_constructs import (
    DynamoToMomentoPipe,
    MomentoApiDestination,
    MomentoConnection,
    MomentoConstructError,
    MomentoEndpoint,
    MomentoOperation,
    MomentoPayload,
)
from momento_eventbridge_constructs._template_syntax import RESERVED_VARIABLES

from .._support import ENV, template_of
from .._support import World as SharedWorld
from ._checks import lint, nag

SET, DELETE, PUBLISH = (
    MomentoOperation.CACHE_SET,
    MomentoOperation.CACHE_DELETE,
    MomentoOperation.TOPIC_PUBLISH,
)
OPERATIONS = st.sampled_from(list(MomentoOperation))
EVENT_NAMES = ("INSERT", "MODIFY", "REMOVE")
ALLOWED_EVENTS = {SET: {"INSERT", "MODIFY"}, DELETE: {"REMOVE"}, PUBLISH: set(EVENT_NAMES)}
PITR = dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)

# The rules as the service states them, written independently of the library's own checks.
MOMENTO_NAME = re.compile(r"[A-Za-z0-9._~-]{1,255}")
EVENTBRIDGE_NAME = re.compile(r"[.\-_A-Za-z0-9]{1,64}")
LINE_BREAKS = "\n\r\x85\u2028\u2029"

INVALID = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
VALID = settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- invalid input: one shared stack --------------------------------------------------------


class World(SharedWorld):
    def __init__(self) -> None:
        super().__init__("Invalid")
        self.number_table = dynamodb.Table(
            self.stack,
            "NumberTable",
            partition_key=dynamodb.Attribute(name="Id", type=dynamodb.AttributeType.NUMBER),
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        )
        self.binary_table = dynamodb.Table(
            self.stack,
            "BinaryTable",
            partition_key=dynamodb.Attribute(name="Id", type=dynamodb.AttributeType.BINARY),
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        )
        self.imported = dynamodb.Table.from_table_attributes(
            self.stack,
            "Imported",
            table_name="weather",
            table_stream_arn="arn:aws:dynamodb:us-west-2:123456789012:table/weather/stream/x",
        )
        self.secret = secretsmanager.Secret.from_secret_name_v2(self.stack, "Key", "momento")

    def connection_with(self, **props: Any) -> MomentoConnection:
        return MomentoConnection(self.stack, next(self.ids), api_key_secret=self.secret, **props)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    yield World()


def rejected(build: Callable[[], object], prop: str | None = None) -> MomentoConstructError:
    """``build()`` raises MomentoConstructError (any other exception fails the test)."""
    with pytest.raises(MomentoConstructError) as raised:
        build()
    if prop is not None:
        assert raised.value.prop == prop, str(raised.value)
    return raised.value


NOT_STRINGS = st.one_of(
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.text(max_size=3), max_size=2),
    st.binary(),
)
ANY_TEXT = st.text(max_size=300)


@given(name=st.one_of(ANY_TEXT.filter(lambda s: not MOMENTO_NAME.fullmatch(s)), NOT_STRINGS))
@INVALID
def test_invalid_cache_and_topic_names(world: World, name: object) -> None:
    rejected(lambda: world.pipe(cache_name=name), "cache_name")
    rejected(lambda: world.pipe(PUBLISH, topic_name=name), "topic_name")


@given(
    prop=st.sampled_from(["pipe_name", "connection_name", "api_destination_name"]),
    name=st.one_of(ANY_TEXT.filter(lambda s: not EVENTBRIDGE_NAME.fullmatch(s)), NOT_STRINGS),
)
@INVALID
def test_invalid_eventbridge_names(world: World, prop: str, name: object) -> None:
    build = {
        "pipe_name": lambda: world.pipe(pipe_name=name),
        "connection_name": lambda: world.connection_with(connection_name=name),
        "api_destination_name": lambda: world.destination(api_destination_name=name),
    }[prop]
    rejected(build, prop)


@given(
    where=st.sampled_from(["pipe", "connection", "destination"]),
    description=st.one_of(
        st.text(min_size=513, max_size=600),
        st.tuples(st.text(max_size=50), st.sampled_from(LINE_BREAKS), st.text(max_size=50)).map(
            "".join
        ),
        NOT_STRINGS.filter(lambda v: v is not None),
    ),
)
@INVALID
def test_invalid_descriptions(world: World, where: str, description: object) -> None:
    build = {
        "pipe": lambda: world.pipe(description=description),
        "connection": lambda: world.connection_with(description=description),
        "destination": lambda: world.destination(description=description),
    }[where]
    rejected(build, "description")


@given(
    field=st.one_of(
        st.just(""),
        st.tuples(
            st.text(max_size=5),
            st.sampled_from([":", "{", "}", "}}", "\n", "\t", "\x00", "\x7f"]),
            st.text(max_size=5),
        ).map("".join),
        NOT_STRINGS,
    )
)
@INVALID
def test_invalid_secret_fields(world: World, field: object) -> None:
    rejected(lambda: world.connection_with(api_key_secret_field=field), "api_key_secret_field")


SECONDS = st.integers(min_value=0, max_value=10**7)


@given(
    case=st.one_of(
        # out of range for the default 24-hour cap
        st.one_of(st.just(0), st.integers(86_401, 10**8)).map(
            lambda s: {"ttl": cdk.Duration.seconds(s)}
        ),
        # not a whole number of seconds
        st.integers(1, 10**6)
        .filter(lambda ms: ms % 1000)
        .map(lambda ms: {"ttl": cdk.Duration.millis(ms)}),
        # above a raised or lowered cap
        st.tuples(st.integers(1, 10**6), st.integers(1, 10**6))
        .filter(lambda pair: pair[0] > pair[1])
        .map(
            lambda pair: {
                "ttl": cdk.Duration.seconds(pair[0]),
                "max_ttl": cdk.Duration.seconds(pair[1]),
            }
        ),
        st.just({"max_ttl": cdk.Duration.seconds(0)}),
        # ttl and ttl_attribute are exclusive; ttl must be a Duration
        SECONDS.map(lambda s: {"ttl": cdk.Duration.seconds(s + 1), "ttl_attribute": "TTL"}),
        st.one_of(SECONDS, st.text(max_size=5)).map(lambda v: {"ttl": v}),
        # a bad attribute name
        st.text(max_size=20)
        .filter(lambda s: not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", s))
        .map(lambda name: {"ttl_attribute": name}),
    )
)
@INVALID
def test_invalid_ttls(world: World, case: dict[str, Any]) -> None:
    rejected(lambda: world.pipe(**case))


@given(
    operation=st.sampled_from([DELETE, PUBLISH]),
    prop=st.sampled_from(["ttl", "max_ttl"]),
    seconds=st.integers(1, 86_400),
)
@INVALID
def test_ttls_only_for_cache_set(
    world: World, operation: MomentoOperation, prop: str, seconds: int
) -> None:
    rejected(lambda: world.pipe(operation, **{prop: cdk.Duration.seconds(seconds)}), prop)


BAD_WHOLE_NUMBERS = st.one_of(
    st.booleans(), st.floats(allow_nan=False), st.text(max_size=5), st.none()
)


@given(
    attempts=st.one_of(st.integers(max_value=-1), st.integers(min_value=10_001), BAD_WHOLE_NUMBERS)
)
@INVALID
def test_invalid_retry_attempts(world: World, attempts: object) -> None:
    rejected(lambda: world.pipe(max_retry_attempts=attempts), "max_retry_attempts")


@given(
    age=st.one_of(
        st.integers(0, 59).map(cdk.Duration.seconds),
        st.integers(86_401, 10**8).map(cdk.Duration.seconds),
        st.integers(60_001, 10**7).filter(lambda ms: ms % 1000).map(cdk.Duration.millis),
        st.integers().map(lambda n: n),  # not a Duration
    )
)
@INVALID
def test_invalid_record_ages(world: World, age: object) -> None:
    rejected(lambda: world.pipe(max_record_age=age), "max_record_age")


@given(
    rate=st.one_of(
        st.integers(max_value=0),
        st.integers(min_value=10_001),
        BAD_WHOLE_NUMBERS.filter(lambda v: v is not None),
    )
)
@INVALID
def test_invalid_rate_limits(world: World, rate: object) -> None:
    rejected(lambda: world.destination(rate_limit_per_second=rate), "rate_limit_per_second")


BINARY = dynamodb.AttributeType.BINARY
ID_KEY = dynamodb.Attribute(name="Id", type=dynamodb.AttributeType.STRING)
DAY_KEY = dynamodb.Attribute(name="Day", type=dynamodb.AttributeType.NUMBER)


@given(
    case=st.one_of(
        # a type that is not an AttributeType
        st.one_of(st.sampled_from(["S", "N", "STRING"]), st.integers()).map(
            lambda key_type: ("table", {"key_type": key_type})
        ),
        # a type the table contradicts, or BINARY
        st.sampled_from(
            [
                ("table", {"key_type": dynamodb.AttributeType.NUMBER}),
                ("table", {"key_type": dynamodb.AttributeType.BINARY}),
                ("number_table", {"key_type": dynamodb.AttributeType.STRING}),
                ("binary_table", {}),
                ("imported", {"key_attribute": "Id", "key_type": dynamodb.AttributeType.BINARY}),
                ("imported", {"key_attribute": "Id"}),
                ("imported", {"key_type": dynamodb.AttributeType.STRING}),
                # a stated schema gets the rules of a known one
                ("imported", {"partition_key": dynamodb.Attribute(name="Id", type=BINARY)}),
                ("imported", {"partition_key": ID_KEY, "sort_key": DAY_KEY}),
                ("imported", {"sort_key": DAY_KEY}),
                ("imported", {"partition_key": ID_KEY, "key_attribute": "Other"}),
            ]
        ),
        # not a key attribute of the table
        st.from_regex(r"[A-Za-z0-9_-]{1,20}", fullmatch=True)
        .filter(lambda name: name != "Location")
        .map(lambda name: ("table", {"key_attribute": name})),
    ),
    operation=st.sampled_from([SET, DELETE]),
)
@INVALID
def test_invalid_keys(
    world: World, case: tuple[str, dict[str, Any]], operation: MomentoOperation
) -> None:
    table_name, props = case
    rejected(lambda: world.pipe(operation, table=getattr(world, table_name), **props))


# Objects and arrays valid on every record; Pipes strips their inner quotes inside a string and
# as the whole template.
OBJECT_PATHS = st.sampled_from(
    ["<$>", "<$.dynamodb>", "<$.dynamodb.Keys>", "<aws.pipes.event>", "<aws.pipes.event.json>"]
)


@given(
    template=st.one_of(
        # an object inside a JSON string, or as the whole template, loses its inner quotes
        OBJECT_PATHS.map(lambda p: '{"v": "' + p + '"}'),
        OBJECT_PATHS,
        # unknown reserved variable, unknown record field, bad path syntax
        st.from_regex(r"aws\.[a-z.-]{1,20}", fullmatch=True)
        .filter(lambda v: v not in RESERVED_VARIABLES)
        .map(lambda v: '{"v": <' + v + ">}"),
        st.from_regex(r"[a-zA-Z]{1,12}", fullmatch=True)
        .filter(
            lambda f: (
                f
                not in {
                    "eventID",
                    "eventName",
                    "eventVersion",
                    "eventSource",
                    "awsRegion",
                    "eventSourceARN",
                    "dynamodb",
                }
            )
        )
        .map(lambda f: '{"v": <$.' + f + ">}"),
        # too long, or blank
        st.integers(8193, 9000).map(lambda n: "x" * n),
        st.sampled_from(["", "  ", "\n"]),
        # NewImage on REMOVE records (the topic pipe lets REMOVE through)
        st.just('{"v": <$.dynamodb.NewImage.MaxTemp.N>}'),
    )
)
@INVALID
def test_invalid_templates(world: World, template: str) -> None:
    def build() -> object:
        return world.pipe(PUBLISH, value=MomentoPayload.from_template(template))

    rejected(build)


@given(
    attributes=st.one_of(
        st.dictionaries(
            st.text(max_size=10).filter(lambda s: not re.fullmatch(r"[A-Za-z0-9_-]{1,255}", s)),
            st.just("N"),
            min_size=1,
            max_size=2,
        ),
        st.dictionaries(
            st.from_regex(r"[A-Za-z]{1,8}", fullmatch=True),
            st.text(max_size=4).filter(
                lambda t: t not in {"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"}
            ),
            min_size=1,
            max_size=2,
        ),
        st.sampled_from(["MaxTemp", ["MaxTemp"], 3]),
    )
)
@INVALID
def test_invalid_attribute_payloads(world: World, attributes: Any) -> None:
    rejected(lambda: MomentoPayload.from_attributes(attributes), None)


HOST = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9]{1,10}){0,3}", fullmatch=True)


@given(
    endpoint=st.one_of(
        st.tuples(st.sampled_from(["http", "ftp", "", "wss"]), HOST).map(
            lambda parts: f"{parts[0]}://{parts[1]}"
        ),
        HOST.map(lambda host: f"https://{host}/"),
        st.tuples(HOST, st.from_regex(r"[a-z/]{1,10}", fullmatch=True)).map(
            lambda parts: f"https://{parts[0]}/{parts[1]}"
        ),
        st.tuples(HOST, st.sampled_from(["?a=b", "#frag", "?", ":0", ":65536", ":99999", ":x"]))
        .map("".join)
        .map(lambda url: f"https://{url}"),
        st.tuples(HOST, st.sampled_from([" ", "\t", "\n"])).map(lambda p: f"https://{p[0]}{p[1]}"),
        HOST.map(lambda host: f"https://user:secret@{host}"),
        st.text(alphabet="!$%&'()*+,;=[]{}| _", min_size=1, max_size=8).map(
            lambda bad: f"https://a{bad}b.com"
        ),
        st.sampled_from(["", "https://", "https://-a.com", "https://a..b", "https://[::1"]),
        NOT_STRINGS,
    ),
)
@INVALID
def test_invalid_endpoints(world: World, endpoint: object) -> None:
    rejected(lambda: world.destination(endpoint=endpoint), "endpoint")
    rejected(lambda: MomentoEndpoint.from_url(endpoint), "endpoint")  # type: ignore[arg-type]


@given(
    region=st.one_of(
        st.text(max_size=20).filter(lambda r: r not in MomentoEndpoint.regions()), NOT_STRINGS
    )
)
@INVALID
def test_unknown_regions(region: object) -> None:
    rejected(lambda: MomentoEndpoint.for_region(region), "region")  # type: ignore[arg-type]


def _valid_events(names: list[str], operation: MomentoOperation) -> bool:
    return bool(names) and len(set(names)) == len(names) and set(names) <= ALLOWED_EVENTS[operation]


@given(
    operation=OPERATIONS,
    names=st.lists(st.sampled_from([*EVENT_NAMES, "UPDATE", "insert", "", "*"]), max_size=4),
)
@INVALID
def test_invalid_event_name_lists(
    world: World, operation: MomentoOperation, names: list[str]
) -> None:
    if _valid_events(names, operation):
        names = [*names, names[0]]  # a repeat makes any list invalid
    rejected(lambda: world.pipe(operation, event_names=names), "event_names")
    rejected(lambda: world.pipe(operation, event_names=tuple(names) or "INSERT"), "event_names")


# --- valid input: synthesized in small batches and checked ----------------------------------

NAMES = st.from_regex(r"[A-Za-z0-9._~-]{1,255}", fullmatch=True)
EB_NAMES = st.one_of(st.none(), st.from_regex(r"[.\-_A-Za-z0-9]{1,64}", fullmatch=True))
DESCRIPTIONS = st.one_of(
    st.none(),
    st.text(
        alphabet=st.characters(blacklist_characters=LINE_BREAKS, blacklist_categories=["Cs"]),
        max_size=512,
    ),
)
ENDPOINTS = st.one_of(
    st.sampled_from(MomentoEndpoint.regions()).map(MomentoEndpoint.for_region),
    st.tuples(HOST, st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}"))).map(
        lambda parts: f"https://{parts[0]}{parts[1]}"
    ),
)
SECRET_FIELDS = st.text(
    alphabet=st.characters(blacklist_characters=":{}", blacklist_categories=["Cc", "Cs"]),
    min_size=1,
    max_size=30,
)
TEMPLATE_KEYS = st.text(
    alphabet=st.characters(blacklist_characters="<>", blacklist_categories=["Cs"]), max_size=10
)


@st.composite
def valid_template(draw: st.DrawFn, events: list[str], key_type: str) -> str:
    """A raw input template that reads only what every let-through record carries."""
    paths = [
        "<$.eventName>",
        "<$.dynamodb.Keys>",
        f"<$.dynamodb.Keys.Id.{key_type}>",
        "<$.dynamodb.SequenceNumber>",
        "<aws.pipes.pipe-name>",
        "<$.eventSourceARN>",
    ]
    if set(events) <= {"INSERT", "MODIFY"}:
        paths += ["<$.dynamodb.NewImage>", "<$.dynamodb.NewImage.Name.S>"]
    fields = draw(st.dictionaries(TEMPLATE_KEYS, st.sampled_from(paths), min_size=1, max_size=4))
    return "{" + ", ".join(f"{json.dumps(key)}: {path}" for key, path in fields.items()) + "}"


@st.composite
def pipe_config(draw: st.DrawFn) -> dict[str, Any]:
    operation = draw(OPERATIONS)
    key_type = draw(st.sampled_from(["S", "N"]))
    events = draw(
        st.one_of(
            st.none(),
            st.lists(
                st.sampled_from(sorted(ALLOWED_EVENTS[operation])),
                min_size=1,
                max_size=3,
                unique=True,
            ),
        )
    )
    config: dict[str, Any] = {
        "operation": operation,
        "key_type": key_type,
        "imported": draw(st.booleans()),
        "endpoint": draw(ENDPOINTS),
        "rate_limit_per_second": draw(st.one_of(st.none(), st.integers(1, 10_000))),
        "api_destination_name": draw(EB_NAMES),
        "destination_description": draw(DESCRIPTIONS),
        "connection_name": draw(EB_NAMES),
        "connection_description": draw(DESCRIPTIONS),
        "api_key_secret_field": draw(st.one_of(st.none(), SECRET_FIELDS)),
        "pipe": {
            "cache_name": draw(NAMES),
            "event_names": events,
            "max_retry_attempts": draw(st.integers(0, 10_000)),
            "max_record_age": cdk.Duration.seconds(draw(st.integers(60, 86_400))),
            "starting_position": draw(st.sampled_from(["LATEST", "TRIM_HORIZON"])),
            "pipe_name": draw(EB_NAMES),
            "description": draw(DESCRIPTIONS),
            "log_level": draw(st.sampled_from(["OFF", "ERROR", "INFO", "TRACE"])),
            "create_alarms": draw(st.booleans()),
        },
    }
    pipe = config["pipe"]
    if pipe["log_level"] != "OFF":
        pipe["include_execution_data"] = draw(st.booleans())
    if operation is PUBLISH:
        pipe["topic_name"] = draw(NAMES)
        let_through = events or list(EVENT_NAMES)
        pipe["value"] = draw(
            st.one_of(
                st.none(),
                valid_template(let_through, key_type).map(MomentoPayload.from_template),
                st.just(MomentoPayload.from_attributes({"Id": key_type, "Name": "S"}))
                if set(let_through) <= {"INSERT", "MODIFY"}
                else st.just(MomentoPayload.from_attributes({"Id": key_type})),
            )
        )
    if operation is SET:
        cap = draw(st.one_of(st.none(), st.integers(1, 10 * 86_400)))
        if draw(st.booleans()):
            pipe["ttl_attribute"] = draw(st.from_regex(r"[A-Za-z0-9_-]{1,40}", fullmatch=True))
        elif cap is not None:  # the default TTL (1 hour) may exceed a lowered cap
            pipe["max_ttl"] = cdk.Duration.seconds(cap)
            pipe["ttl"] = cdk.Duration.seconds(draw(st.integers(1, cap)))
        elif draw(st.booleans()):
            pipe["ttl"] = cdk.Duration.seconds(draw(st.integers(1, 86_400)))
        pipe["value"] = draw(
            st.one_of(
                st.none(),
                st.just(MomentoPayload.new_image()),
                st.just(MomentoPayload.from_attributes({"Name": "S", "Count": "N"})),
            )
        )
    return config


def build(app: cdk.App, index: int, config: dict[str, Any]) -> None:
    stack = cdk.Stack(app, f"Valid{index}", env=ENV)
    attribute_type = (
        dynamodb.AttributeType.STRING
        if config["key_type"] == "S"
        else dynamodb.AttributeType.NUMBER
    )
    pipe = dict(config["pipe"])
    if config["imported"]:
        table: dynamodb.ITable = dynamodb.Table.from_table_attributes(
            stack,
            "Table",
            table_name="items",
            table_stream_arn="arn:aws:dynamodb:us-west-2:123456789012:table/items/stream/2024-01-01T00:00:00.000",
        )
        value = pipe.get("value")
        if config["operation"] is not PUBLISH or (value is not None and value.needs_key):
            pipe.update(partition_key=dynamodb.Attribute(name="Id", type=attribute_type))
    else:
        table = dynamodb.Table(
            stack,
            "Table",
            partition_key=dynamodb.Attribute(name="Id", type=attribute_type),
            stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
            point_in_time_recovery_specification=PITR,
        )
    connection = MomentoConnection(
        stack,
        "Connection",
        api_key_secret=secretsmanager.Secret.from_secret_name_v2(stack, "Key", "momento"),
        api_key_secret_field=config["api_key_secret_field"],
        connection_name=config["connection_name"],
        description=config["connection_description"],
    )
    destination = MomentoApiDestination(
        stack,
        "Destination",
        connection=connection,
        endpoint=config["endpoint"],
        operation=config["operation"],
        rate_limit_per_second=config["rate_limit_per_second"],
        api_destination_name=config["api_destination_name"],
        description=config["destination_description"],
    )
    DynamoToMomentoPipe(stack, "Pipe", table=table, destination=destination, **pipe)


@given(configs=st.lists(pipe_config(), min_size=1, max_size=3))
@VALID
def test_valid_input_synthesizes_clean_templates(configs: list[dict[str, Any]]) -> None:
    app = cdk.App()
    for index, config in enumerate(configs):
        build(app, index, config)
    assert nag(app) == []
    assembly = app.synth()
    for index in range(len(configs)):
        assert lint(template_of(assembly, f"Valid{index}")) == [], configs[index]
