"""A Momento API key planted wherever a user might put it never reaches the cloud assembly.

The weather example is synthesized in a child process (so the environment reaches jsii's
Node.js too) with the key in environment variables and in context (``CDK_CONTEXT_JSON`` is how
the CDK CLI passes ``-c`` and cdk.json context). Every file of the cloud assembly (templates,
asset and stack manifests, tree.json, metadata) and everything the process printed is searched.
The key given to a construct in place of the secret is rejected without being echoed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import aws_cdk as cdk
import pytest

from momento_eventbridge_constructs import MomentoConnection, MomentoConstructError

from .._support import ENV, ROOT

SENTINEL = "sentinel-momento-key-7f3c9a1e5d"
SYNTH_TIMEOUT = 180


class ExampleSynth:
    """The example app, run as the CDK CLI would run it, with the key planted."""

    def __init__(self, outdir: Path) -> None:
        self.outdir = outdir
        context = {
            "api_key_secret_name": "momento-eventbridge-api-key",
            "momento_api_key": SENTINEL,
            "api_key": SENTINEL,
        }
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "CDK_OUTDIR": str(outdir),
            "CDK_CONTEXT_JSON": json.dumps(context),
            "MOMENTO_API_KEY": SENTINEL,
            "MOMENTO_AUTH_TOKEN": SENTINEL,
            "API_KEY": SENTINEL,
        }
        # Started at import of the fixture so it runs while other tests work.
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "examples" / "weather" / "app.py")],
            cwd=ROOT / "examples" / "weather",
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._output: tuple[int, str, str] | None = None

    def output(self) -> tuple[int, str, str]:
        if self._output is None:
            try:
                stdout, stderr = self.process.communicate(timeout=SYNTH_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.communicate()
                pytest.fail(f"the example did not synthesize within {SYNTH_TIMEOUT} s")
            self._output = (self.process.returncode, stdout, stderr)
        return self._output


@pytest.fixture(scope="module", autouse=True)
def example(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExampleSynth]:
    synth = ExampleSynth(tmp_path_factory.mktemp("planted") / "cdk.out")
    yield synth
    if synth.process.poll() is None:
        synth.process.kill()
        synth.process.communicate()


def test_example_synthesizes_with_the_planted_key(example: ExampleSynth) -> None:
    returncode, _, stderr = example.output()
    assert returncode == 0, stderr
    assert (example.outdir / "WeatherStack.template.json").is_file()
    assert (example.outdir / "manifest.json").is_file()


def test_planted_key_is_in_no_assembly_file(example: ExampleSynth) -> None:
    example.output()
    files = [path for path in example.outdir.rglob("*") if path.is_file()]
    names = {path.name for path in files}
    assert {
        "WeatherStack.template.json",
        "WeatherStack.assets.json",
        "manifest.json",
        "tree.json",
    } <= names
    leaked = [str(path) for path in files if SENTINEL.encode() in path.read_bytes()]
    assert leaked == []


def test_planted_key_is_in_no_output(example: ExampleSynth) -> None:
    _, stdout, stderr = example.output()
    assert SENTINEL not in stdout
    assert SENTINEL not in stderr


def test_the_connection_reads_the_key_by_reference_only(example: ExampleSynth) -> None:
    example.output()
    template = json.loads((example.outdir / "WeatherStack.template.json").read_text())
    [connection] = [
        r for r in template["Resources"].values() if r["Type"] == "AWS::Events::Connection"
    ]
    api_key = connection["Properties"]["AuthParameters"]["ApiKeyAuthParameters"]
    assert api_key["ApiKeyName"] == "Authorization"
    value = json.dumps(api_key["ApiKeyValue"])
    assert "{{resolve:secretsmanager:" in value and ":SecretString:" in value


@pytest.mark.parametrize(
    "given",
    [
        pytest.param(lambda: SENTINEL, id="string"),
        pytest.param(lambda: cdk.SecretValue.unsafe_plain_text(SENTINEL), id="SecretValue"),
        pytest.param(lambda: {"apiKey": SENTINEL}, id="dict"),
    ],
)
def test_the_key_in_place_of_the_secret_is_rejected_unechoed(given: object) -> None:
    app = cdk.App()
    stack = cdk.Stack(app, "S", env=ENV)
    with pytest.raises(MomentoConstructError) as raised:
        MomentoConnection(stack, "Connection", api_key_secret=given())  # type: ignore[operator]
    assert raised.value.prop == "api_key_secret"
    assert SENTINEL not in str(raised.value) and SENTINEL not in raised.value.value
    assert "value not shown" in raised.value.value
