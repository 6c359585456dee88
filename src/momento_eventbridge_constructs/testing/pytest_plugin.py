"""The pytest plugin of momento-eventbridge-constructs (entry point ``pytest11``).

pytest loads it in every session of an environment where the package is installed, so it
imports nothing but pytest until a fixture is used; without the ``local`` extra (boto3, moto)
the fixture skips its test with the install command, and other tests run as before.

Fixtures:

* ``momento_local``: a function ``momento_local(stack, stack_name=None, **options)`` that
  starts a :class:`~momento_eventbridge_constructs.local.LocalPipeline` on a CDK ``Stack``
  (synthesized in-process) or on a cloud assembly directory, and returns it started; every
  pipeline it started is stopped after the test. ``options`` are those of ``LocalPipeline``;
  ``momento`` defaults to ``"local"`` here, so a test never writes into real Momento because
  ``MOMENTO_API_KEY`` and ``MOMENTO_API_ENDPOINT`` happen to be set (pass ``momento="auto"``
  or ``"remote"`` to mean it).
* ``template_snapshot``: syrupy's ``snapshot`` with
  :class:`~momento_eventbridge_constructs.testing.CloudFormationSnapshotExtension` (needs
  syrupy).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from publication import publish

if TYPE_CHECKING:
    from ..local.runtime import LocalPipeline

__all__ = ["momento_local", "template_snapshot"]

INSTALL = "pip install 'momento-eventbridge-constructs[local]'"


def _runtime() -> type[LocalPipeline]:
    """The runtime class, or a skip naming the install command without the extra."""
    try:
        from ..local.runtime import LocalPipeline
    except ModuleNotFoundError as error:
        missing = (error.name or "a module").partition(".")[0]
        pytest.skip(
            f"momento_local needs the 'local' extra ({missing} is not installed): {INSTALL}"
        )
    return LocalPipeline


@pytest.fixture
def momento_local() -> Iterator[Callable[..., LocalPipeline]]:
    """``momento_local(stack_or_cdk_out, stack_name=None, **options)`` -> a started
    ``LocalPipeline``, stopped after the test (see the module)."""
    runtime = _runtime()
    started: list[LocalPipeline] = []

    def start(stack: Any, stack_name: str | None = None, **options: Any) -> LocalPipeline:
        options.setdefault("momento", "local")
        if isinstance(stack, (str, os.PathLike)):
            pipeline = runtime.from_cloud_assembly(Path(stack), stack_name, **options)
        elif stack_name is not None:
            raise TypeError("stack_name is for a cloud assembly directory, not a Stack")
        else:
            pipeline = runtime.from_stack(stack, **options)
        started.append(pipeline)
        return pipeline.start()

    yield start
    for pipeline in reversed(started):
        pipeline.stop()


@pytest.fixture
def template_snapshot(request: pytest.FixtureRequest) -> Any:
    """syrupy's ``snapshot`` masking CloudFormation templates (see the module)."""
    try:
        from .snapshot import CloudFormationSnapshotExtension
    except ModuleNotFoundError as error:
        pytest.fail(f"template_snapshot needs syrupy ({error.name} is not installed)")
    return request.getfixturevalue("snapshot").use_extension(CloudFormationSnapshotExtension)


publish()
