"""``--parameters NAME=VALUE``: template parameters from the command line, as ``cdk deploy``
reads them; and a hand-written TypeScript-style stack with parameters run end to end.

The stack (tests/data/typescript_stack) is not built by the constructs: its ``MomentoApiKey``
and ``MomentoApiEndpoint`` parameters have no Default, so nothing runs without them.
"""

from __future__ import annotations

import json
import queue
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import boto3
import pytest

from momento_eventbridge_constructs.cli import main
from momento_eventbridge_constructs.engine.assembly import AssemblyError, load_stack
from momento_eventbridge_constructs.engine.parameters import (
    missing_parameters,
    parse_parameters,
)
from momento_eventbridge_constructs.local import LocalPipeline, MomentoHttpClient

from .. import _isolation

STACK = "MomentoEventbridgeStack"
CACHE = "momento-eventbridge-cache"
API_KEY = "eyJ-a-real-looking-momento-api-key"  # sorts before the generated "local-..."
ENDPOINT = "https://api.cache.cell-4-us-west-2-1.prod.a.momentohq.com"
PARAMETERS = [
    "--parameters",
    f"MomentoApiKey={API_KEY}",
    "--parameters",
    f"MomentoApiEndpoint={ENDPOINT}",
]


@pytest.fixture(scope="module")
def template() -> Any:
    return load_stack(_isolation.TYPESCRIPT_STACK)


# -- parsing ----------------------------------------------------------------------------------


def test_names_values_and_the_stack_prefix_as_cdk_deploy_reads_them(template: Any) -> None:
    values = parse_parameters(
        [
            "MomentoApiKey=a=b=",  # everything after the first "=" is the value
            f"{STACK}:MomentoApiEndpoint=https://x.example",
            "OtherStack:MomentoApiEndpoint=ignored",  # meant for another stack
        ],
        template,
    )
    assert values == {"MomentoApiKey": "a=b=", "MomentoApiEndpoint": "https://x.example"}
    assert parse_parameters(["MomentoApiKey="], template) == {"MomentoApiKey": ""}


@pytest.mark.parametrize("entry", ["MomentoApiKey", "=value", f"{STACK}:=value"])
def test_an_entry_without_name_and_value_is_refused(template: Any, entry: str) -> None:
    with pytest.raises(AssemblyError) as raised:
        parse_parameters([entry], template)
    assert str(raised.value) == (f"--parameters {entry!r}: expected NAME=VALUE or STACK:NAME=VALUE")


def test_a_parameter_the_template_does_not_declare_is_refused(template: Any) -> None:
    # A misspelt name is refused (CloudFormation does so too: unverified).
    with pytest.raises(AssemblyError) as raised:
        parse_parameters(["MomentoApiKy=k"], template)
    assert str(raised.value) == (
        f"--parameters 'MomentoApiKy=k': stack {STACK} has no parameter MomentoApiKy "
        "(its parameters: MomentoApiEndpoint, MomentoApiKey)"
    )


def test_the_missing_ones_are_named_with_the_flag(template: Any) -> None:
    assert missing_parameters(template, {"MomentoApiKey": "k"}) == (
        f"stack {STACK} has parameter without a Default: MomentoApiEndpoint; "
        "pass --parameters MomentoApiEndpoint=VALUE"
    )
    assert missing_parameters(template, {"MomentoApiKey": "k", "MomentoApiEndpoint": "e"}) is None


# -- the command line -------------------------------------------------------------------------


