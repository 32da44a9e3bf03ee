"""The JSON API the extension calls (DEVELOPERS.md has the contract)."""

from __future__ import annotations

import base64
import binascii
import json
import re
from urllib.parse import urlsplit

from flask import Blueprint, current_app, jsonify, request, url_for

from ..core.budget import Budget, LimitExceeded, current_budget
from ..core.extract import ExtractionError
from ..core.match import MatchTimeout
from ..core.pdf import PdfError, looks_like_pdf
from ..history.store import version_of
from .errors import error
from .notices import notices
from .security import check_request
from .site import site_status

bp = Blueprint("api", __name__, url_prefix="/api")
TEXT_FIELDS = ("url", "html", "text", "title")
# JSON may carry "\ud800" alone (a page's JS string cut in a pair): no UTF-8 can hold it, and it
# was a 500 where text is hashed or stored. It becomes U+FFFD, as a decoder would make it.
LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _text(value: str) -> str:
    return LONE_SURROGATE.sub("\ufffd", value)


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


@bp.errorhandler(ApiError)
def api_error(exc):
    return error(exc.code, exc.message, exc.status)


def services():
    return current_app.extensions["clausewatch"]


@bp.before_request
def guard():
    if request.endpoint != "api.health":
        check_request()


@bp.get("/health")
def health():
    s = services()
    # While the rules still compile (warm.py) the server is up but not ready; health never waits.
    ready = getattr(s.analyzer, "ready", True)
    return jsonify({"status": "ok", "ready": ready, "rules": len(s.analyzer.rules) if ready else None,
                    "model": (s.analyzer.detector.encoder is not None) if ready else None,
                    "vendors": len(s.vendors.items)})


def _json_body() -> dict:
    if request.mimetype != "application/json":
        raise ApiError("unsupported_media_type", "send the page as application/json", 415)
    raw = request.get_data(cache=False)
    if not raw.strip():
        raise ApiError("empty_body", "the request body is empty", 400)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError("bad_encoding", "the body is not UTF-8", 400) from None
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        raise ApiError("bad_json", "the body is not valid JSON", 400) from None
    if not isinstance(body, dict):
        raise ApiError("bad_json", "the body must be a JSON object", 400)
    return body


def _validated(body: dict) -> dict:
    for key in TEXT_FIELDS:
        if key in body and body[key] is not None and not isinstance(body[key], str):
            raise ApiError("bad_field", f"'{key}' must be a string", 400)
    if body.get("pdf") is not None and not isinstance(body["pdf"], str):
        raise ApiError("bad_field", "'pdf' must be a base64 string", 400)
    has_html, has_text, has_pdf = bool(body.get("html")), bool(body.get("text")), bool(body.get("pdf"))
    if has_html + has_text + has_pdf != 1:
        raise ApiError("missing_field", "send exactly one of 'html', 'text' or 'pdf'", 400)
    title = _text((body.get("title") or "")[:500])
    if has_pdf:
        return {"url": _url(body), "title": title, "html": None, "text": None, "pdf": pdf_bytes(body["pdf"])}
    content = _text(body.get("html") or body.get("text"))
    if "\x00" in content:
        content = content.replace("\x00", "")
    return {"url": _url(body), "title": title,
            "html": content if has_html else None, "text": content if has_text else None, "pdf": None}


def _url(body: dict) -> str:
    url = _text((body.get("url") or "")[:2048])
    try:
        urlsplit(url).hostname  # "http://[::1" raises here, and was a 500 further on
    except ValueError:
        raise ApiError("bad_field", "'url' is not a valid URL", 400) from None
    return url


def pdf_bytes(encoded: str) -> bytes:
    """The PDF the service worker fetched, base64 in JSON (the body-size cap covers it)."""
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise ApiError("bad_field", "'pdf' is not valid base64", 400) from None
    if not looks_like_pdf(data):
        raise ApiError("pdf_malformed", "This file is not a PDF.", 422)
    return data


# CPU the diff may spend of the request's budget. A real page's diff costs milliseconds; past this a
# hostile pair of versions is told in part ("complete": false), and the request that finishes a
# long page (detect.Reading) stays within its bound with the model's and the store's work beside it.
DIFF_CPU_SECONDS = 0.4


def request_budget() -> Budget:
    """The CPU one request may spend, extraction, matching and diff together (budget.Budget)."""
    s = services()
    return Budget(getattr(s.analyzer, "cpu_seconds", None), s.settings.analysis_seconds)


def analysis_payload(analysis, stored: dict, vendor, doc_type=None, budget: Budget | None = None) -> dict:
    """The answer, from the analysis in memory; `stored` (what Store.record kept) only gives the
    ids. The previous version is read from the history: it is not in memory."""
    s = services()
    # The diff is computed once per pair of versions and kept (store.diff); past the request's
    # budget it is told in part rather than failing a page that was analysed and stored.
    check = None
    if budget is not None:
        until = budget.spent() + min(DIFF_CPU_SECONDS, max(budget.left(), 0.0))
        check = lambda: budget.spent() < until  # noqa: E731
    changes = s.store.diff(stored["previous_version_id"], stored["version_id"], check=check,
                           new=version_of(analysis, stored["report_id"]))
    return {
        "report_id": stored["report_id"],
        "report_url": url_for("report.view", report_id=stored["report_id"], _external=True),
        "status": analysis.status,
        "message": None,
        "document": analysis.document,
        "grade": analysis.grade,
        "findings": [f.to_dict() for f in analysis.findings],
        "changes": changes,
        "vendor": _vendor(vendor, doc_type),
        "warnings": analysis.warnings,
    }


