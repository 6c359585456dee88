"""The documentation: a short README, every topic it used to hold kept in docs/, and a
reference that builds with no warning."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from ._support import ROOT

# The section titles of the README before it was cut to the newcomer's path (v0.2, and the
# sections v0.3 added to it): each must still stand as a heading in the README or in docs/.
SECTION_TITLES = [
    "Try it: the bundled weather example",
    "Install",
    "Minimal example",
    "One ordered reader, or three pipes?",
    "API",
    "`MomentoEndpoint`",
    "`MomentoOperation`",
    "`MomentoConnection(scope, id, *, api_key_secret, ...)`",
    "`MomentoApiDestination(scope, id, *, connection, endpoint, operation, ...)`",
    "`DynamoToMomentoPipe(scope, id, *, table, destination, cache_name, ...)`",
    "`MomentoPayload`",
    "`DynamoToMomentoSync(scope, id, *, table, connection, endpoint, cache_name, ...)`",
    "TTL: one rule for pipe and sync",
    "Imported tables",
    "Log groups",
    "Enums",
    "CDK conventions",
    "Default settings",
    "Security notes",
    "Security and compliance",
    "How the IAM policies are checked",
    "When an alarm fires",
    "Known limits",
    "Item sizes the sync carries",
    "Running pipelines locally",
    "Testing your own stack",
    "Operating it",
    "Performance",
    "Development",
    "Releasing",
    "License",
]
README_MAX_LINES = 250


def _headings(path: Path) -> set[str]:
    text = re.sub(r"(?ms)^```.*?^```", "", path.read_text(encoding="utf-8"))
    return {m.group(1).strip() for m in re.finditer(r"(?m)^#{1,6} (.+)$", text)}


def test_every_section_the_readme_had_is_still_documented() -> None:
    found = _headings(ROOT / "README.md")
    for page in (ROOT / "docs").rglob("*.md"):
        found |= _headings(page)
    missing = [title for title in SECTION_TITLES if title not in found]
    assert not missing, f"no heading in README.md or docs/ for: {missing}"


def test_the_readme_is_the_newcomers_path() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES
    titles = [line[3:] for line in lines if line.startswith("## ")]
    assert titles[:4] == SECTION_TITLES[:4]
    assert {"Testing your own stack", "Documentation", "License"} <= set(titles)


def test_every_docs_page_the_readme_links_exists() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    links = re.findall(r"\]\((docs/[^)#]*)", text)
    assert links
    assert [link for link in links if not (ROOT / link).exists()] == []


@pytest.mark.slow
def test_the_reference_builds_with_no_warning(tmp_path: Path) -> None:
    """``make docs`` in-process: mkdocs in strict mode turns every warning into an error."""
    mkdocs = Path(sys.prefix) / "bin" / "mkdocs"
    if not mkdocs.exists():
        pytest.skip("the docs toolchain installs on Python 3.11.5 and later (.projenrc.py)")
    done = subprocess.run(
        [str(mkdocs), "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    reference = (tmp_path / "site" / "reference" / "constructs" / "index.html").read_text()
    assert "DynamoToMomentoSync" in reference and "partition_key" in reference
