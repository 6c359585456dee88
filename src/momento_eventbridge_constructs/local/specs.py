"""What the local runtime runs: a resolved pipe and the API destination it calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from .patterns import CompiledPattern
from .templates import TemplateError

__all__ = ["Destination", "PipeSpec"]


@dataclass(frozen=True)
class Destination:
    """A resolved ``AWS::Events::ApiDestination`` and the auth of its connection."""

    logical_id: str
    arn: str
    http_method: str
    endpoint: str
    auth_header: str | None
    auth_value: str | None


@dataclass(frozen=True)
class PipeSpec:
    """A resolved ``AWS::Pipes::Pipe`` with a DynamoDB stream source."""

    logical_id: str
    name: str
    arn: str
    table_logical_id: str
    source_arn: str
    batch_size: int
    starting_position: str
    maximum_retry_attempts: int
    maximum_record_age_seconds: int
    dead_letter_arn: str | None
    dead_letter_url: str | None
    filters: tuple[CompiledPattern, ...]
    input_template: str | None
    path_parameter_values: tuple[str, ...]
    query_parameters: Mapping[str, str]
    header_parameters: Mapping[str, str]
    destination: Destination

    def endpoint_url(self) -> str:
        """The destination's endpoint with each ``*`` replaced by a ``PathParameterValues`` item.

        Raises:
            TemplateError: when the counts of ``*`` and of values differ.
        """
        endpoint = self.destination.endpoint
        pieces = endpoint.split("*")
        values = self.path_parameter_values
        if len(pieces) - 1 != len(values):
            raise TemplateError(
                f"pipe {self.name}: endpoint {endpoint} has {len(pieces) - 1} '*' but "
                f"{len(values)} PathParameterValues"
            )
        url = pieces[0]
        for value, piece in zip(values, pieces[1:], strict=True):
            url += quote(value, safe="") + piece
        return url

    def cache_name(self) -> str | None:
        """The Momento cache the pipe calls, read from its endpoint path (``None``: unknown)."""
        try:
            path = urlsplit(self.endpoint_url()).path
        except TemplateError:
            return None
        parts = [part for part in path.split("/") if part]
        if len(parts) >= 2 and parts[0] in ("cache", "topics"):
            return unquote(parts[1])
        return None
