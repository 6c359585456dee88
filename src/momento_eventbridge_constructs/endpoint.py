"""Momento HTTP API endpoints."""

from __future__ import annotations

import re
from types import MappingProxyType
from urllib.parse import urlsplit

from publication import publish

from ._validation import is_token
from .errors import MomentoConstructError

__all__ = ["MomentoEndpoint"]

# AWS region -> Momento cell that serves it (docs.momentohq.com, platform/regions).
_CELLS = MappingProxyType(
    {
        "us-west-2": "cell-4-us-west-2-1",
        "us-east-1": "cell-us-east-1-1",
        "us-east-2": "cell-1-us-east-2-1",
        "eu-west-1": "cell-1-eu-west-1-1",
        "eu-west-2": "cell-1-eu-west-2-1",
        "eu-central-1": "cell-1-eu-central-1-1",
        "eu-north-1": "cell-1-eu-north-1-1",
        "ap-south-1": "cell-1-ap-south-1-1",
        "ap-northeast-1": "cell-ap-northeast-1-1",
        "ap-southeast-1": "cell-1-ap-southeast-1-1",
        "ap-southeast-2": "cell-1-ap-southeast-2-1",
    }
)

_HOST = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)


class MomentoEndpoint:
    """Base URLs of the Momento HTTP API.

    Every call must go to the cell that holds the cache; an API key works in every cell.
    """

    @staticmethod
    def for_region(region: str) -> str:
        """The HTTP API base URL of Momento's cell for an AWS region.

        Example: ``MomentoEndpoint.for_region("us-west-2")`` returns
        ``"https://api.cache.cell-4-us-west-2-1.prod.a.momentohq.com"``.

        Raises:
            MomentoConstructError: for a region without a known Momento cell, or an unresolved
                token (pass the region as a string, or use :meth:`from_url`).
        """
        if not isinstance(region, str) or is_token(region):
            raise MomentoConstructError(
                "region",
                repr(region),
                "must be a concrete AWS region name such as 'us-west-2'; for a stack without an "
                "explicit region, pass MomentoEndpoint.from_url(...) instead",
                where="MomentoEndpoint.for_region",
            )
        cell = _CELLS.get(region)
        if cell is None:
            raise MomentoConstructError(
                "region",
                repr(region),
                "has no known Momento cell; known regions: "
                + ", ".join(sorted(_CELLS))
                + ". For another cell pass its URL to MomentoEndpoint.from_url(...)",
                where="MomentoEndpoint.for_region",
            )
        return f"https://api.cache.{cell}.prod.a.momentohq.com"

    @staticmethod
    def regions() -> tuple[str, ...]:
        """The AWS regions :meth:`for_region` knows, sorted."""
        return tuple(sorted(_CELLS))

    @staticmethod
    def from_url(url: str) -> str:
        """Validate a Momento HTTP API base URL and return it unchanged.

        The URL must be ``https://<host>`` (an optional port is allowed) with no path, query,
        fragment, credentials or trailing slash, because the API destination appends
        ``/cache/*`` or ``/topics/*/*`` to it. CDK tokens (e.g. a ``CfnParameter`` value) pass
        through unvalidated.

        Raises:
            MomentoConstructError: when the URL breaks one of those rules.
        """
        where = "MomentoEndpoint.from_url"
        if is_token(url):
            return url
        if not isinstance(url, str) or not url:
            raise MomentoConstructError(
                "endpoint", repr(url), "must be a non-empty 'https://host' URL", where=where
            )

        def bad(rule: str) -> MomentoConstructError:
            return MomentoConstructError("endpoint", repr(url), rule, where=where)

        if url != url.strip() or any(ch.isspace() for ch in url):
            raise bad("must not contain white space")
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError as error:
            raise bad(f"is not a valid URL ({error})") from None
        if parts.scheme != "https":
            raise bad("must use https (API destinations only call HTTPS endpoints)")
        if parts.username is not None or parts.password is not None:
            raise bad("must not carry credentials; the connection adds the API key")
        host = parts.hostname or ""
        if not host or not _HOST.match(host):
            raise bad(
                "must name a valid host name, as in 'https://api.cache.<cell>.prod.a.momentohq.com'"
            )
        if url.endswith("/"):
            raise bad("must not end with '/'; the API destination appends the path")
        if parts.path:
            raise bad(
                "must not have a path; the API destination appends '/cache/*' or '/topics/*/*'"
            )
        if parts.query or parts.fragment or "?" in url or "#" in url:
            raise bad("must not have a query or fragment")
        if port is not None and not 1 <= port <= 65535:
            raise bad("has an invalid port")
        return url


publish()
