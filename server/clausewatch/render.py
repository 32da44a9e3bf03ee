"""A readable terminal report of one analysis."""

from __future__ import annotations

import textwrap

from .taxonomy import SEVERITY_RANK

COLORS = {"critical": "\033[1;97;41m", "high": "\033[1;31m", "medium": "\033[33m", "low": "\033[36m",
          "protection": "\033[32m"}
RESET = "\033[0m"


def _label(finding, color: bool) -> str:
    key = "protection" if finding.polarity == "protection" else finding.severity
    text = f"[{'protection' if finding.polarity == 'protection' else finding.severity.upper()}]"
    return f"{COLORS[key]}{text}{RESET}" if color else text


def terminal_report(analysis, color: bool = False, width: int = 88) -> str:
    doc, g = analysis.document, analysis.grade
    out = [f"{doc['title'] or doc['url'] or 'document'}",
           f"grade {g['grade']} ({g['meaning']}) · {g['risks']} risky clauses, {g['protections']} protections · "
           f"{doc['words']} words, {doc['clauses']} clauses", ""]
    ordered = sorted(analysis.findings, key=lambda f: (f.polarity == "protection", SEVERITY_RANK[f.severity], f.start))
    for f in ordered:
        out.append(f"{_label(f, color)} {f.category}: {f.title}")
        out.append(textwrap.indent(textwrap.fill(f.explanation, width - 4), "    "))
        quote = f.quote.replace(f.match, f"»{f.match}«", 1) if f.match else f.quote
        out.append(textwrap.indent(textwrap.fill(f"“{quote}”", width - 4), "    "))
        out.append("")
    if not analysis.findings:
        out.append("No risky clauses found by the rules.")
    for w in analysis.warnings:
        out.append(f"warning: {w}")
    return "\n".join(out).rstrip() + "\n"
