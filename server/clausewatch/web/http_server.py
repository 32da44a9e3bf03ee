"""waitress, as clausewatch runs it: guarded against slow clients, with JSON for its own errors.

Slowloris: 120 connections that send half a request (above waitress's default limit of 100) made
the extension's request wait 70 s, until waitress's 60 s idle timeout freed a slot. Now there is
headroom (CONNECTION_LIMIT, with poll() so descriptors past 1024 work), a connection idle for
IDLE_SECONDS is closed, and a request that has not fully arrived INCOMPLETE_SECONDS after its
first byte is closed however slowly it drips. A request being answered is never cut.

Framing errors (bad chunked encoding, oversized headers or body) are answered by waitress before
the app sees a request; ErrorTask here writes them as our JSON error shape, with nosniff.
"""

from __future__ import annotations

import json
import time

from waitress.channel import HTTPChannel
from waitress.server import create_server
from waitress.task import ErrorTask

CONNECTION_LIMIT = 500
IDLE_SECONDS = 15
INCOMPLETE_SECONDS = 10
CLEANUP_SECONDS = 1
CODES = {400: "bad_request", 408: "request_timeout", 413: "payload_too_large", 431: "headers_too_large",
         500: "internal_error"}


class JsonErrorTask(ErrorTask):
    def execute(self):
        e = self.request.error
        body = json.dumps({"error": {"code": CODES.get(e.code, "bad_request"),
                                     "message": f"{e.reason}: {e.body}"}}).encode("utf-8")
        self.status = f"{e.code} {e.reason}"
        self.response_headers.extend([("Content-Type", "application/json"), ("X-Content-Type-Options", "nosniff")])
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class GuardedChannel(HTTPChannel):
    error_task_class = JsonErrorTask
    request_started: float | None = None  # when the first byte of the request now arriving came

    def received(self, data):
        if self.request is None and data:
            self.request_started = time.monotonic()
        try:
            return super().received(data)
        finally:
            if self.request is None:
                self.request_started = None


def _maintenance(server, now: float) -> None:
    """waitress's idle sweep, plus: close a request still arriving INCOMPLETE_SECONDS after it began."""
    type(server).maintenance(server, now)
    cutoff = time.monotonic() - INCOMPLETE_SECONDS
    for channel in list(server.active_channels.values()):
        started = getattr(channel, "request_started", None)
        if started is not None and started < cutoff and not channel.requests:
            channel.will_close = True


def build(app, *, port: int, threads: int, max_body_bytes: int):
    """The waitress server on 127.0.0.1 only (whatever the settings say), not yet running."""
    server = create_server(app, host="127.0.0.1", port=port, threads=threads, ident="clausewatch",
                           max_request_body_size=max_body_bytes, connection_limit=CONNECTION_LIMIT,
                           channel_timeout=IDLE_SECONDS, cleanup_interval=CLEANUP_SECONDS,
                           asyncore_use_poll=True)
    # create_server picks waitress's server class itself; these two hooks are what we change.
    server.channel_class = GuardedChannel
    server.maintenance = lambda now: _maintenance(server, now)
    return server
