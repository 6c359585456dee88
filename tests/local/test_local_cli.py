"""The console entry point: ``demo``, ``local``, ``--version`` and ``--help``.

Every test runs from its own empty directory: the command line must not depend on where it is
started, nor on files of this repository.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import momento_eventbridge_constructs
from momento_eventbridge_constructs.cli import main
from momento_eventbridge_constructs.local import LocalPipeline

DEPLOYED = "https://api.cache.cell-4-us-west-2-1.prod.a.momentohq.com"
LOCAL = r"http://127\.0\.0\.1:\d+"


@pytest.fixture(autouse=True)
def _in_an_empty_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture(scope="module")
def demo_assembly(
    tmp_path_factory: pytest.TempPathFactory, weather_app_builder: Any
) -> Iterator[Path]:
    options = weather_app_builder.Options(poison_pipe=False)
    yield weather_app_builder(tmp_path_factory.mktemp("demo") / "cdk.out", options)


@pytest.fixture
def not_started(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything starts local AWS or Momento."""

    def refuse(*args: Any, **kwargs: Any) -> LocalPipeline:
        raise AssertionError("the local runtime was started")

    monkeypatch.setattr(LocalPipeline, "from_cloud_assembly", refuse)


def write_assembly(directory: Path, stacks: dict[str, dict[str, Any]]) -> Path:
    """A cloud assembly holding one stack per template."""
    directory.mkdir(parents=True, exist_ok=True)
    artifacts = {}
    for name, template in stacks.items():
        (directory / f"{name}.template.json").write_text(json.dumps(template))
        artifacts[name] = {
            "type": "aws:cloudformation:stack",
            "properties": {"templateFile": f"{name}.template.json"},
        }
    (directory / "manifest.json").write_text(json.dumps({"version": "1", "artifacts": artifacts}))
    return directory


def put_pipe_stack(key: str, input_template: str) -> dict[str, Any]:
    """A table keyed by ``key`` (S) and one cache-put pipe whose body is ``input_template``."""
    return {
        "Resources": {
            "Table": {
                "Type": "AWS::DynamoDB::Table",
                "Properties": {
                    "KeySchema": [{"AttributeName": key, "KeyType": "HASH"}],
                    "AttributeDefinitions": [{"AttributeName": key, "AttributeType": "S"}],
                    "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
                },
            },
            "Dlq": {"Type": "AWS::SQS::Queue"},
            "Connection": {
                "Type": "AWS::Events::Connection",
                "Properties": {
                    "AuthorizationType": "API_KEY",
                    "AuthParameters": {
                        "ApiKeyAuthParameters": {
                            "ApiKeyName": "Authorization",
                            "ApiKeyValue": "{{resolve:secretsmanager:k:SecretString:apiKey::}}",
                        }
                    },
                },
            },
            "Put": {
                "Type": "AWS::Events::ApiDestination",
                "Properties": {
                    "ConnectionArn": {"Fn::GetAtt": ["Connection", "Arn"]},
                    "HttpMethod": "PUT",
                    "InvocationEndpoint": "https://api.cache.example.test/cache/*",
                },
            },
            "PutPipe": {
                "Type": "AWS::Pipes::Pipe",
                "Properties": {
                    "RoleArn": "arn:aws:iam::1:role/r",
                    "Source": {"Fn::GetAtt": ["Table", "StreamArn"]},
                    "Target": {"Fn::GetAtt": ["Put", "Arn"]},
                    "SourceParameters": {
                        "DynamoDBStreamParameters": {
                            "StartingPosition": "LATEST",
                            "BatchSize": 1,
                            "MaximumRetryAttempts": 0,
                            "DeadLetterConfig": {"Arn": {"Fn::GetAtt": ["Dlq", "Arn"]}},
                        }
                    },
                    "TargetParameters": {
                        "InputTemplate": input_template,
                        "HttpParameters": {
                            "PathParameterValues": ["c"],
                            "QueryStringParameters": {
                                "key": f"$.dynamodb.Keys.{key}.S",
                                "ttl_seconds": "60",
                            },
                        },
                    },
                },
            },
        }
    }


