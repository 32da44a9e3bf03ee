"""Serve the app with waitress on loopback only."""

from __future__ import annotations

import logging
import os
import sys

from ..settings import Settings

log = logging.getLogger(__name__)


def run(settings: Settings) -> None:
    from ..history.store import StoreError
    from . import http_server
    from .app import build_server_analyzer, create_app
    from .extraction_pool import shared_pool
    from .warm import Warming
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    def build():
        analyzer = build_server_analyzer(settings)
        shared_pool().warm()
        log.info("%d rules ready", len(analyzer.rules))
        return analyzer

    def fail(exc: BaseException):
        # A broken built-in rule is a broken install: say which file and key, and stop.
        print(f"clausewatch: cannot load the rules: {exc}", file=sys.stderr, flush=True)
        os._exit(2)

    try:
        app = create_app(settings, analyzer=Warming(build, on_error=fail, then=lambda a: a.detector.warm()))
    except StoreError as exc:
        sys.exit(f"clausewatch: {exc}")
    services = app.extensions["clausewatch"]
    if settings.watch and services.watcher is not None:
        services.watcher.start()
    print(f"clausewatch: serving on http://{settings.host}:{settings.port} (history in {settings.db_path})",
          flush=True)
    print("clausewatch: load the extension from the extension/ folder of this checkout "
          "(chrome://extensions → Developer mode → Load unpacked); see extension/README.md", flush=True)
    # The host is fixed to loopback there, whatever the settings say: nothing off this machine may
    # connect. Slow clients and framing errors: http_server.py.
    server = http_server.build(app, port=settings.port, threads=settings.threads,
                               max_body_bytes=settings.max_body_bytes + 1024)
    try:
        server.run()
    except KeyboardInterrupt:
        pass
