"""More than two pipes on one stream: a warning that says why; `cdk synth --strict` fails."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_dynamodb as dynamodb

from momento_eventbridge_constructs import DynamoToMomentoPipe, MomentoOperation
from momento_eventbridge_constructs.pipe import READER_WARNING_ID

from .._support import ENV, ROOT, destinations, warnings, weather_table

SET, DELETE, PUBLISH = (
    MomentoOperation.CACHE_SET,
    MomentoOperation.CACHE_DELETE,
    MomentoOperation.TOPIC_PUBLISH,
)
STREAM_ARN = "arn:aws:dynamodb:us-west-2:123456789012:table/weather/stream/2024-01-01T00:00:00.000"
WHY = "DynamoDB Streams throttles more than 2 readers per shard"
WHAT_TO_DO = "Keep at most two pipes per table"


def reader_warnings(assembly: cdk.cx_api.CloudAssembly) -> dict[str, str]:
    """Construct path -> reader warning text, over every stack of the assembly."""
    return {
        path.lstrip("/"): text
        for stack in assembly.stacks
        for path, text in warnings(assembly, stack.stack_name)
        if READER_WARNING_ID in text
    }


class World:
    def __init__(self) -> None:
        self.app = cdk.App()
        # Three pipes on one table.
        self.three = self._stack("Three")
        table = weather_table(self.three)
        calls = destinations(self.three)
        for operation in MomentoOperation:
            self._pipe(self.three, operation.name, table, calls[operation])
        # Two pipes on each of two tables: within the limit.
        two = self._stack("TwoAndTwo")
        calls = destinations(two)
        for name in ("A", "B"):
            table = weather_table(two, f"Table{name}")
            self._pipe(two, f"{name}Set", table, calls[SET])
            self._pipe(two, f"{name}Delete", table, calls[DELETE])
        # One table, pipes in two stacks: counted together.
        source = self._stack("Source")
        shared = weather_table(source)
        consumer = self._stack("Consumer")
        calls = destinations(consumer)
        for operation in MomentoOperation:
            self._pipe(consumer, operation.name, shared, calls[operation])
        # The same literal stream ARN imported twice: counted together.
        imported = self._stack("Imported")
        calls = destinations(imported)
        key = {
            "partition_key": dynamodb.Attribute(name="Location", type=dynamodb.AttributeType.STRING)
        }
        for index, operation in enumerate((SET, DELETE, DELETE)):
            import_ = dynamodb.Table.from_table_attributes(
                imported, f"Import{index}", table_name="weather", table_stream_arn=STREAM_ARN
            )
            self._pipe(imported, f"Pipe{index}", import_, calls[operation], **key)
        # Acknowledged as the warning says.
        acknowledged = self._stack("Acknowledged")
        table = weather_table(acknowledged)
        calls = destinations(acknowledged)
        for operation in MomentoOperation:
            pipe = self._pipe(acknowledged, operation.name, table, calls[operation])
        cdk.Annotations.of(pipe).acknowledge_warning(READER_WARNING_ID, "delay accepted")
        # Acknowledged on the table, on the first pipe or on the stack: each silences it.
        for where in ("Table", "FirstPipe", "Stack"):
            stack = self._stack(f"AcknowledgedOn{where}")
            table = weather_table(stack)
            calls = destinations(stack)
            made = [self._pipe(stack, op.name, table, calls[op]) for op in MomentoOperation]
            scope = {"Table": table, "FirstPipe": made[0], "Stack": stack}[where]
            cdk.Annotations.of(scope).acknowledge_warning(READER_WARNING_ID, "delay accepted")
        self.assembly = self.app.synth()
        self.warnings = reader_warnings(self.assembly)

    def _stack(self, name: str) -> cdk.Stack:
        return cdk.Stack(self.app, name, env=ENV)

    @staticmethod
    def _pipe(
        stack: cdk.Stack, id: str, table: dynamodb.ITable, destination: object, **props: object
    ) -> DynamoToMomentoPipe:
        return DynamoToMomentoPipe(
            stack,
            id,
            table=table,
            destination=destination,  # type: ignore[arg-type]
            cache_name="cache",
            topic_name="topic" if id.endswith("PUBLISH") else None,
            **props,  # type: ignore[arg-type]
        )


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    yield World()


def test_third_pipe_on_a_stream_warns_and_only_it(world: World) -> None:
    three = {path: text for path, text in world.warnings.items() if path.startswith("Three/")}
    assert list(three) == ["Three/TOPIC_PUBLISH"]


def test_warning_says_why_and_what_to_do(world: World) -> None:
    text = world.warnings["Three/TOPIC_PUBLISH"]
    assert text.startswith("3 pipes read the stream of table Three/Table")
    assert "Three/CACHE_SET, Three/CACHE_DELETE, Three/TOPIC_PUBLISH" in text
    assert WHY in text and "delays every pipe on the stream" in text
    assert WHAT_TO_DO in text and "acknowledge_warning" in text


def test_two_pipes_per_table_do_not_warn(world: World) -> None:
    assert not [path for path in world.warnings if path.startswith("TwoAndTwo/")]


def test_pipes_in_another_stack_count_for_the_same_table(world: World) -> None:
    assert [path for path in world.warnings if path.startswith("Consumer/")] == [
        "Consumer/TOPIC_PUBLISH"
    ]


def test_imports_of_the_same_stream_count_together(world: World) -> None:
    assert [path for path in world.warnings if path.startswith("Imported/")] == ["Imported/Pipe2"]


def test_acknowledging_as_advised_silences_the_warning(world: World) -> None:
    assert not [path for path in world.warnings if path.startswith("Acknowledged/")]


@pytest.mark.parametrize("where", ["Table", "FirstPipe", "Stack"])
def test_acknowledging_on_the_table_any_pipe_or_the_stack_silences_it(
    world: World, where: str
) -> None:
    assert not [path for path in world.warnings if path.startswith(f"AcknowledgedOn{where}/")]


def test_the_warning_names_the_places_that_acknowledge_it(world: World) -> None:
    text = world.warnings["Three/TOPIC_PUBLISH"]
    assert "on the table, any of its pipes or their stack" in text
    assert f"Annotations.of(table).acknowledge_warning('{READER_WARNING_ID}')" in text


def test_separate_apps_do_not_share_readers() -> None:
    for _ in range(2):
        app = cdk.App()
        stack = cdk.Stack(app, "S", env=ENV)
        table = weather_table(stack)
        calls = destinations(stack)
        for operation in (SET, DELETE):
            World._pipe(stack, operation.name, table, calls[operation])
        assert reader_warnings(app.synth()) == {}


# --- the CDK CLI: `cdk synth --strict` fails on the warning ---------------------------------

FOUR_PIPES_APP = textwrap.dedent(
    """
    import os
    import aws_cdk as cdk
    from aws_cdk import aws_dynamodb as dynamodb, aws_secretsmanager as secretsmanager
    from momento_eventbridge_constructs import (
        DynamoToMomentoPipe, MomentoApiDestination, MomentoConnection, MomentoEndpoint,
        MomentoOperation,
    )

    app = cdk.App()
    stack = cdk.Stack(app, "FourPipes", env=cdk.Environment(account="123456789012",
                                                            region="us-west-2"))
    table = dynamodb.Table(
        stack, "Table",
        partition_key=dynamodb.Attribute(name="Id", type=dynamodb.AttributeType.STRING),
        stream=dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
    )
    secret = secretsmanager.Secret.from_secret_name_v2(stack, "Key", "momento")
    connection = MomentoConnection(stack, "Connection", api_key_secret=secret)
    put = MomentoApiDestination(
        stack, "Put", connection=connection, operation=MomentoOperation.CACHE_SET,
        endpoint=MomentoEndpoint.for_region("us-west-2"),
    )
    pipes = [
        DynamoToMomentoPipe(stack, f"Pipe{index}", table=table, destination=put,
                            cache_name=f"cache{index}")
        for index in range(4)
    ]
    # Acknowledged as the warning says: on the table, any pipe or the stack; or on the first
    # pipe through core Validations with the id the CLI printed.
    where = {"table": table, "pipe": pipes[0], "stack": stack}.get(os.environ.get("ACK_ON", ""))
    if where is not None:
        cdk.Annotations.of(where).acknowledge_warning(os.environ["ACK_ID"])
    elif os.environ.get("ACK_ON") == "printed-id":
        cdk.Validations.of(pipes[0]).acknowledge(
            cdk.Acknowledgment(id=os.environ["ACK_ID"], reason="delay accepted")
        )
    app.synth()
    """
)
CLI_TIMEOUT = 180


def _cdk_cli() -> Path:
    """The CDK CLI in .tools/cdk, installed by scripts/install-cdk-cli when missing."""
    cli = ROOT / ".tools" / "cdk" / "node_modules" / ".bin" / "cdk"
    if not cli.exists():
        subprocess.run(
            [str(ROOT / "scripts" / "install-cdk-cli")],
            check=True,
            timeout=CLI_TIMEOUT,
            capture_output=True,
        )
    assert cli.exists(), f"scripts/install-cdk-cli did not install {cli}"
    return cli


def _cli_env() -> dict[str, str]:
    env = {
        **os.environ,
        # The venv's Node.js (supported by jsii and the CLI) and Python come first.
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "CDK_DISABLE_VERSION_CHECK": "1",
    }
    env.pop("CDK", None)  # the CLI would read it as an option
    return env


def _finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    try:
        stdout, stderr = process.communicate(timeout=CLI_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        stdout, stderr = process.communicate()
        pytest.fail(f"{shlex.join(process.args)} took more than {CLI_TIMEOUT} s: {stderr}")  # type: ignore[arg-type]
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


class CliRun:
    """`cdk synth --strict` of a four-pipe app, started as soon as the module starts so that
    it runs while the in-process tests synthesize."""

    def __init__(self, app_dir: Path) -> None:
        self.cli = _cdk_cli()
        self.app_dir = app_dir
        (app_dir / "app.py").write_text(FOUR_PIPES_APP)
        (app_dir / "cdk.json").write_text(
            json.dumps({"app": f"{shlex.quote(sys.executable)} app.py", "notices": False})
        )
        self._strict = self._start("--strict")
        self._result: subprocess.CompletedProcess[str] | None = None

    def _start(self, *args: str, ack: tuple[str, str] | None = None) -> subprocess.Popen[str]:
        env = _cli_env()
        if ack is not None:
            env["ACK_ON"], env["ACK_ID"] = ack
        return subprocess.Popen(
            [str(self.cli), "synth", *args, "--no-notices", "-q"],
            cwd=self.app_dir,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    def strict(self) -> subprocess.CompletedProcess[str]:
        if self._result is None:
            self._result = _finish(self._strict)
        return self._result

    def strict_acknowledged(
        self, acks: dict[str, str]
    ) -> dict[str, subprocess.CompletedProcess[str]]:
        """`cdk synth --strict` of the same app once per way of acknowledging, in parallel."""
        self.strict()
        started = {
            on: self._start("--strict", "-o", f"cdk.{on}.out", ack=(on, ack_id))
            for on, ack_id in acks.items()
        }
        return {on: _finish(process) for on, process in started.items()}

    def lenient(self) -> subprocess.CompletedProcess[str]:
        """`cdk synth` without --strict on the same cloud assembly (the app is not re-run)."""
        self.strict()
        assert (self.app_dir / "cdk.out" / "manifest.json").exists()
        return _finish(self._start("--app", "cdk.out"))


@pytest.fixture(scope="module", autouse=True)
def cli_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CliRun]:
    run = CliRun(tmp_path_factory.mktemp("four-pipes"))
    yield run
    if run._strict.poll() is None:  # a test failed before waiting for it
        run._strict.kill()
        run._strict.communicate()


def test_strict_synth_fails_on_the_reader_warning(cli_run: CliRun) -> None:
    run = cli_run.strict()
    assert run.returncode not in (0, None), run.stderr
    assert "4 pipes read the stream of table FourPipes/Table" in run.stderr
    assert WHY in run.stderr
    assert "FourPipes/Pipe2" in run.stderr and "FourPipes/Pipe3" in run.stderr
    assert "Synthesis finished with warnings (--strict mode)" in run.stderr


def test_synth_without_strict_succeeds_and_still_warns(cli_run: CliRun) -> None:
    run = cli_run.lenient()
    assert run.returncode == 0, run.stderr
    assert WHY in run.stderr


@pytest.mark.slow
def test_the_four_ways_of_acknowledging_pass_strict_synth(cli_run: CliRun) -> None:
    # The CLI prints "Acknowledge with 'Annotation::<id>'": the core Validations form.
    printed = re.findall(r"Acknowledge with '([^']+)'", cli_run.strict().stderr)
    assert printed == [f"Annotation::{READER_WARNING_ID}"]
    runs = cli_run.strict_acknowledged(
        {
            "table": READER_WARNING_ID,
            "pipe": READER_WARNING_ID,
            "stack": READER_WARNING_ID,
            "printed-id": printed[0],
        }
    )
    for on, run in runs.items():
        assert run.returncode == 0, f"acknowledged on {on}: {run.stderr}"
        assert WHY not in run.stderr, on
