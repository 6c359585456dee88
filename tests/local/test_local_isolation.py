"""The command line neither imports aws-cdk-lib nor starts Node.js to read a cloud assembly.

The commands that run a stack are checked where they run (test_local_parameters.py,
tests/ops/test_parameters.py); here: that the check sees Node.js when aws-cdk-lib is imported,
and that every command's --help stays clear of both.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .. import _isolation


def test_the_check_sees_node_start_when_aws_cdk_lib_is_imported(tmp_path: Path) -> None:
    result, isolation = _isolation.run(
        ["--version"], tmp_path / "report.json", {"ISOLATION_IMPORT": "aws_cdk"}
    )
    assert result.returncode == 0, result.stderr
    assert isolation.loaded == ["aws_cdk", "constructs", "jsii"]
    assert any("node" in started for started in isolation.spawned), isolation.spawned


@pytest.mark.parametrize("command", ["local", "backfill", "redrive", "verify"])
def test_help_imports_no_aws_cdk_lib(tmp_path: Path, command: str) -> None:
    result, isolation = _isolation.run([command, "--help"], tmp_path / "report.json")
    assert result.returncode == 0, result.stderr
    assert "--parameters [STACK:]NAME=VALUE" in result.stdout
    assert isolation.loaded == []
    assert isolation.spawned == []
