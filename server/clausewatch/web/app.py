"""The Flask application factory: wiring only; the routes live in api.py, reader_view.py and
reader_export.py."""

from __future__ import annotations

import logging
import traceback

from flask import Flask, request
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException

from ..core.analyze import Analyzer
from ..services import Services, build_analyzer, open_services
from ..settings import Settings
from ..vendors.watcher import Watcher
from . import api, reader_export, reader_view
from .errors import error
from .extraction_pool import cap_extraction
from .security import Forbidden, check_host, check_request, cors_headers, no_bidi

log = logging.getLogger(__name__)


HTTP_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 413: "payload_too_large",
              415: "unsupported_media_type", 422: "unprocessable", 429: "too_many_requests"}


class LoopbackClient(FlaskClient):
    """Flask's test client addressed as a browser addresses us: Host "localhost:<port>" (the
    guards accept no Host without our port), unless a test gives another base_url or Host."""

    def open(self, *args, **kwargs):
        if not args or isinstance(args[0], str):
            kwargs.setdefault("base_url", f"http://localhost:{self.application.config['CLAUSEWATCH_PORT']}")
        return super().open(*args, **kwargs)


def build_server_analyzer(settings: Settings) -> Analyzer:
    # Extraction runs in killable worker processes with a time cap (extraction_pool.py).
    return cap_extraction(build_analyzer(settings), settings)


def create_app(settings: Settings | None = None, services: Services | None = None,
               analyzer: Analyzer | None = None) -> Flask:
    """`analyzer` lets `serve` pass one that is still being built (warm.Warming); `services`
    lets a test bring its own parts (a watcher is added when it has none)."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["CLAUSEWATCH_PORT"] = settings.port
    app.test_client_class = LoopbackClient
    app.jinja_env.finalize = no_bidi  # page text in the reader view and exports: security.BIDI_CONTROLS
    app.json.sort_keys = False
    if services is None:
        services = open_services(settings, analyzer or build_server_analyzer(settings))
    elif services.watcher is None:
        services.watcher = Watcher(services)
    app.extensions["clausewatch"] = services

    app.register_blueprint(api.bp)
    app.register_blueprint(reader_view.bp)
    app.register_blueprint(reader_export.bp)

    @app.before_request
    def guard():
        # Every route checks the Host; data routes check the Origin in their blueprint.
        check_host()
        if request.method == "OPTIONS":
            check_request()
            return app.response_class(status=204)

    app.after_request(cors_headers)

    @app.errorhandler(Forbidden)
    def forbidden(exc):
        return error(exc.code, exc.message, 403)

    @app.errorhandler(HTTPException)
    def http_error(exc):
        return error(HTTP_CODES.get(exc.code, "http_error"), exc.description or exc.name, exc.code)

    @app.errorhandler(Exception)
    def unexpected(exc):
        # The frames say where it failed; the exception's message may quote the page, and page text
        # never goes to the log (SECURITY.md), so it is left out.
        log.error("unexpected %s on %s %s\n%s", type(exc).__name__, request.method, request.path,
                  "".join(traceback.format_tb(exc.__traceback__)).rstrip())
        return error("internal_error", "the server failed on this request; nothing was stored", 500)

    return app
