"""The project itself: projen output is reproducible, the package installs cleanly."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import momento_eventbridge_constructs
from momento_eventbridge_constructs.testing import mask_template

from ._packaging import ROOT, CleanVenv, tracked_files
from ._support import PUBLIC_API


def projen_outputs() -> list[str]:
    managed = json.loads((ROOT / ".projen/files.json").read_text())["files"]
    return sorted({*managed, ".projen/files.json"})


def test_public_api_is_exactly_the_contract() -> None:
    assert set(momento_eventbridge_constructs.__all__) == PUBLIC_API
    for name in PUBLIC_API:
        assert getattr(momento_eventbridge_constructs, name).__module__.startswith(
            "momento_eventbridge_constructs."
        )
    assert issubclass(momento_eventbridge_constructs.MomentoConstructError, ValueError)


def test_core_import_does_not_load_the_local_runtime() -> None:
    code = (
        "import sys, momento_eventbridge_constructs; "
        "print(any(m.startswith('momento_eventbridge_constructs.local') for m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, timeout=120
    )
    assert out.stdout.strip() == "False"


def test_projen_regenerates_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    for name in tracked_files():
        target = copy / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target)
    outputs = projen_outputs()
    for name in outputs:  # regenerate from nothing, not on top of the committed output
        (copy / name).unlink(missing_ok=True)
    subprocess.run(["git", "init", "-q"], cwd=copy, check=True)
    env = {**os.environ, "PROJEN_DISABLE_POST": "1"}
    subprocess.run(
        [sys.executable, ".projenrc.py"],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    for name in outputs:
        assert (copy / name).read_bytes() == (ROOT / name).read_bytes(), (
            f"{name} differs from what .projenrc.py generates: run 'make projen' and commit"
        )


def declared_floor(package: str) -> str:
    """The lower bound of a runtime dependency as pyproject.toml declares it."""
    text = (ROOT / "pyproject.toml").read_text()
    match = re.search(rf'"{re.escape(package)}>=([0-9.]+),<[0-9]+"', text)
    assert match, f"{package} must be declared as a floor range in pyproject.toml"
    return match.group(1)


@pytest.mark.slow
def test_declared_minimum_aws_cdk_lib_synthesizes_the_example(tmp_path: Path) -> None:
    """The floor in pyproject.toml is a promise: the example must synthesize on exactly it."""
    floor = declared_floor("aws-cdk-lib")
    venv = CleanVenv(tmp_path / "venv")
    venv.install(f"aws-cdk-lib=={floor}", f"constructs=={declared_floor('constructs')}", str(ROOT))
    assert f"aws-cdk-lib {floor}" in " ".join(venv.installed().split())
    outdir = tmp_path / "cdk.out"
    # jsii runs on this suite's Node.js (JSII_NODE, set by conftest), not the machine's.
    venv.run(
        str(venv.python),
        "-m",
        "momento_eventbridge_constructs.examples.weather",
        CDK_OUTDIR=str(outdir),
        # As tests/test_weather_example.py synthesizes it for its snapshot.
        CDK_CONTEXT_JSON=json.dumps({"region": "us-west-2", "aws:cdk:enable-path-metadata": True}),
    )
    template = json.loads((outdir / "WeatherStack.template.json").read_text())
    types = [resource["Type"] for resource in template["Resources"].values()]
    assert types.count("AWS::Pipes::Pipe") == 3
    assert types.count("AWS::Events::ApiDestination") == 3
    # The snapshot taken with the latest aws-cdk-lib holds on the floor too, once masked.
    snapshot = ROOT / "tests/__snapshots__/test_weather_example/test_full_template_snapshot.json"
    assert mask_template(template) == json.loads(snapshot.read_text())


_MUTATORS = {"append", "extend", "add", "setdefault", "update", "pop", "clear", "insert"}


def _module_registries(path: Path) -> list[str]:
    """Module-level names that the module's own code mutates: registries in disguise."""
    import ast

    tree = ast.parse(path.read_text())
    globals_ = {
        target.id
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    mutated = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            mutated.update(node.names)
        elif isinstance(node, (ast.Assign, ast.AugAssign, ast.Delete)):
            targets = node.targets if isinstance(node, (ast.Assign, ast.Delete)) else [node.target]
            for target in targets:
                if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name):
                    mutated.add(target.value.id)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _MUTATORS
            and isinstance(node.func.value, ast.Name)
        ):
            mutated.add(node.func.value.id)
    return sorted(f"{path.relative_to(_PACKAGE)}:{name}" for name in globals_ & mutated)


_PACKAGE = ROOT / "src" / "momento_eventbridge_constructs"


def test_no_module_keeps_state_in_module_globals() -> None:
    """State belongs in the construct tree (an app-level construct) or in an instance (the
    local runtime, the commands), never in a module: every subpackage is scanned."""
    paths = sorted(_PACKAGE.rglob("*.py"))
    assert {path.parent.name for path in paths} >= {"local", "ops", "cli", "testing"}
    found = [name for path in paths for name in _module_registries(path)]
    assert found == []
