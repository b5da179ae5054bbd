"""The start and stop every loopback stand-in server of the tests shares: a threaded HTTP
server on 127.0.0.1 (a free port), serving from a daemon thread until stopped."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def serve(handler: type[BaseHTTPRequestHandler]) -> ThreadingHTTPServer:
    """``handler``'s server on 127.0.0.1, already answering; its port in ``server_address``."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True,
                     kwargs={"poll_interval": 0.05}).start()
    return httpd


def stop(httpd: ThreadingHTTPServer | None) -> None:
    """Stop serving and free the port."""
    assert httpd is not None
    httpd.shutdown()
    httpd.server_close()
