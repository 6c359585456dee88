"""The engine both the local runtime and the operating commands run on.

Reading a synthesized stack (its cloud assembly, template, parameters and intrinsics),
rendering the bodies a pipe sends (EventBridge Pipes' input templates and filter patterns),
and running a state machine definition (the Step Functions subset the sync emits). It needs
no AWS SDK and no aws-cdk-lib; it never imports :mod:`momento_eventbridge_constructs.local`,
:mod:`momento_eventbridge_constructs.ops` or :mod:`momento_eventbridge_constructs.cli`.
"""
