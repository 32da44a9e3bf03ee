"""Export a report to share it (a journalist's use): one self-contained HTML file, or JSON.

The HTML is the reader view with its stylesheet inlined and no link to the server, the delete form
or anything else outside the file; a Content-Security-Policy in the file itself lets only that
one stylesheet apply, so the file stays inert wherever it is opened.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from datetime import datetime, timezone
from importlib.metadata import PackageNotFoundError, version as package_version
from pathlib import Path

from flask import Blueprint, current_app, render_template

from ..core.taxonomy import SEVERITY_RANK
from . import reader_view

bp = Blueprint("export", __name__)
CSS = Path(__file__).with_name("static") / "report.css"


def _generator() -> str:
    try:
        return f"clausewatch {package_version('clausewatch')}"
    except PackageNotFoundError:
        return "clausewatch"


def _filename(version: dict, ext: str) -> str:
    name = version.get("vendor") or version.get("key") or "report"
    if version.get("doc_type"):
        name += "-" + version["doc_type"]
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "report"
    return f"clausewatch-{slug}-{version['first_seen'][:10]}.{ext}"


def _attachment(body: str, mimetype: str, filename: str, csp: str):
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Content-Security-Policy"] = csp
    return response


@bp.get("/report/<report_id>/export.html")
def export_html(report_id: str):
    version, changes = reader_view.load_report(report_id)
    css = CSS.read_text(encoding="utf-8")
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    csp = f"default-src 'none'; style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    findings = sorted(version["findings"], key=lambda f: (f["polarity"] == "protection",
                                                          SEVERITY_RANK[f["severity"]], f["start"]))
    context = {"v": version, "findings": findings, "changes": changes, "export": True, "inline_css": css,
               "export_csp": csp, "exported_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
               "paragraphs": reader_view.paragraphs(version["text"], version["clauses"], version["findings"]),
               "groups": reader_view.group(findings)}
    html = render_template("report.html", **context)
    return _attachment(html, "text/html", _filename(version, "html"), csp)


@bp.get("/report/<report_id>/export.json")
def export_json(report_id: str):
    version, changes = reader_view.load_report(report_id)
    body = {
        "generator": _generator(),
        "exported_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
        "document": {k: version.get(k) for k in ("url", "vendor", "doc_type")} | {
            k: version["document"].get(k) for k in ("title", "language", "words", "clauses")},
        "version": {k: version[k] for k in ("report_id", "content_hash", "source", "first_seen", "last_seen")},
        "grade": version["grade"],
        "findings": version["findings"],
        "changes": changes,
        "text": version["text"],
    }
    return _attachment(json.dumps(body, ensure_ascii=False, indent=2), "application/json",
                       _filename(version, "json"), "default-src 'none'")
