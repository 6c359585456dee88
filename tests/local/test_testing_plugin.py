"""For users' own tests: ``LocalPipeline.from_stack``, the ``momento_local`` fixture of the
pytest plugin (loaded through its entry point, as in a user's project) and ``wait_for_cache``,
on the bundled weather stacks built in-process (three pipes, and one sync)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import pytest

from momento_eventbridge_constructs.examples import weather
from momento_eventbridge_constructs.local import LocalPipeline
from momento_eventbridge_constructs.testing import wait_for_cache

from .. import _isolation

CACHE = "momento-eventbridge-cache"
PARAMETERS = {"MomentoApiKey": "k", "MomentoApiEndpoint": "https://api.cache.example.test"}
OSLO = {
    "Location": {"S": "Oslo"},
    "MaxTemp": {"N": "12"},
    "MinTemp": {"N": "3"},
    "ChancesOfPrecipitation": {"N": "80"},
    "TTL": {"N": "120"},  # the weather pipes read it for the cache TTL
}


@pytest.fixture(scope="module")
def stacks() -> dict[str, cdk.Stack]:
    app = cdk.App(context={"region": "us-west-2"})
    weather.build_app(app)
    return {child.node.id: child for child in app.node.children if isinstance(child, cdk.Stack)}


def test_from_stack_runs_the_stack_it_is_given(stacks: dict[str, cdk.Stack]) -> None:
    with LocalPipeline.from_stack(stacks["WeatherStack"], momento="local") as lp:
        assert lp.stack.artifact_id == "WeatherStack"
        assert lp.aws.region == "us-west-2"
        assert len(lp.pipes) == 3
        lp.dynamodb.put_item(TableName=lp.table_name("WeatherStack/WeatherTable"), Item=OSLO)
        lp.drain(timeout=20)
        cached = lp.momento.get(CACHE, "Oslo")
        assert cached is not None and json.loads(cached)["MaxTemp"] == "12"


def test_from_stack_refuses_what_is_not_a_stack() -> None:
    with pytest.raises(TypeError) as raised:
        LocalPipeline.from_stack("cdk.out")
    assert "from_stack needs an aws_cdk.Stack inside an aws_cdk.App, got 'cdk.out'" in str(
        raised.value
    )


@pytest.mark.parametrize("stack_name", ["WeatherStack", "WeatherSyncStack"])
def test_the_fixture_and_the_helper_follow_puts_and_deletes(
    momento_local: Any, stacks: dict[str, cdk.Stack], stack_name: str
) -> None:
    stack = stacks[stack_name]
    lp = momento_local(stack)
    assert lp.momento_server is not None  # local Momento by default
    table_construct = stack.node.find_child("WeatherTable")
    table = lp.table_name(f"{stack_name}/WeatherTable")

    lp.dynamodb.put_item(TableName=table, Item=OSLO)
    wait_for_cache(lp, table_construct, [{"Location": "Oslo"}], timeout=20)
    cached = lp.momento.get(CACHE, "Oslo")
    assert cached is not None and json.loads(cached)["ChancesOfPrecipitation"] == "80"

    lp.dynamodb.delete_item(TableName=table, Key={"Location": {"S": "Oslo"}})
    wait_for_cache(lp, f"{stack_name}/WeatherTable", [{"Location": {"S": "Oslo"}}], timeout=20)
    assert lp.momento.get(CACHE, "Oslo") is None


def test_the_helper_says_what_differs_when_the_cache_is_wrong(
    momento_local: Any, stacks: dict[str, cdk.Stack]
) -> None:
    lp = momento_local(stacks["WeatherStack"], autostart_pipes=False)
    lp.dynamodb.put_item(TableName=lp.table_name("WeatherStack/WeatherTable"), Item=OSLO)
    lp.momento.set(CACHE, "Bergen", '{"stale": true}', 60)  # no such item in the table
    with pytest.raises(AssertionError) as raised:
        wait_for_cache(
            lp,
            "WeatherStack/WeatherTable",
            [{"Location": "Oslo"}, {"Location": "Bergen"}],
            timeout=0.3,
        )
    message = str(raised.value)
    assert message.startswith(
        "the cache does not match table WeatherStack/WeatherTable after 0.3 s:\n"
    )
    assert (
        f"  Location=Oslo: cache {CACHE} holds nothing; expected "
        '{"Location": "Oslo", "MaxTemp": "12", "MinTemp": "3", "ChancesOfPrecipitation": "80"}'
    ) in message
    assert f'  Location=Bergen: cache {CACHE} holds {{"stale": true}}; expected nothing' in message


def test_the_helper_refuses_keys_that_do_not_fit_the_table(
    momento_local: Any, stacks: dict[str, cdk.Stack]
) -> None:
    lp = momento_local(stacks["WeatherStack"], autostart_pipes=False)
    with pytest.raises(KeyError) as raised:
        wait_for_cache(lp, "WeatherStack/WeatherTable", [{"City": "Oslo"}])
    assert "a key of table WeatherStack/WeatherTable has the attributes Location; got City" in str(
        raised.value
    )


def test_the_pipelines_are_stopped_after_the_test(tmp_path: Path) -> None:
    """A test using the fixture leaves no server behind (checked in a pytest of its own)."""
    (tmp_path / "test_leak.py").write_text(
        "import socket\n"
        "from momento_eventbridge_constructs.local import LocalPipeline\n"
        "ENDPOINTS = []\n"
        "def test_start(momento_local):\n"
        f"    lp = momento_local({str(_isolation.TYPESCRIPT_STACK)!r}, parameters={PARAMETERS!r})\n"
        "    ENDPOINTS.append(lp.momento_endpoint)\n"
        "def test_stopped():\n"
        "    host, port = ENDPOINTS[0].rsplit(':', 1)\n"
        "    with socket.socket() as s:\n"
        "        assert s.connect_ex(('127.0.0.1', int(port))) != 0\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_without_the_local_extra_the_fixture_skips_and_other_tests_run(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "import sys\nsys.modules['boto3'] = sys.modules['botocore'] = sys.modules['moto'] = None\n"
    )
    (tmp_path / "test_user.py").write_text(
        "def test_plain():\n"
        "    assert True\n"
        "def test_local(momento_local):\n"
        "    raise AssertionError('not reached')\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 skipped" in result.stdout
    assert re.search(
        r"momento_local needs the 'local' extra \((boto3|botocore|moto) is not installed\): "
        r"pip install 'momento-eventbridge-constructs\[local\]'",
        result.stdout,
    ), result.stdout
