"""Guards that keep web pages out of the local server: loopback Host, extension Origin."""

from __future__ import annotations

import re
from flask import current_app, request

LOOPBACK_NAMES = {"127.0.0.1", "localhost", "::1"}
MOZ_EXTENSION_HOST = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


# Bidirectional embeddings, overrides and isolates (U+202A-E, U+2066-9): a hostile title or clause
# can use them to show text in another order than it is stored ("Trojan source"). Dropped from
# every value the templates print; marks of direction (U+200E/F) that RTL text needs stay.
BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")


def no_bidi(value):
    """Jinja's finalize: every printed string without bidi controls (markup we built is left as is)."""
    if isinstance(value, str) and not hasattr(value, "__html__"):
        return BIDI_CONTROLS.sub("", value)
    return value


class Forbidden(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def _host_ok(host_header: str, port: int) -> bool:
    # DNS rebinding gives an attacker's name our address; the name in Host still is theirs. Only
    # the exact forms a browser sends for our own address pass: no userinfo, path, query or
    # fragment ("127.0.0.1@evil", "localhost/x"), no default port, no trailing dot or other spelling.
    return host_header in (f"127.0.0.1:{port}", f"localhost:{port}", f"[::1]:{port}")


def _self_origins(port: int) -> set[str]:
    return {f"http://127.0.0.1:{port}", f"http://localhost:{port}", f"http://[::1]:{port}"}


def origin_allowed(origin: str | None, settings, allow_self: bool = False) -> bool:
    if not origin or origin == "null":
        return False
    if any(origin == f"chrome-extension://{ext_id}" for ext_id in settings.extension_ids):
        return True
    if settings.allow_firefox and origin.startswith("moz-extension://"):
        # Firefox gives each installed extension a random UUID as its host; nothing else is one.
        return MOZ_EXTENSION_HOST.fullmatch(origin[len("moz-extension://"):]) is not None
    # The reader view's delete form posts from the server's own origin; only that route takes it.
    return allow_self and origin in _self_origins(settings.port)


def _navigation_from_user() -> bool:
    # Typing the address or an extension opening a tab sends Sec-Fetch-Site "none"; a link or
    # form on a web page sends "cross-site" (or "same-site" from another loopback port).
    return (request.headers.get("Sec-Fetch-Mode") == "navigate"
            and request.headers.get("Sec-Fetch-Site") in ("none", "same-origin"))


# Chrome sends no Origin with an extension service worker's GET (its host permission exempts the
# request from CORS), only Sec-Fetch-Site "none" with Sec-Fetch-Mode "cors": a fetch that no web page
# can make. Firefox sends no Origin either, and counts a fetch under the extension's host permission
# as "same-origin": only a script of our own origin could send that too, and no page we serve may run
# one (every one has script-src 'none' by default-src). Only the badge's two read routes accept
# these; everything else still needs the Origin.
WORKER_GET_ENDPOINTS = {"api.vendors", "api.site"}


def _extension_worker_get(settings) -> bool:
    sites = ("none", "same-origin") if settings.allow_firefox else ("none",)
    return (request.method == "GET" and request.endpoint in WORKER_GET_ENDPOINTS
            and request.headers.get("Sec-Fetch-Site") in sites
            and request.headers.get("Sec-Fetch-Mode") == "cors")


def check_request(allow_navigation: bool = False, allow_self: bool = False) -> None:
    """Raise Forbidden unless the request may touch user data. `allow_self`: the server's own
    origin may post here (the reader view's form); no other route takes it."""
    check_host()
    settings = current_app.extensions["clausewatch"].settings
    origin = request.headers.get("Origin")
    if origin_allowed(origin, settings, allow_self=allow_self):
        return
    if allow_navigation and origin is None and _navigation_from_user():
        return
    if origin is None and _extension_worker_get(settings):
        return
    raise Forbidden("forbidden_origin", "only the clausewatch extension may use this server")


def check_host() -> None:
    settings = current_app.extensions["clausewatch"].settings
    if not _host_ok(request.headers.get("Host", ""), settings.port):
        raise Forbidden("bad_host", "requests must be addressed to 127.0.0.1 or localhost")


def cors_headers(response):
    """Echo an allowed extension Origin (never a wildcard, never our own origin: a same-origin
    form needs no CORS) so the extension's pages can read replies."""
    origin = request.headers.get("Origin")
    settings = current_app.extensions["clausewatch"].settings
    if origin and origin_allowed(origin, settings):
        response.headers["Access-Control-Allow-Origin"] = origin
        response.headers["Access-Control-Allow-Methods"] = "GET, POST, DELETE, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = "Content-Type"
        response.headers["Access-Control-Max-Age"] = "600"
    response.headers.add("Vary", "Origin")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    return response