def _vendor(vendor, doc_type) -> dict | None:
    # doc_type says whether this page is one of the vendor's listed policies (its badge's grade).
    return {"id": vendor.id, "name": vendor.name, "doc_type": doc_type} if vendor else None


def unanswered_payload(analysis, url: str, vendor, doc_type) -> dict:
    """Not English or not a policy: 200, no grade, no findings, and why (DESIGN.md). Not stored
    in the history, so the vendor's badge keeps the grade of its own policies."""
    report_id = notices().remember(analysis, url)
    screening = analysis.screening
    return {
        "report_id": report_id,
        "report_url": url_for("report.view", report_id=report_id, _external=True),
        "status": analysis.status, "message": screening["message"],
        "language": screening["language"], "language_name": screening["language_name"],
        "document": analysis.document, "grade": None, "findings": [], "changes": None,
        "vendor": _vendor(vendor, doc_type), "warnings": analysis.warnings,
        "policy_check": screening.get("policy_check") or None,
    }


def reading_payload(analysis) -> dict:
    """The model's budget for this request ran out before the page's end: no grade, nothing
    stored, and the same request again reads on from there (detect.Reading)."""
    progress = analysis.progress
    return {"status": "reading", "progress": progress, "grade": None, "findings": [], "changes": None,
            "document": analysis.document, "warnings": analysis.warnings,
            "message": (f"Read {progress['read']:,} of {progress['of']:,} clauses so far; "
                        "send the same request again to read on.")}


@bp.post("/analyze")
def analyze():
    req = _validated(_json_body())
    s = services()
    vendor, doc_type = s.vendors.for_url(req["url"]) if req["url"] else (None, None)
    budget = request_budget()
    token = current_budget.set(budget)
    try:
        analysis = s.analyzer.analyze(html=req["html"], text=req["text"], url=req["url"], title=req["title"],
                                      pdf=req["pdf"], gate=True)
    except (LimitExceeded, PdfError) as exc:
        raise ApiError(exc.code, str(exc), exc.status) from None
    except ExtractionError as exc:
        raise ApiError("no_text", str(exc), 422) from None
    except MatchTimeout as exc:
        raise ApiError("analysis_timeout", str(exc), 503) from None
    finally:
        current_budget.reset(token)
    if analysis.status == "reading":
        return jsonify(reading_payload(analysis))
    if analysis.status != "analysed":
        return jsonify(unanswered_payload(analysis, req["url"], vendor, doc_type))
    stored = s.store.record(analysis, url=req["url"], vendor=vendor.id if vendor and doc_type else None,
                            doc_type=doc_type, source="user")
    return jsonify(analysis_payload(analysis, stored, vendor, doc_type, budget))


@bp.get("/vendors")
def vendors():
    return jsonify(services().vendors.to_json())


def _host_arg() -> str:
    if request.method == "GET":
        host = request.args.get("host")
    else:
        # silent=True does not catch the RecursionError of deeply nested JSON, and a JSON list or
        # string has no .get: both were 500s (found by tests/test_fuzz.py).
        try:
            body = request.get_json(silent=True)
        except RecursionError:
            body = None
        host = body.get("host") if isinstance(body, dict) else None
    if not isinstance(host, str) or not host.strip():
        raise ApiError("missing_field", "give the site's host, as ?host=zoom.us", 400)
    return _text(host.strip())


@bp.get("/site")
def site():
    # Reads only: a GET never makes the server fetch anything (POST /api/site/fetch asks for that).
    return jsonify(site_status(services(), _host_arg()))


@bp.post("/site/fetch")
def site_fetch():
    """The badge asks the watcher to fetch a known vendor it has no version of yet; the watcher
    fetches that vendor's listed policy URLs only, never a URL of the request."""
    s = services()
    vendor = s.vendors.for_host(_host_arg())
    if vendor is None:
        raise ApiError("unknown_vendor", "that host is not a known vendor", 404)
    requested = bool(s.watcher and s.watcher.request(vendor.id))
    return jsonify({"vendor": vendor.id, "requested": requested, "watching": s.settings.watch})


@bp.post("/site/seen")
def site_seen():
    s = services()
    vendor = s.vendors.for_host(_host_arg())
    if vendor is None:
        raise ApiError("unknown_vendor", "that host is not a known vendor", 404)
    return jsonify({"vendor": vendor.id, "marked": s.store.mark_seen(vendor.id)})


@bp.get("/history")
def history():
    return jsonify({"documents": services().store.history()})


@bp.delete("/history")
def delete_history():
    document = request.args.get("document")
    # isdigit() alone lets "²" (int() fails) and 30-digit ids (SQLite overflows) through: both were 500s.
    if document is not None and not (document.isascii() and document.isdigit() and len(document) <= 18):
        raise ApiError("bad_field", "'document' must be a document id", 400)
    deleted = services().store.delete(int(document) if document else None)
    return jsonify({"deleted": deleted})