@pytest.fixture
def not_started(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> LocalPipeline:
        raise AssertionError("the local runtime was started")

    monkeypatch.setattr(LocalPipeline, "from_cloud_assembly", refuse)


def test_local_without_the_parameters_says_which_flags_to_pass(
    not_started: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["local", str(_isolation.TYPESCRIPT_STACK)]) == 2
    assert capsys.readouterr().err == (
        f"error: stack {STACK} has parameters without a Default: MomentoApiKey, "
        "MomentoApiEndpoint; pass --parameters MomentoApiKey=VALUE "
        "--parameters MomentoApiEndpoint=VALUE\n"
    )


def test_local_refuses_an_undeclared_parameter_before_starting(
    not_started: None, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["local", str(_isolation.TYPESCRIPT_STACK), *PARAMETERS, "--parameters", "X=1"]
    assert main(arguments) == 2
    assert "stack MomentoEventbridgeStack has no parameter X" in capsys.readouterr().err


def test_the_python_api_error_names_the_flag_and_the_argument() -> None:
    with pytest.raises(AssemblyError) as raised:
        LocalPipeline.from_cloud_assembly(_isolation.TYPESCRIPT_STACK, momento="local").start()
    assert str(raised.value) == (
        "parameter MomentoApiKey has no Default: pass its value (--parameters "
        "MomentoApiKey=VALUE on the command line, parameters={'MomentoApiKey': ...} in Python)"
    )


class _Lines:
    """The lines a process prints, read by a thread so waits can time out."""

    def __init__(self, stream: IO[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, args=(stream,), daemon=True).start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))

    def until(self, pattern: str, timeout: float = 120) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while True:
            for line in self.seen:
                if match := re.search(pattern, line):
                    return match
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line matching {pattern!r} in:\n" + "\n".join(self.seen))
            try:
                self.seen.append(self._queue.get(timeout=remaining))
            except queue.Empty:
                continue


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], _Lines, Path]]:
    """``local`` on the TypeScript-style stack with both parameters, in its own process."""
    report = tmp_path / "isolation.json"
    process = subprocess.Popen(
        _isolation.command(
            ["local", str(_isolation.TYPESCRIPT_STACK), *PARAMETERS, "--exit-after", "300"]
        ),
        env=_isolation.environment(report),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=tmp_path,
    )
    assert process.stdout is not None
    try:
        yield process, _Lines(process.stdout), report
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)


@pytest.mark.slow
def test_local_runs_a_typescript_stack_with_parameters_end_to_end_without_node(
    running: tuple[subprocess.Popen[str], _Lines, Path],
) -> None:
    process, lines, report = running
    aws = lines.until(r"^Local AWS \(moto\): (\S+)  region (\S+)$")
    momento = lines.until(
        rf"^Momento calls go to the local Momento server: (\S+)  \(deployed: {ENDPOINT}\)"
    )
    local_key = lines.until(r"^  local API key: (\S+)$").group(1)
    table = lines.until(r"^Table weatherstatsdemotable5A4F8E1B: (\S+)$").group(1)
    lines.until(rf"^  deployed: PUT {ENDPOINT}/cache/{CACHE}$")
    lines.until(r"^Running; press Ctrl-C to stop\.$")

    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=aws.group(1),
        region_name=aws.group(2),
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    item = {
        "Location": {"S": "Oslo"},
        "MaxTemp": {"N": "12"},
        "MinTemp": {"N": "3"},
        "ChancesOfPrecipitation": {"N": "80"},
    }
    dynamodb.put_item(TableName=table, Item=item)
    lines.until(r"momento-cache-put-pipe.*delivered", timeout=60)
    cached = MomentoHttpClient(momento.group(1), local_key).get(CACHE, "Oslo")
    assert cached is not None
    assert json.loads(cached) == {
        "Location": "Oslo",
        "MaxTemp": "12",
        "MinTemp": "3",
        "ChancesOfPrecipitation": "80",
    }

    process.send_signal(signal.SIGINT)  # Ctrl-C
    assert process.wait(timeout=60) == 0
    lines.until(r"^Stopping\.$")
    # The key given on the command line is the stack's: the banner never shows it.
    assert local_key != API_KEY
    assert all(API_KEY not in line for line in lines.seen)
    isolation = _isolation.Isolation.read(report)
    assert isolation.loaded == [], "local imported aws-cdk-lib"
    assert isolation.spawned == [], "local started a process"