# -- demo ------------------------------------------------------------------------------------


def test_demo_runs_the_weather_story(
    demo_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", str(demo_assembly)]) == 0
    out = capsys.readouterr().out
    assert "FAIL" not in out
    for expected in (
        "Starting local AWS and Momento...",
        "==> inserting New York, San Francisco, Rio de Janeiro",
        "==> updating New York",
        "==> deleting San Francisco",
        "ok   San Francisco evicted",
        "ok   New York updated in the cache",
        "San Francisco    (not in cache)",
        '"eventName": "REMOVE"',
        "Demo finished: every expectation met.",
    ):
        assert expected in out, expected
    assert "Synthesizing" not in out  # CDK_OUT was given


@pytest.mark.slow
def test_demo_without_cdk_out_synthesizes_the_bundled_example_in_a_temporary_directory(
    _in_an_empty_directory: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temporary))
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    progress = [
        "Synthesizing the bundled weather example...",
        "Synthesized in ",
        "Starting local AWS and Momento...",
        "Started in ",
        "Weather demo: table WeatherStack-WeatherTable",
        "ok   San Francisco evicted",
        "Demo finished: every expectation met.",
    ]
    positions = [out.find(line) for line in progress]
    assert -1 not in positions and positions == sorted(positions), out
    assert list(_in_an_empty_directory.iterdir()) == []  # nothing written where it ran
    assert list(temporary.iterdir()) == []  # the synthesized example is removed afterwards


