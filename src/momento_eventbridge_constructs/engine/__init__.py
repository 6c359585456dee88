"""The engine both the local runtime and the operating commands run on.

Reading a synthesized stack (its cloud assembly, template, parameters and intrinsics, and
:mod:`.stack`, the one model of its tables, pipes and syncs), rendering the bodies a pipe sends
(EventBridge Pipes' input templates and filter patterns), and running a state machine definition
(the Step Functions subset the sync emits). Beside the standard library it needs only
``jsonata-python`` (the ``local`` extra), for the state machines' JSONata: no AWS SDK, no
aws-cdk-lib. It never imports :mod:`momento_eventbridge_constructs.local`,
:mod:`momento_eventbridge_constructs.ops` or :mod:`momento_eventbridge_constructs.cli`.
"""

from publication import publish

from .._namespace import attach_submodules

__all__: list[str] = []

publish()
attach_submodules(__name__)
