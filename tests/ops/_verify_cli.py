"""Running ``verify`` through the command line on a deployed stack, for the verify tests."""

from __future__ import annotations

import json
from typing import Any

import pytest

FAST = ("--timeout", "10", "--ttl-probe", "2")


def verify_report(
    deployed: Any, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, Any]:
    """``verify --json`` on ``deployed``: its exit status and its report."""
    names = [f"--resource={name}" for name in deployed.resources]
    status = deployed.cli("verify", "--json", *FAST, *names, *extra)
    return status, json.loads(capsys.readouterr().out)


def steps_by_name(report: Any) -> dict[str, dict[str, Any]]:
    """The report's steps by their names."""
    return {step["step"]: step for step in report["steps"]}
