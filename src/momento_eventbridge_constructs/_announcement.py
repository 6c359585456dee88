"""The shape of a batched sync's topic messages, shared by the definition and the commands.

Kept apart from ``_sync_definition`` (which needs aws-cdk-lib) so that ``verify``, ``demo``
and the other commands can read messages without importing the CDK.
"""

from __future__ import annotations

# The field of a batch's announcements that lists the change notices of its applied records,
# in stream order: ``{"changes": [notice, ...]}``.
BATCH_CHANGES_FIELD = "changes"
