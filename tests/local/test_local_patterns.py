"""The event pattern matcher, on the cases AWS documents for each operator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from momento_eventbridge_constructs.local.patterns import (
    PatternError,
    compile_pattern,
    matches,
    matches_any,
)

# An EC2-style event in the shape AWS uses throughout its pattern documentation.
EVENT: dict[str, Any] = {
    "version": "0",
    "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
    "detail-type": "EC2 Instance State-change Notification",
    "source": "aws.ec2",
    "account": "111122223333",
    "time": "2017-12-22T18:43:48Z",
    "region": "us-west-1",
    "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
    "detail": {
        "instance-id": "i-1234567890abcdef0",
        "state": "terminated",
        "c-count": 5,
        "d-count": 3,
        "x-limit": 301.8,
        "source-ip": "10.0.0.123",
        "FileName": "dir/testfile.png",
        "location": None,
        "empty": "",
        "flags": [True, False],
    },
}

STREAM_RECORDS: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "stream_records.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"source": ["aws.ec2"]}, True),
        ({"source": ["aws.s3"]}, False),
        ({"source": ["aws.s3", "aws.ec2"]}, True),
        ({"detail": {"state": ["terminated"]}}, True),
        ({"detail": {"state": ["Terminated"]}}, False),  # exact match is case-sensitive
        ({"detail": {"c-count": [5]}}, True),
        ({"detail": {"c-count": [5.0]}}, True),  # numbers compare as numbers
        ({"detail": {"c-count": ["5"]}}, False),  # a string never matches a number
        ({"detail": {"location": [None]}}, True),
        ({"detail": {"empty": [""]}}, True),
        ({"detail": {"flags": [True]}}, True),  # any element of an array
        ({"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]}, True),
        ({"detail": {"missing": ["x"]}}, False),
        ({"source": ["aws.ec2"], "detail": {"state": ["running"]}}, False),  # every field
    ],
)
def test_exact_values(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"region": [{"prefix": "us-"}]}, True),
        ({"region": [{"prefix": "ca-"}]}, False),
        ({"region": [{"prefix": {"equals-ignore-case": "US-"}}]}, True),
        ({"detail": {"FileName": [{"suffix": ".png"}]}}, True),
        ({"detail": {"FileName": [{"suffix": ".PNG"}]}}, False),
        ({"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".PNG"}}]}}, True),
        ({"detail": {"c-count": [{"prefix": "5"}]}}, False),  # prefix only for strings
        ({"detail": {"state": [{"equals-ignore-case": "TERMINATED"}]}}, True),
        ({"detail": {"state": [{"equals-ignore-case": "running"}]}}, False),
    ],
)
def test_prefix_suffix_and_ignore_case(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"detail": {"state": [{"anything-but": "initializing"}]}}, True),
        ({"detail": {"state": [{"anything-but": "terminated"}]}}, False),
        ({"detail": {"state": [{"anything-but": ["stopped", "overloaded"]}]}}, True),
        ({"detail": {"state": [{"anything-but": ["stopped", "terminated"]}]}}, False),
        ({"detail": {"c-count": [{"anything-but": [1, 2, 3]}]}}, True),
        ({"detail": {"c-count": [{"anything-but": 5}]}}, False),
        ({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}, True),
        ({"detail": {"state": [{"anything-but": {"prefix": "term"}}]}}, False),
        ({"detail": {"FileName": [{"anything-but": {"suffix": ".txt"}}]}}, True),
        ({"detail": {"FileName": [{"anything-but": {"suffix": ".png"}}]}}, False),
        ({"detail": {"state": [{"anything-but": {"equals-ignore-case": ["TERMINATED"]}}]}}, False),
        ({"detail": {"FileName": [{"anything-but": {"wildcard": "dir/*.png"}}]}}, False),
        ({"detail": {"missing": [{"anything-but": "x"}]}}, False),  # needs the field
    ],
)
def test_anything_but(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}, True),
        ({"detail": {"c-count": [{"numeric": [">", 5]}]}}, False),
        ({"detail": {"d-count": [{"numeric": ["<", 10]}]}}, True),
        ({"detail": {"x-limit": [{"numeric": ["=", 301.8]}]}}, True),
        ({"detail": {"x-limit": [{"numeric": [">=", 302]}]}}, False),
        ({"detail": {"state": [{"numeric": [">", 0]}]}}, False),
    ],
)
def test_numeric(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"detail": {"c-count": [{"exists": True}]}}, True),
        ({"detail": {"c-count": [{"exists": False}]}}, False),
        ({"detail": {"missing": [{"exists": False}]}}, True),
        ({"detail": {"missing": [{"exists": True}]}}, False),
        ({"nothing": {"deep": [{"exists": False}]}}, True),
        ({"detail": [{"exists": True}]}, False),  # exists only looks at leaves
        ({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}, True),
        ({"detail": {"source-ip": [{"cidr": "10.0.1.0/24"}]}}, False),
        ({"detail": {"FileName": [{"wildcard": "dir/*.png"}]}}, True),
        ({"detail": {"FileName": [{"wildcard": "*/test*"}]}}, True),
        ({"detail": {"FileName": [{"wildcard": "dir/*.jpg"}]}}, False),
        ({"detail": {"FileName": [{"wildcard": "DIR/*.png"}]}}, False),
    ],
)
def test_exists_cidr_and_wildcard(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


def test_wildcard_escapes_a_literal_star() -> None:
    assert matches({"k": [{"wildcard": "a\\*b"}]}, {"k": "a*b"})
    assert not matches({"k": [{"wildcard": "a\\*b"}]}, {"k": "axxb"})


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"$or": [{"detail": {"c-count": [5]}}, {"detail": {"d-count": [99]}}]}, True),
        ({"$or": [{"detail": {"c-count": [1]}}, {"detail": {"d-count": [99]}}]}, False),
        (
            {
                "source": ["aws.ec2"],
                "$or": [{"region": ["eu-west-1"]}, {"detail": {"state": ["terminated"]}}],
            },
            True,
        ),
        (
            {
                "source": ["aws.s3"],
                "$or": [{"region": ["us-west-1"]}, {"detail": {"state": ["terminated"]}}],
            },
            False,
        ),
        (
            {"detail": {"$or": [{"c-count": [{"numeric": [">", 4]}]}, {"state": ["x"]}]}},
            True,
        ),
    ],
)
def test_or(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


@pytest.mark.parametrize(
    "pattern",
    [
        "[1, 2]",
        "not json",
        '{"source": "aws.ec2"}',  # a leaf must be a list
        '{"source": []}',
        '{"source": [{"unknown-op": 1}]}',
        '{"source": [{"prefix": 1}]}',
        '{"n": [{"numeric": [">", "a"]}]}',
        '{"n": [{"numeric": ["!", 1]}]}',
        '{"n": [{"exists": "yes"}]}',
        '{"$or": [{"a": [1]}]}',
        '{"ip": [{"cidr": "not-a-network"}]}',
        '{"f": [{"wildcard": "a**b"}]}',
        '{"f": [{"prefix": "a", "suffix": "b"}]}',
    ],
)
def test_invalid_patterns_are_rejected(pattern: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern(pattern)


def test_dynamodb_stream_filters() -> None:
    insert, modify, remove = STREAM_RECORDS
    upserts = compile_pattern('{"eventName": ["INSERT", "MODIFY"]}')
    removes = compile_pattern({"eventName": ["REMOVE"]})
    assert [upserts.matches(r) for r in STREAM_RECORDS] == [True, True, False]
    assert [removes.matches(r) for r in STREAM_RECORDS] == [False, False, True]
    by_value = compile_pattern({"dynamodb": {"NewImage": {"MaxTemp": {"N": ["82"]}}}})
    assert [by_value.matches(r) for r in STREAM_RECORDS] == [False, True, False]
    # N values are strings in stream records: numeric matching never sees them.
    numeric = compile_pattern(
        {"dynamodb": {"NewImage": {"MaxTemp": {"N": [{"numeric": [">", 0]}]}}}}
    )
    assert not any(numeric.matches(r) for r in STREAM_RECORDS)
    # Without the type key the pattern looks for an attribute value that is not there.
    untyped = compile_pattern({"dynamodb": {"Keys": {"Location": ["New York"]}}})
    assert not untyped.matches(insert)
    spaces = compile_pattern({"dynamodb": {"Keys": {"Location": {"S": [{"prefix": "New "}]}}}})
    assert spaces.matches(modify) and spaces.matches(remove)


def test_filters_are_ored_and_none_lets_everything_through() -> None:
    insert, _, remove = STREAM_RECORDS
    filters = [compile_pattern({"eventName": ["INSERT"]}), compile_pattern({"eventName": ["X"]})]
    assert matches_any(filters, insert)
    assert not matches_any(filters, remove)
    assert matches_any([], remove)