@pytest.mark.slow
def test_demo_runs_the_sync_stack_of_the_bundled_example(
    _in_an_empty_directory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", "--stack", "WeatherSyncStack"]) == 0
    out = capsys.readouterr().out
    assert "starts state machine" in out
    assert "Weather demo: table WeatherSyncStack-WeatherTable" in out
    for expected in ("ok   San Francisco evicted", "Demo finished: every expectation met."):
        assert expected in out, expected


def test_demo_fails_when_an_expectation_is_not_met(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The cache-put pipe reads an attribute the demo items do not have: every put fails.
    broken = put_pipe_stack("Location", '{"Humidity": <$.dynamodb.NewImage.Humidity.N>}')
    assembly = write_assembly(tmp_path / "broken", {"Broken": broken})
    assert main(["demo", str(assembly)]) == 1
    out = capsys.readouterr().out
    assert "FAIL New York cached with MaxTemp 80" in out
    assert "FAIL no dead letters (5 found)" in out
    assert "Demo FAILED" in out


def test_demo_refuses_a_stack_that_is_not_the_weather_example_before_starting(
    tmp_path: Path, not_started: None, capsys: pytest.CaptureFixture[str]
) -> None:
    orders = put_pipe_stack("OrderId", "<$.dynamodb.NewImage>")
    assembly = write_assembly(tmp_path / "orders", {"Orders": orders})
    assert main(["demo", str(assembly)]) == 2
    captured = capsys.readouterr()
    assert "Starting" not in captured.out
    error = captured.err
    assert error.startswith("error: stack Orders is not the weather example")
    assert "a table keyed by Location (string) with a stream" in error
    assert "a pipe from that stream that puts items into a Momento cache (PUT /cache/*" in error
    assert "Found: table Table (key OrderId: S)." in error


def test_demo_refuses_a_weather_table_without_a_cache_put_pipe(
    tmp_path: Path, not_started: None, capsys: pytest.CaptureFixture[str]
) -> None:
    no_put = put_pipe_stack("Location", "<$.dynamodb.NewImage>")
    no_put["Resources"]["Put"]["Properties"]["HttpMethod"] = "DELETE"
    assembly = write_assembly(tmp_path / "no-put", {"NoPut": no_put})
    assert main(["demo", str(assembly)]) == 2
    error = capsys.readouterr().err
    assert "stack NoPut is not the weather example" in error
    assert "Found: table Table (key Location: S)." in error


def test_demo_reports_a_missing_assembly(
    tmp_path: Path, not_started: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", str(tmp_path / "nowhere")]) == 2
    assert "nowhere is not a cloud assembly (no manifest.json)" in capsys.readouterr().err


# -- local -----------------------------------------------------------------------------------


def test_local_shows_where_calls_go_locally_and_once_deployed(
    demo_assembly: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["local", str(demo_assembly), "--exit-after", "0.2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Starting local AWS and Momento...\n")
    assert re.search(rf"^Local AWS \(moto\): {LOCAL}  region us-east-1$", out, re.M), out
    momento = re.search(
        rf"^Momento calls go to the local Momento server: ({LOCAL})  \(deployed: {DEPLOYED}\)$",
        out,
        re.M,
    )
    assert momento, out
    cache = "/cache/momento-eventbridge-cache"
    put = re.search(r"^Pipe WeatherStack-CachePutPipe\S*: PUT (\S+)$", out, re.M)
    assert put and put.group(1) == momento.group(1) + cache, out
    assert f"\n  deployed: PUT {DEPLOYED}{cache}\n" in out
    topic = "/topics/momento-eventbridge-cache/momento-eventbridge-topic"
    assert f"\n  deployed: POST {DEPLOYED}{topic}\n" in out
    assert '  filters: {"eventName": ["INSERT", "MODIFY"]}\n' in out
    assert "Running; press Ctrl-C to stop." in out
    assert out.rstrip().endswith("Stopping.")


def test_local_defaults_to_cdk_out_in_the_current_directory(
    demo_assembly: Path, _in_an_empty_directory: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shutil.copytree(demo_assembly, _in_an_empty_directory / "cdk.out")
    assert main(["local", "--exit-after", "0.1"]) == 0
    assert "Pipe WeatherStack-CachePutPipe" in capsys.readouterr().out


def test_local_without_a_cdk_out_says_how_to_get_one(
    not_started: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["local"]) == 2
    assert capsys.readouterr().err == (
        "error: cdk.out is not a cloud assembly (no manifest.json): synthesize your app first "
        "('cdk synth' writes ./cdk.out) or pass its directory as CDK_OUT\n"
    )


def test_several_stacks_need_a_stack_name(
    demo_assembly: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    template = json.loads((demo_assembly / "WeatherStack.template.json").read_text())
    assembly = write_assembly(
        tmp_path / "two", {"First": template, "Second": copy.deepcopy(template)}
    )
    for command in ("local", "demo"):
        assert main([command, str(assembly)]) == 2
        assert capsys.readouterr().err == (
            f"error: {assembly} holds several stacks (First, Second): "
            "choose one with --stack NAME\n"
        )
    assert main(["local", str(assembly), "--stack", "Second", "--exit-after", "0.1"]) == 0
    assert "Pipe Second-CachePutPipe" in capsys.readouterr().out


def test_without_the_local_extra_it_says_what_to_install(tmp_path: Path) -> None:
    code = (
        "import sys; sys.modules['botocore'] = sys.modules['boto3'] = None; "
        "from momento_eventbridge_constructs.cli import main; sys.exit(main(sys.argv[1:]))"
    )
    for command in ("local", "demo"):
        result = subprocess.run(
            [sys.executable, "-c", code, command],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 2, result.stderr
        assert re.fullmatch(
            r"error: the local runtime needs the 'local' extra \((boto3|botocore) is not "
            r"installed\): pip install 'momento-eventbridge-constructs\[local\]'\n",
            result.stderr,
        ), result.stderr


# -- --version and --help --------------------------------------------------------------------


def test_version_prints_the_package_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    version = momento_eventbridge_constructs.__version__
    assert re.fullmatch(r"\d+\.\d+\.\d+", version)
    assert capsys.readouterr().out == f"momento-eventbridge-constructs {version}\n"


@pytest.fixture(autouse=True)
def _wide_enough(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")  # argparse wraps help to the terminal's width


def help_of(*command: str, capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as exited:
        main([*command, "--help"])
    assert exited.value.code == 0
    return capsys.readouterr().out


def test_help_lists_the_commands_and_the_exit_statuses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = help_of(capsys=capsys)
    assert text.startswith("usage: momento-eventbridge-constructs [-h] [--version] COMMAND")
    assert re.search(r"^    demo\s+run the weather demo", text, re.M)
    assert re.search(r"^    local\s+run the pipes of a synthesized stack until Ctrl-C", text, re.M)
    for status in ("  0 ", "  1 ", "  2 ", "  130 "):
        assert f"\n{status}" in text


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "demo",
            [
                "usage: momento-eventbridge-constructs demo [-h] [--stack NAME] [-v]",
                "[--momento {local,remote}] [CDK_OUT]",
                "The cache and topic are those of a local Momento server, whatever the "
                "environment holds",
                "Without CDK_OUT, the weather example bundled with the package is synthesized",
                "for any other stack the demo refuses before writing anything",
                "default: synthesize the bundled one",
                "for the bundled example WeatherStack, or WeatherSyncStack",
            ],
        ),
        (
            "local",
            [
                "usage: momento-eventbridge-constructs local [-h] [--stack NAME] [-v]",
                "[--exit-after SECONDS]",
                "Run the pipes of a synthesized stack on this machine until Ctrl-C",
                "real Momento when MOMENTO_API_KEY and MOMENTO_API_ENDPOINT are set, unless "
                "--momento local",
                "[--parameters [STACK:]NAME=VALUE]",
                "default: ./cdk.out, as 'cdk synth' writes it",
                "stop after this many seconds instead of waiting for Ctrl-C",
            ],
        ),
    ],
)
def test_help_of_each_command_says_what_it_does_and_its_defaults(
    command: str, expected: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    text = help_of(command, capsys=capsys)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert "\nexit status:\n  0    success" in text
    flowing = " ".join(text.split())  # help text wraps where the width says
    for fragment in [*expected, "130 interrupted by Ctrl-C"]:
        assert fragment in flowing, fragment


# -- which Momento ---------------------------------------------------------------------------


class _FakeRemote:
    """An HTTP server on 127.0.0.1 standing for real Momento: it records every request and
    answers 500, so a call that reaches it is seen and fails."""

    def __init__(self) -> None:
        import http.server

        requests: list[str] = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def _refuse(self) -> None:
                requests.append(f"{self.command} {self.path}")
                self.send_response(500)
                self.end_headers()

            do_GET = do_PUT = do_POST = do_DELETE = _refuse

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.requests = requests
        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self._server.server_address[1]}"
        import threading

        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def remote_variables(monkeypatch: pytest.MonkeyPatch) -> Iterator[_FakeRemote]:
    """MOMENTO_API_KEY and MOMENTO_API_ENDPOINT exported, naming a remote that must not be
    called."""
    remote = _FakeRemote()
    monkeypatch.setenv("MOMENTO_API_KEY", "eyJ-the-users-real-key")
    monkeypatch.setenv("MOMENTO_API_ENDPOINT", remote.endpoint)
    yield remote
    remote.close()


def test_demo_writes_nothing_outside_the_local_server_with_the_variables_exported(
    demo_assembly: Path, remote_variables: _FakeRemote, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["demo", str(demo_assembly)]) == 0
    captured = capsys.readouterr()
    assert remote_variables.requests == []
    assert re.search(
        rf"^Momento calls go to the local Momento server: {LOCAL}  ", captured.out, re.M
    )
    assert "\n  why: the demo uses the local server unless --momento remote is given\n" in (
        captured.out
    )
    assert "Demo finished: every expectation met." in captured.out
    assert "warning" not in captured.err
    assert remote_variables.endpoint not in captured.out + captured.err


def test_demo_momento_remote_warns_which_cache_it_writes_to_and_writes_there(
    demo_assembly: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from momento_eventbridge_constructs.local import LocalMomentoServer

    # A Momento server of its own plays the user's real Momento.
    with LocalMomentoServer(caches=["momento-eventbridge-cache"]) as real:
        monkeypatch.setenv("MOMENTO_API_KEY", real.api_key)
        endpoint = real.endpoint
        monkeypatch.setenv("MOMENTO_API_ENDPOINT", endpoint)
        assert main(["demo", str(demo_assembly), "--momento", "remote"]) == 0
        captured = capsys.readouterr()
        assert real.client().get("momento-eventbridge-cache", "New York") is not None
    assert captured.err == (
        "warning: --momento remote: the demo writes New York, San Francisco, Rio de Janeiro "
        "into cache momento-eventbridge-cache and publishes to its topic "
        f"momento-eventbridge-topic of the real Momento at {endpoint} (the account of "
        "MOMENTO_API_KEY), and deletes San Francisco again\n"
    )
    assert f"Momento calls go to real Momento: {endpoint}  " in captured.out
    assert "\n  why: --momento remote was given\n" in captured.out


def test_momento_remote_without_the_variables_is_refused_before_starting(
    demo_assembly: Path, not_started: None, capsys: pytest.CaptureFixture[str]
) -> None:
    for command in ("demo", "local"):
        assert main([command, str(demo_assembly), "--momento", "remote"]) == 2
        assert capsys.readouterr().err == (
            "error: --momento remote needs MOMENTO_API_KEY and MOMENTO_API_ENDPOINT to be set\n"
        )


def test_local_says_which_momento_it_uses_and_why(
    demo_assembly: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from momento_eventbridge_constructs.local import LocalMomentoServer

    assert main(["local", str(demo_assembly), "--exit-after", "0"]) == 0
    out = capsys.readouterr().out
    assert re.search(rf"^Momento calls go to the local Momento server: {LOCAL}  ", out, re.M)
    assert (
        "\n  why: MOMENTO_API_KEY and MOMENTO_API_ENDPOINT are not both set (--momento auto)\n"
    ) in out

    with LocalMomentoServer() as real:
        monkeypatch.setenv("MOMENTO_API_KEY", real.api_key)
        monkeypatch.setenv("MOMENTO_API_ENDPOINT", real.endpoint)
        assert main(["local", str(demo_assembly), "--exit-after", "0"]) == 0
        out = capsys.readouterr().out
        assert f"\nMomento calls go to real Momento: {real.endpoint}  (deployed: " in out
        assert (
            "\n  why: MOMENTO_API_KEY and MOMENTO_API_ENDPOINT are set (--momento auto); "
            "--momento local uses the local server\n"
        ) in out
        assert real.api_key not in out  # the real key is never printed
        assert main(["local", str(demo_assembly), "--exit-after", "0", "--momento", "local"]) == 0
        out = capsys.readouterr().out
        assert "\n  why: --momento local was given\n" in out
        assert real.requests == []  # starting, printing and stopping call nothing


def test_the_runtime_says_why_it_calls_the_momento_it_calls(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from momento_eventbridge_constructs.local.momento_backend import MomentoBackend

    assert MomentoBackend("auto", time.monotonic).reason == (
        "MOMENTO_API_KEY and MOMENTO_API_ENDPOINT are not both set (momento='auto')"
    )
    assert MomentoBackend("local", time.monotonic).reason == "momento='local' was asked for"
    monkeypatch.setenv("MOMENTO_API_KEY", "k")
    monkeypatch.setenv("MOMENTO_API_ENDPOINT", "https://api.cache.example")
    assert MomentoBackend("auto", time.monotonic).reason == (
        "MOMENTO_API_KEY and MOMENTO_API_ENDPOINT are set (momento='auto')"
    )
    assert MomentoBackend("remote", time.monotonic).reason == "momento='remote' was asked for"
