"""Serve the app with waitress on loopback only."""

from __future__ import annotations

import logging
import sys

from .config import Settings


def run(settings: Settings) -> None:
    from waitress import serve

    from .app import create_app
    from .store import StoreError
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = create_app(settings)
    except StoreError as exc:
        sys.exit(f"clausewatch: {exc}")
    services = app.extensions["clausewatch"]
    if settings.watch and services.watcher is not None:
        services.watcher.start()
    print(f"clausewatch: serving on http://{settings.host}:{settings.port} "
          f"({len(services.analyzer.matcher.rules)} rules, history in {settings.db_path})", flush=True)
    print("clausewatch: load the extension from the extension/ folder of this checkout "
          "(chrome://extensions → Developer mode → Load unpacked); see extension/README.md", flush=True)
    # The host is fixed to loopback here, whatever the settings say: nothing off this machine may connect.
    serve(app, host="127.0.0.1", port=settings.port, threads=settings.threads, ident="clausewatch",
          max_request_body_size=settings.max_body_bytes + 1024, channel_timeout=60, _quiet=True)
