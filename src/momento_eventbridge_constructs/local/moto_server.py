"""moto's threaded server on a free port of 127.0.0.1: the lifecycle of local AWS."""

from __future__ import annotations

from typing import Any

from publication import publish

__all__ = ["DEFAULT_ACCOUNT", "MotoServer"]

DEFAULT_ACCOUNT = "123456789012"
"""moto's default account: the AWS CLI and SDKs reach the local resources without extra headers."""


def _moto_server_class() -> Any:
    """moto's threaded server, polling for shutdown every 50 ms instead of 500 ms.

    Falls back to moto's own class when its internals are not the ones this relies on.
    """
    from moto.moto_server.werkzeug_app import MotoRequestHandler
    from moto.server import ThreadedMotoServer

    if not callable(getattr(ThreadedMotoServer, "_server_entry", None)):
        return ThreadedMotoServer

    class QuietRequestHandler(MotoRequestHandler):
        """Logs no line per request (werkzeug's handler logs each one at INFO)."""

        def log_request(self, *args: Any, **kwargs: Any) -> None:
            pass

    class FastStopMotoServer(ThreadedMotoServer):
        def _server_entry(self) -> None:
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                create_backend_app,
            )
            from werkzeug.serving import make_server

            app = DomainDispatcherApplication(create_backend_app)
            self._server = make_server(
                self._ip_address, self._port, app, True, request_handler=QuietRequestHandler
            )
            self._server_ready_event.set()
            self._server.serve_forever(poll_interval=0.05)

    return FastStopMotoServer


class MotoServer:
    """One moto server; :attr:`endpoint` is its URL while it runs."""

    def __init__(self) -> None:
        self._server: Any = None
        self.endpoint = ""

    @property
    def running(self) -> bool:
        return self._server is not None

    def start(self) -> None:
        """Start moto on a free port of 127.0.0.1 (nothing when it runs already)."""
        if self._server is not None:
            return
        try:
            server_class = _moto_server_class()
        except ImportError as error:  # pragma: no cover - depends on the install
            raise RuntimeError(
                "the local runtime needs moto: pip install 'momento-eventbridge-constructs[local]'"
            ) from error
        server = server_class(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        self._server = server
        self.endpoint = f"http://{host}:{port}"

    def stop(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            server.stop()


publish()
