"""Which Momento the pipes call: a local server, or the real service named by the environment."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping

from publication import publish

from ..engine.momento_client import MomentoHttpClient
from .momento_server import LocalMomentoServer
from .specs import PipeSpec

__all__ = ["MOMENTO_MODES", "MomentoBackend"]

MOMENTO_MODES = ("auto", "local", "remote")
"""The ``momento`` modes: ``auto`` (remote when both variables are set), ``local``, ``remote``."""


def _remote_configured(environ: Mapping[str, str]) -> bool:
    return bool(environ.get("MOMENTO_API_KEY")) and bool(environ.get("MOMENTO_API_ENDPOINT"))


def _reason(mode: str, configured: bool) -> str:
    if mode != "auto":
        return f"momento={mode!r} was asked for"
    if configured:
        return "MOMENTO_API_KEY and MOMENTO_API_ENDPOINT are set (momento='auto')"
    return "MOMENTO_API_KEY and MOMENTO_API_ENDPOINT are not both set (momento='auto')"


class MomentoBackend:
    """The Momento endpoint and API key the pipes use.

    Args:
        mode: ``"local"``, ``"remote"`` (``MOMENTO_API_KEY`` and ``MOMENTO_API_ENDPOINT``) or
            ``"auto"`` (remote when both are set).
        clock: the clock of the local server (TTL expiry).

    Raises:
        ValueError: for an unknown mode, or ``remote`` without both variables.
    """

    def __init__(
        self, mode: str, clock: Callable[[], float], latency: Callable[[], float] | None = None
    ) -> None:
        if mode not in MOMENTO_MODES:
            raise ValueError("momento must be 'auto', 'local' or 'remote'")
        configured = _remote_configured(os.environ)
        if mode == "remote" and not configured:
            raise ValueError("momento='remote' needs MOMENTO_API_KEY and MOMENTO_API_ENDPOINT")
        self.remote = mode == "remote" or (mode == "auto" and configured)
        self.reason = _reason(mode, configured)
        """Why this Momento: the mode asked for, or what ``auto`` found in the environment."""
        self._clock = clock
        self._latency = latency
        self.server: LocalMomentoServer | None = None
        self.endpoint = ""
        self.api_key = ""
        self.client: MomentoHttpClient | None = None

    def start(self) -> None:
        """Start the local server (local mode) or read the environment (remote mode)."""
        if self.remote:
            self.api_key = os.environ["MOMENTO_API_KEY"]
            self.endpoint = os.environ["MOMENTO_API_ENDPOINT"].rstrip("/")
        else:
            self.api_key = LocalMomentoServer.generate_api_key()
            self.server = LocalMomentoServer(
                api_keys=[self.api_key],
                clock=self._clock,
                subscribe_wait=1.0,
                latency=self._latency,
            ).start()
            self.endpoint = self.server.endpoint
        self.client = MomentoHttpClient(self.endpoint, self.api_key, published=self._published())

    def _published(self) -> Callable[[str, str], list[str]] | None:
        server = self.server
        if server is None:
            return None

        def published(cache: str, topic: str) -> list[str]:
            return [message.text for message in server.published(cache, topic)]

        return published

    def prepare(self, pipes: Iterable[PipeSpec]) -> None:
        """Locally: create the caches the pipes call and accept the keys their connections send."""
        if self.server is None:
            return
        for pipe in pipes:
            for cache in pipe.cache_names():
                self.server.create_cache(cache)
            for key in pipe.api_keys():
                self.server.add_api_key(key)

    def stop(self) -> None:
        """Stop the local server, if any."""
        if self.server is not None:
            self.server.stop()


publish()
