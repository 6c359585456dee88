"""The release machinery: release notes from the changelog, the release check, the workflows."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from ._packaging import ROOT, Distributions, project_version

SCRIPTS = ROOT / "scripts"
WORKFLOWS = ROOT / ".github" / "workflows"
CHANGELOG = """\
# Changelog

## [Unreleased]

## [1.2.0] - 2026-12-01

### Added
- Something new.

## [1.1.0] - 2026-11-01

### Fixed
- A bug.

## 1.0.0

First release.

## [0.9.0] - 2026-01-01

[1.2.0]: https://example.test/compare/v1.1.0...v1.2.0
[1.1.0]: https://example.test/compare/v1.0.0...v1.1.0
"""


@pytest.fixture(scope="module")
def changelog() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "changelog_section", SCRIPTS / "changelog_section.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run_script(name: str, *arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPTS / name), *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=1200,
    )


# -- release notes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "notes"),
    [
        ("1.2.0", "### Added\n- Something new."),
        ("1.1.0", "### Fixed\n- A bug."),
        ("1.0.0", "First release."),
    ],
)
def test_the_section_of_a_version_is_its_body(
    changelog: ModuleType, version: str, notes: str
) -> None:
    assert changelog.changelog_section(CHANGELOG, version) == notes


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.2", "no section for version 1.2"),
        ("2.0.0", "no section for version 2.0.0"),
        ("0.9.0", "section of version 0.9.0 is empty"),  # ends at the link definitions
        ("Unreleased", "section of version Unreleased is empty"),
    ],
)
def test_a_missing_or_empty_section_is_an_error(
    changelog: ModuleType, version: str, message: str
) -> None:
    with pytest.raises(changelog.MissingSection, match=message):
        changelog.changelog_section(CHANGELOG, version)


def test_the_script_prints_the_notes_or_fails(tmp_path: Path) -> None:
    path = tmp_path / "CHANGELOG.md"
    path.write_text(CHANGELOG)
    printed = run_script("changelog_section.py", "1.1.0", "--changelog", str(path))
    assert (printed.returncode, printed.stdout) == (0, "### Fixed\n- A bug.\n")
    missing = run_script("changelog_section.py", "3.0.0", "--changelog", str(path))
    assert missing.returncode == 1
    assert missing.stderr == f"error: {path}: the changelog has no section for version 3.0.0\n"


def test_the_changelog_has_notes_for_the_version_being_built(changelog: ModuleType) -> None:
    text = (ROOT / "CHANGELOG.md").read_text()
    assert changelog.changelog_section(text, project_version()).startswith("### ")


# -- the release check -----------------------------------------------------------------------


def fake_dist(directory: Path, version: str, wheels: int = 1) -> Path:
    """Files named and labelled like a build of ``version`` (enough for the early checks)."""
    directory.mkdir()
    (directory / f"momento_eventbridge_constructs-{version}.tar.gz").write_bytes(b"")
    for n in range(wheels):
        tag = "py3-none-any" if n == 0 else "py3-none-manylinux"
        wheel = directory / f"momento_eventbridge_constructs-{version}-{tag}.whl"
        with zipfile.ZipFile(wheel, "w") as archive:
            archive.writestr(
                f"momento_eventbridge_constructs-{version}.dist-info/METADATA",
                "Metadata-Version: 2.4\nName: momento-eventbridge-constructs\n"
                f"Version: {version}\n",
            )
    return directory


def test_release_check_refuses_a_tag_that_is_not_the_version(tmp_path: Path) -> None:
    dist = fake_dist(tmp_path / "dist", "0.1.0")
    result = run_script("release_check.py", str(dist), "--tag", "v0.2.0", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "ok   built momento_eventbridge_constructs-0.1.0.tar.gz and "
        "momento_eventbridge_constructs-0.1.0-py3-none-any.whl"
    ]
    assert result.stderr.startswith(
        "FAIL tag v0.2.0 does not match the version of the built files, 0.1.0"
    )


def test_release_check_wants_one_sdist_and_one_wheel(tmp_path: Path) -> None:
    dist = fake_dist(tmp_path / "dist", "0.1.0", wheels=2)
    result = run_script("release_check.py", str(dist), cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith(f"FAIL {dist} must hold one sdist and one wheel; found ")


@pytest.mark.slow
def test_release_check_passes_on_the_built_distributions(
    distributions: Distributions, tmp_path: Path
) -> None:
    """The release job's checks, on this machine: twine, a clean install, demo, imports."""
    tag = f"v{project_version()}"
    result = run_script(
        "release_check.py", str(distributions.directory), "--tag", tag, cwd=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    for expected in (
        f"ok   tag {tag} matches the version",
        f"ok   CHANGELOG.md has a section for {project_version()}",
        "ok   twine check --strict passes",
        f"ok   --version prints momento-eventbridge-constructs {project_version()}",
        "ok   momento-eventbridge-constructs demo: every expectation met",
        "Release check passed.",
    ):
        assert expected in lines, expected
    assert list(tmp_path.iterdir()) == []  # everything happened in its own directory


# -- the workflows ---------------------------------------------------------------------------


def actionlint(*arguments: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.prefix) / "bin" / "actionlint"), "-no-color", "-oneline", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_actionlint_finds_nothing_in_the_workflows() -> None:
    result = actionlint()
    assert (result.returncode, result.stdout) == (0, "")


