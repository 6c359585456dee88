"""The project itself: projen output is reproducible, the package installs cleanly."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

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


_MUTATORS = frozenset(
    {
        "add",
        "append",
        "appendleft",
        "clear",
        "discard",
        "extend",
        "extendleft",
        "insert",
        "pop",
        "popitem",
        "remove",
        "setdefault",
        "update",
    }
)
# Values that are mutable whatever their annotation says: state by nature.
_STATEFUL_CALLS = frozenset(
    {
        "BoundedSemaphore",
        "Condition",
        "ContextVar",
        "Counter",
        "Event",
        "Lock",
        "Queue",
        "RLock",
        "Semaphore",
        "SimpleQueue",
        "WeakKeyDictionary",
        "WeakSet",
        "WeakValueDictionary",
        "defaultdict",
        "deque",
        "local",
    }
)
_CONTAINER_CALLS = frozenset({"OrderedDict", "bytearray", "dict", "list", "set"})
# A container annotated with one of these is read-only for mypy: a constant, not state.
_READ_ONLY_TYPES = frozenset(
    {"AbstractSet", "Collection", "FrozenSet", "Mapping", "Sequence", "frozenset", "tuple"}
)
_MEMOIZERS = frozenset({"cache", "lru_cache"})


def _called(node: Any) -> str | None:
    """The name a call or decorator calls (``f`` of ``f(...)`` or ``m.f(...)``)."""
    func = node.func if isinstance(node, ast.Call) else node
    if isinstance(func, ast.Name):
        return func.id
    return func.attr if isinstance(func, ast.Attribute) else None


def _read_only(annotation: Any) -> bool:
    if isinstance(annotation, ast.Subscript):
        annotation = annotation.value
    name = _called(annotation) if isinstance(annotation, (ast.Name, ast.Attribute)) else None
    return name in _READ_ONLY_TYPES


def _mutable_bindings(tree: Any) -> list[str]:
    """Module-level names bound to mutable values, and functions memoized in the module."""
    found = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if any(_called(d) in _MEMOIZERS for d in node.decorator_list):
                found.append(f"{node.name}: memoized in the module")
            continue
        if not isinstance(node, (ast.Assign, ast.AnnAssign)) or node.value is None:
            continue
        value = node.value
        stateful = isinstance(value, ast.Call) and _called(value) in _STATEFUL_CALLS
        container = isinstance(
            value, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)
        ) or (isinstance(value, ast.Call) and _called(value) in _CONTAINER_CALLS)
        read_only = isinstance(node, ast.AnnAssign) and _read_only(node.annotation)
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        for target in targets:
            if not isinstance(target, ast.Name) or target.id == "__all__":
                continue
            if stateful or (container and not read_only):
                found.append(f"{target.id}: mutable value")
    return found


def _module_state(source: str) -> list[str]:
    """What a module keeps in module state: mutable module-level values, ``global``
    statements, and module-level or imported names the module's code mutates."""
    tree = ast.parse(source)
    found = set(_mutable_bindings(tree))
    shared = {  # names every function of the module sees: its own and the imported ones
        target.id
        for node in tree.body
        if isinstance(node, (ast.Assign, ast.AnnAssign))
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Name)
    }
    shared |= {
        alias.asname or alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Global):
            found.update(f"{name}: global statement" for name in node.names)
            continue
        targets: list[Any] = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in _MUTATORS
        ):
            targets = [node.func]
        for target in targets:
            if not isinstance(target, (ast.Subscript, ast.Attribute)):
                continue
            owner = target.value
            if isinstance(owner, ast.Attribute) and isinstance(owner.value, ast.Name):
                owner = owner.value  # module.NAME[...] = ..., module.NAME.append(...)
            if isinstance(owner, ast.Name) and owner.id in shared:
                found.add(f"{owner.id}: mutated")
    return sorted(found)


def _modules_state(package: Path) -> list[str]:
    """:func:`_module_state` of every module under ``package``, subpackages included."""
    return [
        f"{path.relative_to(package).as_posix()}:{line}"
        for path in sorted(package.rglob("*.py"))
        for line in _module_state(path.read_text())
    ]


_PACKAGE = ROOT / "src" / "momento_eventbridge_constructs"


_PLANTED = {
    "registry.py": """
import threading
from collections.abc import Mapping
from functools import lru_cache

__all__ = ["NAMES"]
NAMES = ("a", "b")
READ_ONLY: Mapping[str, int] = {"a": 1}
CHOICES = frozenset({"x"})
SEEN = []
SEEN_BY_KIND: dict[str, list[str]] = {}
LOCK = threading.Lock()
_count = 0


def note(name):
    local = []
    local.append(name)
    global _count
    _count += 1


@lru_cache(maxsize=None)
def lookup(name):
    return name
""",
    "sub/deeper/user.py": """
import logging

from .. import registry
from ..registry import READ_ONLY


def tweak():
    registry.NAMES.append("c")
    READ_ONLY["b"] = 2
    logging.root.level = 10
""",
}


def test_the_module_state_scan_sees_every_kind_of_state_in_every_subpackage(
    tmp_path: Path,
) -> None:
    for name, source in _PLANTED.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(source)
    assert _modules_state(tmp_path) == [
        "registry.py:LOCK: mutable value",
        "registry.py:SEEN: mutable value",
        "registry.py:SEEN_BY_KIND: mutable value",
        "registry.py:_count: global statement",
        "registry.py:lookup: memoized in the module",
        "sub/deeper/user.py:READ_ONLY: mutated",
        "sub/deeper/user.py:logging: mutated",
        "sub/deeper/user.py:registry: mutated",
    ]


def test_no_module_keeps_state_in_module_globals() -> None:
    """State belongs in the construct tree (an app-level construct) or in an instance (the
    local runtime, the commands), never in a module: every module of every subpackage is
    scanned, whatever the subpackages are."""
    packages = {path.parent for path in _PACKAGE.rglob("__init__.py")}
    assert len(packages) > 1 and any(len(p.relative_to(_PACKAGE).parts) > 1 for p in packages)
    assert _modules_state(_PACKAGE) == []
