"""How the policy check (server/clausewatch/core/policycheck.py) does on real policies and non-policies.

    PYTHONPATH=server python bench/policy_check.py            # writes bench/policy_check.md

Real policies: the 150 pages of ../shared/data/pages (OPP-115 privacy policies, Open Terms Archive
snapshots of GenAI terms). Non-policies: our own pages in tests/fixtures/not_policies/. Each page
is extracted as the server does (extract.extract_html) and screened (language, then policy check).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PAGES = REPO.parent / "shared" / "data" / "pages"
OUT = REPO / "bench" / "policy_check.md"


def screened(path: Path):
    from clausewatch.core.extract import extract_html
    from clausewatch.core.screen import screen
    ex = extract_html(path.read_text(encoding="utf-8", errors="replace"))
    return screen(ex.text, ex.blocks, ex.title)


def main() -> int:
    rows = [json.loads(line) for line in (PAGES / "index.jsonl").read_text().splitlines() if line.strip()]
    real = [(PAGES.parent / r["path"], screened(PAGES.parent / r["path"])) for r in rows]
    own = [(p, screened(p)) for p in sorted((REPO / "tests" / "fixtures" / "not_policies").glob("*.html"))]
    passed = [p for p, s in real if s.passed]
    rejected = [(p, s) for p, s in real if not s.passed]
    false_pass = [p for p, s in own if s.passed]
    lines = [
        "# The policy check, measured",
        "",
        "`PYTHONPATH=server python bench/policy_check.py` wrote this file.",
        "",
        f"- Real policy pages (../shared/data/pages): **{len(passed)} of {len(real)}** pass.",
        f"- Our own non-policy pages (tests/fixtures/not_policies): **{len(own) - len(false_pass)} of {len(own)}**"
        " are refused.",
        "",
        "Real pages refused, with the check's reason (read each one: the snapshot is what was stored):",
        "",
        "| page | status | reason |",
        "|---|---|---|",
        *[f"| {p.name[:70]} | {s.status} | {(s.policy or {}).get('reason', s.message)} |" for p, s in rejected],
        "",
        "What those snapshots hold, read by hand: two OpenAI help-centre articles about Sora's discontinuation"
        " stored under usage-policy URLs, a 3-word script redirect, a 28-word \"Page not found\", Mistral's list"
        " of subprocessors (names and countries) and Mistral's legal notice (imprint), twice. None is terms"
        " or a privacy policy, so no grade is the honest answer for each.",
        "",
        "Non-policy pages and the check's reason:",
        "",
        "| page | status | reason |",
        "|---|---|---|",
        *[f"| {p.name} | {s.status} | {(s.policy or {}).get('reason', s.message)} |" for p, s in own],
        "",
    ]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines[4:6]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
