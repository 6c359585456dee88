"""A syrupy extension that snapshots CloudFormation templates as masked, sorted JSON.

Use it where syrupy's ``snapshot`` fixture is (or through the ``template_snapshot`` fixture of
the pytest plugin)::

    from momento_eventbridge_constructs.testing import CloudFormationSnapshotExtension

    def test_template(snapshot):
        template = Template.from_stack(stack).to_json()
        assert template == snapshot.use_extension(CloudFormationSnapshotExtension)

A template (a mapping with ``Resources``) is masked with
:func:`~.templates.mask_template` first, on both sides of the comparison; anything else is
written as syrupy's JSON extension writes it. The files are those of that extension
(``__snapshots__/<test module>/<test name>.json``). Needs syrupy.
"""

from __future__ import annotations

from typing import Any

from publication import publish
from syrupy.extensions.json import JSONSnapshotExtension

from .templates import is_template, mask_template

__all__ = ["CloudFormationSnapshotExtension"]


class CloudFormationSnapshotExtension(JSONSnapshotExtension):
    """syrupy's JSON extension, masking templates with :func:`~.templates.mask_template`."""

    def serialize(self, data: Any, **kwargs: Any) -> Any:
        """The JSON text of ``data``, masked first when it is a template."""
        return super().serialize(mask_template(data) if is_template(data) else data, **kwargs)


publish()
