"""The reader view: the extracted policy with its findings marked inline, rendered on the server."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, request

from ..core.budget import Budget
from ..core.taxonomy import SEVERITY_RANK
from .notices import notices
from .security import check_request

bp = Blueprint("report", __name__)
# No script runs in the reader view and no inline style is allowed: policy text is data only.
CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'"


def paragraphs(text: str, clauses: list[dict], findings: list[dict]) -> list[dict]:
    """Group clauses into paragraphs (blocks are separated by a blank line in the extracted text),
    each clause with the findings on it, worst first."""
    by_clause: dict[int, list[dict]] = {}
    for f in findings:
        by_clause.setdefault(f["start"], []).append(f)
    out: list[dict] = []
    previous_end = 0
    for clause in clauses:
        gap = text[previous_end:clause["start"]]
        if not out or "\n" in gap or clause["kind"] == "heading" or out[-1]["kind"] == "heading":
            out.append({"kind": clause["kind"], "clauses": []})
        found = sorted(by_clause.get(clause["start"], []), key=lambda f: (f["polarity"] == "protection",
                                                                           SEVERITY_RANK[f["severity"]]))
        out[-1]["clauses"].append({"text": text[clause["start"]:clause["end"]], "findings": found,
                                   "anchor": f"c{clause['start']}"})
        previous_end = clause["end"]
    return out


def group(findings: list[dict]) -> list[dict]:
    """One entry per category, worst first, so an explanation is read once and its clauses listed under it."""
    groups: dict[str, dict] = {}
    for f in findings:
        g = groups.setdefault(f["category"], {"category": f["category"], "title": f["title"], "severity": f["severity"],
                                              "polarity": f["polarity"], "explanation": f["explanation"], "hits": []})
        if SEVERITY_RANK[f["severity"]] < SEVERITY_RANK[g["severity"]]:
            g.update(severity=f["severity"], title=f["title"], explanation=f["explanation"])
        g["hits"].append(f)
    return sorted(groups.values(), key=lambda g: (g["polarity"] == "protection", SEVERITY_RANK[g["severity"]]))


def load_report(report_id: str) -> tuple[dict, dict | None]:
    """The stored version behind a report id and its changes since the version before it; the
    reader view and its exports check and load the same way."""
    check_request(allow_navigation=True)
    services = current_app.extensions["clausewatch"]
    store = services.store
    version = store.version(report_id=report_id)
    if version is None:
        abort(404, "no such report")
    older = [i for i in store.versions_of(version["document_id"]) if i < version["id"]]
    # Read back when the popup or an earlier view computed it; else computed once, in budget, and kept.
    budget = Budget(services.settings.request_cpu_seconds)
    changes = store.diff(older[-1], version["id"], check=lambda: budget.left() > 0) if older else None
    return version, changes


@bp.get("/report/<report_id>")
def view(report_id: str):
    check_request(allow_navigation=True)
    notice = notices().get(report_id)
    if notice is not None:
        # A page with no grade (not English, not a policy): the reader view says why, nothing more.
        response = current_app.response_class(render_template("notice.html", n=notice), mimetype="text/html")
        response.headers["Content-Security-Policy"] = CSP
        return response
    version, changes = load_report(report_id)
    findings = sorted(version["findings"], key=lambda f: (f["polarity"] == "protection",
                                                          SEVERITY_RANK[f["severity"]], f["start"]))
    html = render_template("report.html", v=version, findings=findings, changes=changes, groups=group(findings),
                           paragraphs=paragraphs(version["text"], version["clauses"], version["findings"]))
    response = current_app.response_class(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = CSP
    return response


@bp.post("/report/delete")
def delete():
    """The reader view's delete button: a form post from the server's own origin (or the extension)."""
    check_request(allow_self=True)
    document = request.form.get("document", "")
    if not (document.isascii() and document.isdigit() and len(document) <= 18):  # "²", 30 digits: were 500s
        abort(400, "which document to delete is missing")
    deleted = current_app.extensions["clausewatch"].store.delete(int(document))
    return render_template("deleted.html", deleted=deleted)
