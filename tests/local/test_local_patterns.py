"""The event pattern matcher: AWS's documented cases, then the rule engine's (aws/event-ruler)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from momento_eventbridge_constructs.engine.patterns import (
    MAX_OR_COMBINATIONS,
    OPERATORS_PAGE,
    PatternError,
    UnsupportedByPipesError,
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
        ({"detail": {"missing": [{"anything-but": "x"}]}}, False),  # needs the field
    ],
)
def test_anything_but(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


# Operators event bus rules accept but pipes do not, checked with the Pipes restriction off.
@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ({"detail": {"state": [{"anything-but": {"prefix": "init"}}]}}, True),
        ({"detail": {"state": [{"anything-but": {"prefix": "term"}}]}}, False),
        ({"detail": {"state": [{"anything-but": {"prefix": ["x", "term"]}}]}}, False),
        ({"detail": {"FileName": [{"anything-but": {"suffix": ".txt"}}]}}, True),
        ({"detail": {"FileName": [{"anything-but": {"suffix": ".png"}}]}}, False),
        ({"detail": {"state": [{"anything-but": {"equals-ignore-case": ["TERMINATED"]}}]}}, False),
        ({"detail": {"state": [{"anything-but": {"equals-ignore-case": "Running"}}]}}, True),
        ({"detail": {"FileName": [{"anything-but": {"wildcard": "dir/*.png"}}]}}, False),
        ({"detail": {"FileName": [{"anything-but": {"wildcard": "*.jpg"}}]}}, True),
        # Only a string the inner matcher accepts is excluded: a number is not.
        # aws/event-ruler src/main/software/amazon/event/ruler/ByteMachine.java (doTransitionOn)
        ({"detail": {"c-count": [{"anything-but": {"prefix": "5"}}]}}, True),
        ({"detail": {"FileName": [{"wildcard": "dir/*.png"}]}}, True),
        ({"detail": {"FileName": [{"wildcard": "*/test*"}]}}, True),
        ({"detail": {"FileName": [{"wildcard": "dir/*.jpg"}]}}, False),
        ({"detail": {"FileName": [{"wildcard": "DIR/*.png"}]}}, False),
        ({"detail": {"c-count": [{"wildcard": "*"}]}}, False),  # strings only
    ],
)
def test_event_bus_only_operators(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, EVENT, pipes=False) is expected


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
    ],
)
def test_exists_and_cidr(pattern: dict[str, Any], expected: bool) -> None:
    assert matches(pattern, EVENT) is expected


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
        '{"f": [{"prefix": "a", "suffix": "b"}]}',
        "{}",  # JsonRuleCompiler.java: "Empty objects are not allowed"
        '{"a": {}}',
        '{"n": [1e400]}',
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


# --- anything-but: the engine compares values of the same type only ---------------------------
# aws/event-ruler src/main/software/amazon/event/ruler/ByteMachine.java (doTransitionOn): a
# numeric anything-but is only failed by an equal *number*, a string one by an equal *string*;
# any other leaf value matches. aws/event-ruler
# src/test/software/amazon/event/ruler/MachineTest.java (testAnythingButDeletion) has
# {"anything-but": [111, 222, 333]} and {"anything-but": 111} match the string "444".
@pytest.mark.parametrize(
    ("operand", "value", "expected"),
    [
        ([100], "100", True),  # a string is never excluded by numbers
        ([100], 100, False),
        ([100], 100.0, False),
        ([100], 101, True),
        ([111, 222, 333], "444", True),  # MachineTest.testAnythingButDeletion
        (111, "444", True),  # MachineTest.testAnythingButDeletion
        (111, "abc", True),
        ("100", 100, True),  # a number is never excluded by strings
        ("100", "100", False),
        (["a"], True, True),
        (["a"], None, True),
        ([1], [1, 2], True),  # an array matches when any element does
        ([1], [1], False),
    ],
)
def test_anything_but_compares_values_of_the_same_type(
    operand: Any, value: Any, expected: bool
) -> None:
    assert matches({"v": [{"anything-but": operand}]}, {"v": value}) is expected


@pytest.mark.parametrize(
    "operand",
    [
        ["a", 1],  # JsonRuleCompilerTest.java testCompile: ["child0", 111, "child2"]
        [1, "a"],
        [],  # JsonRuleCompiler.java processAnythingButListMatchExpression: no values
        [None],
        [True],
        None,
        [["a"]],
    ],
)
def test_anything_but_lists_must_be_all_strings_or_all_numbers(operand: Any) -> None:
    # aws/event-ruler README.md "Anything-but matching": lists "have to contain entirely strings
    # or entirely numerics";
    # aws/event-ruler src/main/software/amazon/event/ruler/JsonRuleCompiler.java
    # (processAnythingButListMatchExpression) rejects other lists at compile time, and
    # aws/event-ruler src/test/software/amazon/event/ruler/JsonRuleCompilerTest.java
    # (testCompile) lists a mixed one as bad.
    with pytest.raises(PatternError):
        compile_pattern({"v": [{"anything-but": operand}]})


@pytest.mark.parametrize(
    "operand",
    [{"prefix": ""}, {"suffix": ""}, {"prefix": ["1", ""]}, {"suffix": ["", "x"]}],
)
def test_anything_but_rejects_an_empty_prefix_or_suffix(operand: dict[str, Any]) -> None:
    # aws/event-ruler src/test/software/amazon/event/ruler/JsonRuleCompilerTest.java
    # (testCompile) lists
    # {"anything-but": {"prefix": ""}} and {"prefix": ["1", ""]} as bad patterns; the compiler
    # says "Null prefix/suffix not allowed".
    with pytest.raises(PatternError, match="empty string"):
        compile_pattern({"v": [{"anything-but": operand}]}, pipes=False)


def test_anything_but_accepts_an_empty_ignore_case_or_wildcard() -> None:
    # aws/event-ruler src/test/software/amazon/event/ruler/JsonRuleCompilerTest.java
    # (testCompile): both parse.
    ignore_case = compile_pattern(
        {"v": [{"anything-but": {"equals-ignore-case": ""}}]}, pipes=False
    )
    wildcard = compile_pattern({"v": [{"anything-but": {"wildcard": ["x*", ""]}}]}, pipes=False)
    assert not ignore_case.matches({"v": ""}) and ignore_case.matches({"v": "a"})
    assert not wildcard.matches({"v": ""}) and wildcard.matches({"v": "a"})


# --- numeric ranges --------------------------------------------------------------------------
# aws/event-ruler src/test/software/amazon/event/ruler/JsonRuleCompilerTest.java
# (testNumericExpressions) and aws/event-ruler src/main/software/amazon/event/ruler/Range.java
# (ensureValidRange: "Bottom must be less than top"): a range is written lower bound first and
# must not be empty.
@pytest.mark.parametrize(
    "operand",
    [
        [">", 10, "<", 5],
        [">", 5, "<", 5],  # JsonRuleCompilerTest.java testNumericExpressions: [">", 1, "<", 1]
        [">=", 5, "<=", 5],  # Range.java ensureValidRange: bottom must be less than top
        ["<", 1, ">", 0],  # testNumericExpressions: the lower bound comes first
        ["=", 1, ">", 0],
        [">", 0, ">", 1],
        [">", 0, "<", 1, ">", 2],
        ["<", True],
    ],
)
def test_impossible_or_malformed_numeric_ranges_are_rejected(operand: list[Any]) -> None:
    with pytest.raises(PatternError):
        compile_pattern({"x": [{"numeric": operand}]})


@pytest.mark.parametrize(
    ("operand", "value", "expected"),
    [
        ([">", 0, "<", 1], 0.5, True),  # testNumericExpressions goods
        ([">=", 0, "<", 1], 0, True),
        ([">", 0, "<=", 1], 1, True),
        ([">", 0, "<=", 1], 0, False),
        ([">=", -4e-6, "<", 3.8], 3.8, False),
        (["=", 3.018e2], 301.8, True),
    ],
)
def test_numeric_ranges(operand: list[Any], value: float, expected: bool) -> None:
    assert matches({"x": [{"numeric": operand}]}, {"x": value}) is expected


# --- numbers a numeric match can compare ------------------------------------------------------
# The operands of aws/event-ruler src/test/software/amazon/event/ruler/JsonRuleCompilerTest.java
# (testNumericExpressions), as JSON text: Python reads 1E-325 as 0.0 and 1E309 as inf, and only
# the text shows what the pattern says. ComparableNumber.java (generate) is the rule: a number
# is compared as a 64-bit float, and one that does not print back as the same decimal (an
# underflow to 0, an overflow, more digits than a float holds) is "Cannot compare number".
_EVENT_RULER_VALUES = ("3.8", "0.000033", "-4e-6", "55555", "1E-320")
GOOD_NUMERIC = [
    *(f'["{op}", {value}]' for op in ("=", "<", ">", "<=", ">=") for value in _EVENT_RULER_VALUES),
    '[">", 0, "<", 1]',
    '[">=", 0, "<", 1]',
    '[">", 0, "<=", 1]',
    '[">=", 0, "<=", 1]',
]
BAD_NUMERIC = [
    *(
        f'["{op}"{value}]'
        for op in ("=", "<", ">=", "<=")
        for value in (", true", ", 2.0e422", ', "-4e-6"', "")
    ),
    '["=", 1E309]',
    '["=", 1E-325]',
    '["<>", 1, ">", 0]',
    '["==", 1, ">", 0]',
    '["<", 1, ">", 0]',
    '[">", 1, "<", 1]',
    '[">", 30, "<", 1]',
    '[">", 1, "<", 30, false]',
]


@pytest.mark.parametrize("operand", GOOD_NUMERIC)
def test_event_ruler_numeric_operands_that_compile(operand: str) -> None:
    compile_pattern('{"x": [{"numeric": ' + operand + "}]}")


@pytest.mark.parametrize("operand", BAD_NUMERIC)
def test_event_ruler_numeric_operands_that_are_rejected(operand: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern('{"x": [{"numeric": ' + operand + "}]}")


@pytest.mark.parametrize(
    "operand",
    [
        '["=", 1E-325]',  # testNumericExpressions: underflows to 0
        '["<", 1E-325]',
        '[">", 0, "<", 1E-325]',
        '["=", 0.30000000000000001]',  # ComparableNumber.generate: the float prints as 0.3
        '["=", 12345678901234567891]',  # ... as 1.2345678901234567E19
    ],
)
def test_a_number_no_float_holds_is_rejected_by_name(operand: str) -> None:
    with pytest.raises(PatternError, match="cannot be compared as a number"):
        compile_pattern('{"x": [{"numeric": ' + operand + "}]}")


def test_an_underflowing_anything_but_number_is_rejected() -> None:
    """anything-but numbers go through the same ComparableNumber.generate (JsonRuleCompiler)."""
    for pattern in ('{"x": [{"anything-but": 1E-325}]}', '{"x": [{"anything-but": [1, 1E-325]}]}'):
        with pytest.raises(PatternError, match="cannot be compared as a number"):
            compile_pattern(pattern)


def test_1e_320_is_a_float_and_matches_as_one() -> None:
    pattern = compile_pattern('{"x": [{"numeric": ["=", 1E-320]}]}')
    assert pattern.matches({"x": 1e-320}) and not pattern.matches({"x": 0})
    assert compile_pattern('{"x": [{"numeric": ["=", 3.80]}]}').matches({"x": 3.8})


# --- wildcard escapes ------------------------------------------------------------------------
# aws/event-ruler src/test/software/amazon/event/ruler/input/WildcardParserTest.java and the
# README "Wildcard matching": \* is a literal star, \\ a backslash, any other escape is an error.
@pytest.mark.parametrize(
    ("expression", "value", "expected"),
    [
        ("a\\*c", "a*c", True),  # WildcardParserTest: escaped asterisk
        ("a\\*c", "abc", False),
        ("a\\\\c", "a\\c", True),  # escaped backslash
        ("a\\\\*", "a\\xyz", True),  # backslash then a wildcard
        ("a\\\\\\*", "a\\*", True),  # backslash then a literal star
        ("a\\\\\\*", "a\\x", False),
        ("a\\**", "a*anything", True),  # literal star then a wildcard
        ("a\\**", "abc", False),
    ],
)
def test_wildcard_escapes(expression: str, value: str, expected: bool) -> None:
    assert matches({"k": [{"wildcard": expression}]}, {"k": value}, pipes=False) is expected


# aws/event-ruler src/test/software/amazon/event/ruler/input/WildcardParserTest.java and
# aws/event-ruler src/test/software/amazon/event/ruler/JsonRuleCompilerTest.java
# (testCompile, testWildcardInvalidEscapeCharacter).
@pytest.mark.parametrize(
    "expression",
    [
        "a\\bc",  # WildcardParserTest: "Invalid escape character at pos 1"
        "foo*bar\\",  # JsonRuleCompilerTest testCompile: no ending backslash
        "a*c\\def",  # JsonRuleCompilerTest testWildcardInvalidEscapeCharacter
        "a**",  # WildcardParserTest: consecutive wildcard characters
        "a\\\\**",  # an escaped backslash does not separate two wildcards
    ],
)
def test_invalid_wildcards_are_rejected(expression: str) -> None:
    with pytest.raises(PatternError):
        compile_pattern({"k": [{"wildcard": expression}]}, pipes=False)
    with pytest.raises(PatternError):
        compile_pattern({"k": [{"anything-but": {"wildcard": [expression]}}]}, pipes=False)


# --- $or -------------------------------------------------------------------------------------
# aws/event-ruler src/main/software/amazon/event/ruler/JsonRuleCompiler.java
# (parseObjectInsideOrRelationship) rejects a field named after an operator anywhere inside "$or"
# (RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP in Constants.java; README.md "The $or Primitive").
@pytest.mark.parametrize(
    "pattern",
    [
        {"$or": [{"numeric": [1]}, {"b": ["y"]}]},
        {"$or": [{"a": ["x"]}, {"prefix": ["abc"]}]},
        {"$or": [{"a": {"anything-but": ["x"]}}, {"b": ["y"]}]},  # nested below a branch
        {"$or": [{"a": {"$or": [{">=": [1]}, {"c": [2]}]}}, {"b": ["y"]}]},
        {"detail": {"$or": [{"exactly": ["x"]}, {"b": ["y"]}]}},
        {"$or": [{"regex": ["x"]}, {"b": ["y"]}]},  # reserved for future operators
    ],
)
def test_operator_names_are_not_fields_inside_or(pattern: dict[str, Any]) -> None:
    with pytest.raises(PatternError, match="inside \\$or"):
        compile_pattern(pattern)


def test_operator_names_are_fields_outside_or() -> None:
    pattern = compile_pattern({"prefix": ["abc"], "detail": {"numeric": [1]}})
    assert pattern.matches({"prefix": "abc", "detail": {"numeric": 1}})


@pytest.mark.parametrize(
    ("pattern", "combinations"),
    [
        # Shapes of the rules in aws/event-ruler src/test/data/orRelationshipRules.json, whose
        # sub-rule counts
        # aws/event-ruler src/test/software/amazon/event/ruler/JsonRuleCompilerTest.java
        # (testMoreCaseOfOrRelationshipRules) checks.
        ({"$or": [{"a": [1]}, {"b": [2]}]}, 2),
        ({"$or": [{"a": [1]}, {"b": [2]}], "d": {"$or": [{"c": [1]}, {"e": [2]}]}}, 4),
        ({"s": ["x"], "$or": [{"a": [1]}, {"b": [2], "c": [3]}, {"d": [4]}]}, 3),
        (
            {
                "s": ["x"],
                "$or": [{"a": [1]}, {"b": [2], "$or": [{"c": [3]}, {"e": [5]}]}, {"d": [4]}],
            },
            4,
        ),
        ({"a": ["no $or"]}, 1),
    ],
)
def test_or_combinations(pattern: dict[str, Any], combinations: int) -> None:
    assert compile_pattern(pattern).combinations == combinations


def _or_of(size: int, field: str) -> list[dict[str, Any]]:
    return [{field: [index]} for index in range(size)]


def test_or_expanding_beyond_the_limit_is_rejected() -> None:
    # The limit of MAX_OR_COMBINATIONS is not confirmed by an AWS page (see the module).
    at_limit = {
        "$or": _or_of(10, "a"),
        "b": {"$or": _or_of(10, "c")},
        "d": {"$or": _or_of(10, "e")},
    }
    assert compile_pattern(at_limit).combinations == MAX_OR_COMBINATIONS
    over = {"$or": _or_of(11, "a"), "b": {"$or": _or_of(10, "c")}, "d": {"$or": _or_of(10, "e")}}
    with pytest.raises(PatternError, match="1100 combinations"):
        compile_pattern(over)
    with pytest.raises(PatternError, match="1001 combinations"):
        compile_pattern({"$or": _or_of(MAX_OR_COMBINATIONS + 1, "a")})


# --- operators EventBridge Pipes does not support -------------------------------------------
# https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html,
# "Pipe support" column: No for anything-but (begins with / ends with / ignore case / using a
# wildcard) and for wildcard.
@pytest.mark.parametrize(
    ("pattern", "what"),
    [
        ({"r": [{"anything-but": {"prefix": "us-"}}]}, "anything-but with prefix"),
        ({"f": [{"anything-but": {"suffix": ".png"}}]}, "anything-but with suffix"),
        ({"s": [{"anything-but": {"equals-ignore-case": "x"}}]}, "anything-but with equals-ignore"),
        ({"f": [{"anything-but": {"wildcard": "*/lib/*"}}]}, "anything-but with wildcard"),
        ({"f": [{"wildcard": "dir/*.png"}]}, "wildcard"),
        ({"d": {"$or": [{"f": [{"wildcard": "*"}]}, {"g": ["x"]}]}}, "wildcard"),
    ],
)
def test_pipes_reject_operators_they_do_not_support(pattern: dict[str, Any], what: str) -> None:
    with pytest.raises(UnsupportedByPipesError) as caught:
        compile_pattern(pattern)
    assert f"EventBridge Pipes does not support {what}" in str(caught.value)
    assert OPERATORS_PAGE in str(caught.value)
    compile_pattern(pattern, pipes=False)  # valid for an event bus rule


def test_pipes_accept_the_operators_they_support() -> None:
    # The rows of the same table with "Yes" in the "Pipe support" column.
    pattern = {
        "a": ["New York"],
        "b": [{"anything-but": "initializing"}],
        "c": [{"prefix": "us-"}],
        "d": [{"prefix": {"equals-ignore-case": "eventb"}}],
        "e": [""],
        "f": [{"equals-ignore-case": "alice"}],
        "g": [{"suffix": ".png"}],
        "h": [{"suffix": {"equals-ignore-case": "tBridge"}}],
        "i": [{"exists": True}],
        "j": [{"exists": False}],
        "k": [None],
        "l": [{"numeric": ["=", 100]}],
        "m": [{"numeric": [">", 10, "<=", 20]}],
        "$or": [{"n": ["Credit", "Debit"]}, {"o": ["Monday"]}],
    }
    event = {
        "a": "New York",
        "b": "running",
        "c": "us-east-1",
        "d": "EVENTBRIDGE",
        "e": "",
        "f": "Alice",
        "g": "x.png",
        "h": "EventBridge",
        "i": 1,
        "k": None,
        "l": 100,
        "m": 20,
        "o": "Monday",
    }
    assert compile_pattern(pattern).matches(event)
    assert not compile_pattern(pattern).matches({**event, "m": 21})
