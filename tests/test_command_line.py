"""The command line is defined once: one exit-status table, one error type; ``local`` and ``ops``
run on ``engine`` and never import each other (the console script's package composes both)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

from momento_eventbridge_constructs.cli.status import (
    OPERATE_MEANINGS,
    RUN_MEANINGS,
    CommandError,
    ExitStatus,
    Meanings,
)
from momento_eventbridge_constructs.engine.assembly import AssemblyError
from momento_eventbridge_constructs.local.weather_demo import NotTheWeatherExample

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "momento_eventbridge_constructs"


def _status_table(page: str) -> list[tuple[int, str]]:
    """The rows of the ``| exit status |`` table of ``docs/<page>``, backticks dropped."""
    text = (ROOT / "docs" / page).read_text()
    table = text[text.index("| exit status |") :].split("\n\n", 1)[0]
    rows = [line.strip("|").split("|") for line in table.splitlines()[2:]]
    return [(int(code), meaning.strip().replace("`", "")) for code, meaning in rows]


def _as_rows(meanings: Meanings) -> list[tuple[int, str]]:
    """As the docs spell them: the help's 'quotes' are the page's code spans."""
    return [(int(status), re.sub(r"'([\w-]+)'", r"\1", meaning)) for status, meaning in meanings]


@pytest.mark.parametrize(
    ("page", "meanings"), [("operating.md", OPERATE_MEANINGS), ("local.md", RUN_MEANINGS)]
)
def test_the_documented_exit_statuses_are_those_of_the_command_line(
    page: str, meanings: Meanings
) -> None:
    assert _status_table(page) == _as_rows(meanings)


def test_every_group_of_commands_explains_every_status() -> None:
    for meanings in (RUN_MEANINGS, OPERATE_MEANINGS):
        assert [status for status, _ in meanings] == list(ExitStatus)


def test_the_errors_that_stop_a_command_carry_status_2() -> None:
    for error in (CommandError("x"), AssemblyError("x"), NotTheWeatherExample("x")):
        assert isinstance(error, CommandError)
        assert error.exit_status == ExitStatus.NOT_RUN == 2


def _imported_modules(path: Path) -> set[str]:
    """Absolute names of the package modules ``path`` imports (relative imports resolved)."""
    package = ".".join(path.parent.relative_to(PACKAGE.parent).parts)  # what level 1 means
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return {name for name in names if name.startswith("momento_eventbridge_constructs")}


def _imports_of(subpackage: str) -> dict[str, set[str]]:
    return {
        str(path.relative_to(PACKAGE)): _imported_modules(path)
        for path in sorted((PACKAGE / subpackage).rglob("*.py"))
    }


def _importing(subpackage: str, forbidden: str) -> list[str]:
    pattern = re.compile(rf"^momento_eventbridge_constructs\.{forbidden}(\.|$)")
    return [
        f"{module} imports {name}"
        for module, names in _imports_of(subpackage).items()
        for name in sorted(names)
        if pattern.match(name)
    ]


def test_the_import_scan_resolves_relative_imports() -> None:
    """The scan resolves relative imports (else the next tests prove nothing)."""
    assert "momento_eventbridge_constructs.engine.assembly" in _imports_of("ops")["ops/context.py"]
    assert "momento_eventbridge_constructs.cli.status" in _imports_of("local")["local/cli.py"]


@pytest.mark.parametrize(
    ("subpackage", "forbidden"),
    [
        ("engine", "local"),
        ("engine", "ops"),
        ("engine", "cli"),
        ("local", "ops"),
        ("ops", "local"),
    ],
)
def test_the_engine_imports_no_side_and_the_sides_not_each_other(
    subpackage: str, forbidden: str
) -> None:
    """engine <- local, engine <- ops; local and ops never import each other (lazy imports too)."""
    assert _importing(subpackage, forbidden) == []


def test_the_engine_needs_no_aws_sdk_and_no_cdk() -> None:
    """Beside the standard library, the engine imports only JSONata (the state machines') and
    ``publication`` (a runtime dependency of its own, pure Python)."""
    top_level: set[str] = set()
    for path in (PACKAGE / "engine").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                top_level.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and not node.level:
                top_level.add((node.module or "").split(".")[0])
    assert top_level - set(sys.stdlib_module_names) == {"jsonata", "publication"}


def test_the_import_scan_sees_imports_inside_functions() -> None:
    """A lazy import in a function body counts (else the test above misses most of them)."""
    assert (
        "momento_eventbridge_constructs.local.runtime" in _imports_of("local")["local/__init__.py"]
    )


def test_local_and_ops_reach_the_command_line_only_for_its_statuses_and_options() -> None:
    """Only the console script's package composes the commands; neither side imports it."""
    for side in ("local", "ops"):
        assert _importing(side, r"cli\.(?!(status|options)\b)") == []


def test_the_exit_statuses_depend_on_nothing_but_the_status_type() -> None:
    assert _imported_modules(PACKAGE / "cli" / "status.py") == {
        "momento_eventbridge_constructs._exit_status",
        "momento_eventbridge_constructs._exit_status.CommandError",
        "momento_eventbridge_constructs._exit_status.ExitStatus",
    }
    assert _imported_modules(PACKAGE / "_exit_status.py") == set()