def test_actionlint_does_find_defects(tmp_path: Path) -> None:
    """The linter is a real one: a workflow with an unknown input and an injection fails."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - uses: actions/checkout@v7\n        with:\n          nope: 1\n"
        '      - run: echo "${{ github.event.head_commit.message }}"\n'
    )
    result = actionlint(str(bad), cwd=tmp_path)
    assert result.returncode == 1
    assert 'input "nope" is not defined' in result.stdout
    assert "potentially untrusted" in result.stdout


def workflow(name: str) -> dict[Any, Any]:
    loaded: dict[Any, Any] = yaml.safe_load((WORKFLOWS / f"{name}.yml").read_text())
    return loaded


def runs(job: dict[str, Any]) -> list[str]:
    return [step["run"] for step in job["steps"] if "run" in step]


def test_ci_tests_every_supported_python_and_the_declared_floors(
    distributions: Distributions,
) -> None:
    ci = workflow("ci")
    assert set(ci[True]) == {"push", "pull_request"}  # YAML reads the key `on` as True
    jobs = ci["jobs"]
    assert runs(jobs["lint"]) == ["make lint typecheck"]
    assert runs(jobs["test"]) == ["make pytest"]
    assert runs(jobs["lowest"]) == ["make test-lowest"]
    with zipfile.ZipFile(distributions.wheel) as archive:
        info = f"momento_eventbridge_constructs-{project_version()}.dist-info/METADATA"
        metadata = archive.read(info).decode()
    prefix = "Classifier: Programming Language :: Python :: "
    # Classifier lines only: the README that follows in METADATA may hold lines like "3. ...".
    declared = [
        line.removeprefix(prefix) for line in metadata.splitlines() if line.startswith(prefix)
    ]
    declared = [version for version in declared if version.startswith("3.")]
    assert jobs["test"]["strategy"]["matrix"]["python"] == declared
    lowest_python = jobs["lowest"]["steps"][1]["with"]["python-version"]
    assert lowest_python == declared[0] == "3.10"


def test_release_builds_once_checks_then_publishes_with_trusted_publishing() -> None:
    release = workflow("release")
    assert release[True] == {"push": {"tags": ["v*"]}}
    jobs = release["jobs"]
    assert runs(jobs["build"]) == ['TAG="$GITHUB_REF_NAME" make release-check']
    publish = jobs["publish"]
    assert publish["needs"] == "build"
    assert publish["permissions"] == {"id-token": "write"}
    assert publish["environment"]["name"] == "pypi"
    (upload,) = [s for s in publish["steps"] if "gh-action-pypi-publish" in s.get("uses", "")]
    assert "with" not in upload  # no password: PyPI trusts the workflow's OIDC token
    assert all(
        "id-token" not in jobs[name].get("permissions", {}) for name in jobs if name != "publish"
    )
    assert runs(jobs["github-release"])[0] == (
        'python3 scripts/changelog_section.py "${GITHUB_REF_NAME#v}" > notes.md'
    )
    for name in ("publish", "github-release"):
        downloads = [s for s in jobs[name]["steps"] if "download-artifact" in s.get("uses", "")]
        assert downloads and downloads[0]["with"]["name"] == "dist"  # the files built once


def test_make_targets_the_workflows_call_exist() -> None:
    makefile = (ROOT / "Makefile").read_text()
    for target in ("lint", "typecheck", "pytest", "test-lowest", "release-check", "dist"):
        assert f"\n{target}:" in makefile, target
