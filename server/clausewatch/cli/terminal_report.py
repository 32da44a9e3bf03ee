"""A terminal report a person can read: a summary first, then findings grouped by category.

Each group says what the clause means once and then quotes the clauses, so a policy that repeats
itself is not read out ten times. Debugging detail (rule ids, positions) is only shown on request.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

from ..core.taxonomy import SEVERITIES, SEVERITY_RANK

COLORS = {"critical": "\033[1;97;41m", "high": "\033[1;31m", "medium": "\033[33m", "low": "\033[36m",
          "protection": "\033[32m"}
RESET = "\033[0m"


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 protection', '2 protections', '0 clauses': every count the report prints goes through here."""
    return f"{n} {word if n == 1 else (many or word + 's')}"


@dataclass(frozen=True, slots=True)
class Options:
    min_severity: str | None = None   # show risks of this severity or worse; None: all, protections too
    limit: int | None = None          # findings quoted per group; the rest are counted
    explain: bool = False             # rule ids and positions, for whoever tunes the rules
    color: bool = False
    width: int = 88


def _label(key: str, color: bool) -> str:
    text = f"[{'protection' if key == 'protection' else key.upper()}]"
    return f"{COLORS[key]}{text}{RESET}" if color else text


def summary(grade: dict, document: dict) -> list[str]:
    sev = grade["by_severity"]
    counts = ", ".join(f"{sev[s]} {s}" for s in SEVERITIES if sev.get(s))
    risks = plural(grade["risks"], "risky clause") + (f" ({counts})" if counts else "")
    return [f"grade {grade['grade']} ({grade['meaning']})",
            f"{risks} · {plural(grade['protections'], 'protection')}",
            f"{plural(document['words'], 'word')} in {plural(document['clauses'], 'clause')}"]


def groups(findings, min_severity: str | None) -> list[list]:
    """Findings by category: risks worst first, then protections; each group in page order."""
    cutoff = SEVERITY_RANK[min_severity] if min_severity else len(SEVERITIES)
    by_category: dict[str, list] = {}
    for f in findings:
        if f.polarity == "protection" and min_severity:
            continue  # a protection has no severity to compare: asking for a floor means risks only
        if f.polarity != "protection" and SEVERITY_RANK[f.severity] > cutoff:
            continue
        by_category.setdefault(f.category, []).append(f)
    out = [sorted(fs, key=lambda f: (SEVERITY_RANK[f.severity], f.start)) for fs in by_category.values()]
    return sorted(out, key=lambda fs: (fs[0].polarity == "protection", SEVERITY_RANK[fs[0].severity],
                                        -len(fs), fs[0].start))


def _group(fs, opt: Options) -> list[str]:
    head = fs[0]  # the worst of the group speaks for it
    key = "protection" if head.polarity == "protection" else head.severity
    fill = lambda text, indent="    ": textwrap.indent(textwrap.fill(text, opt.width - len(indent)), indent)
    out = [f"{_label(key, opt.color)} {head.title} ({head.category}, {plural(len(fs), 'clause')})",
           fill(head.explanation), ""]
    shown = fs if opt.limit is None else fs[:opt.limit]
    for f in shown:
        quote = f.quote.replace(f.match, f"»{f.match}«", 1) if f.match else f.quote
        severity = "" if f.polarity == "protection" or f.severity == head.severity else f"({f.severity}) "
        out.append(fill(f"{severity}“{quote}”", "      "))
        if opt.explain:
            out.append(f"        rule {f.rule} · chars {f.start}–{f.end} · matched “{f.match}”")
    if len(fs) > len(shown):
        out.append(f"      … and {len(fs) - len(shown)} more")
    out.append("")
    return out


def terminal_report(analysis, options: Options | None = None, **kwargs) -> str:
    opt = options or Options(**kwargs)
    doc, g = analysis.document, analysis.grade
    out = [f"{doc['title'] or doc['url'] or 'document'}", *summary(g, doc), ""]
    chosen = groups(analysis.findings, opt.min_severity)
    shown = sum(len(fs) for fs in chosen)
    if opt.min_severity and shown < len(analysis.findings):
        out += [f"showing {plural(shown, 'finding')} of severity {opt.min_severity} or worse", ""]
    for fs in chosen:
        out += _group(fs, opt)
    if not analysis.findings:
        out.append("No risky clauses found.")
    elif not chosen:
        out.append(f"No risky clauses of severity {opt.min_severity} or worse.")
    for w in analysis.warnings:
        out.append(f"warning: {w}")
    return "\n".join(out).rstrip() + "\n"
