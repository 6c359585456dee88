"""The README's "Testing your own stack" example passes as written: its code block is saved
as a test file in an empty directory and run by pytest in a process of its own, with nothing
of this repository but the installed package (its plugin found through the entry point)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ._support import ROOT

SECTION = "## Testing your own stack"


def example() -> str:
    """The first Python block of the section."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split(f"\n{SECTION}\n", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match, f"no python block under {SECTION}"
    return match.group(1)


def pytest_in(directory: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        # Exported as a Momento user has them, naming nothing that answers: the example must
        # not need (nor reach) real Momento.
        "MOMENTO_API_KEY": "eyJ-not-a-real-key",
        "MOMENTO_API_ENDPOINT": "http://127.0.0.1:9",
    }
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *arguments],
        cwd=directory,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )


def test_the_example_is_a_test_of_the_cache_and_of_the_template() -> None:
    code = example()
    assert "def test_the_cache_follows_the_table(momento_local):" in code
    assert "def test_the_template_stays_as_pinned(template_snapshot):" in code
    assert "wait_for_cache(" in code


@pytest.mark.slow
def test_the_readme_example_passes_as_written(tmp_path: Path) -> None:
    (tmp_path / "test_cached_table.py").write_text(example())
    first = pytest_in(tmp_path, "--snapshot-update")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "2 passed" in first.stdout and "1 snapshot generated" in first.stdout, first.stdout
    again = pytest_in(tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "2 passed" in again.stdout and "1 snapshot passed" in again.stdout, again.stdout
    snapshot = tmp_path / "__snapshots__/test_cached_table/test_the_template_stays_as_pinned.json"
    text = snapshot.read_text()
    assert "BootstrapVersion" not in text and "AWS::CDK::Metadata" not in text
