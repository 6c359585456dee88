"""The Momento HTTP API calls an API destination can make."""

from __future__ import annotations

from enum import Enum

from publication import publish

__all__ = ["MomentoOperation"]


class MomentoOperation(Enum):
    """One Momento HTTP API call per API destination.

    - ``CACHE_SET``: ``PUT /cache/{cache}?key=..&ttl_seconds=..`` with the item as body.
    - ``CACHE_DELETE``: ``DELETE /cache/{cache}?key=..``, no body.
    - ``TOPIC_PUBLISH``: ``POST /topics/{cache}/{topic}`` with the message as body.
    """

    CACHE_SET = ("PUT", "/cache/*")
    CACHE_DELETE = ("DELETE", "/cache/*")
    TOPIC_PUBLISH = ("POST", "/topics/*/*")

    @property
    def http_method(self) -> str:
        """The HTTP method of the call, e.g. ``"PUT"``."""
        return self.value[0]

    @property
    def path(self) -> str:
        """The path the API destination appends to the endpoint; each ``*`` is a path
        parameter the pipe fills in (cache name, then topic name)."""
        return self.value[1]


publish()
