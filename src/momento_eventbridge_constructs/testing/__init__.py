"""Test your own CDK stack without AWS: pytest fixtures, a cache check, stable snapshots.

Install with the ``local`` extra (``pip install 'momento-eventbridge-constructs[local]'``);
pytest loads the plugin by itself (entry point ``pytest11``), which adds two fixtures:

* ``momento_local``: ``momento_local(stack, **options)`` runs the pipes and syncs of a CDK
  ``Stack`` (synthesized in-process) or of a cloud assembly directory against local AWS and a
  local Momento server, and stops them after the test (see :mod:`.pytest_plugin`);
* ``template_snapshot``: syrupy's ``snapshot`` with :class:`CloudFormationSnapshotExtension`.

And, for any test:

* :func:`wait_for_cache`: wait until the cache holds, for given keys, what the stack writes
  for the items the table holds (or nothing, for items it does not hold);
* :func:`mask_template`: a template without what changes with the CDK version or the asset
  hashes; :class:`CloudFormationSnapshotExtension` snapshots templates through it (needs
  syrupy).

Nothing here imports aws-cdk-lib, boto3 or syrupy until it is used, and nothing but these
names can be imported from here (the namespace of :mod:`momento_eventbridge_constructs`).
"""

from typing import TYPE_CHECKING

from .._namespace import lazy_exports

if TYPE_CHECKING:
    from .cache import wait_for_cache
    from .snapshot import CloudFormationSnapshotExtension
    from .templates import mask_template

__all__ = ["CloudFormationSnapshotExtension", "mask_template", "wait_for_cache"]

__getattr__, __dir__ = lazy_exports(
    globals(),
    {
        "CloudFormationSnapshotExtension": ".snapshot",
        "mask_template": ".templates",
        "wait_for_cache": ".cache",
    },
)

del TYPE_CHECKING, lazy_exports
