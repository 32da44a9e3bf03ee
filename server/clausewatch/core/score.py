"""Findings -> a grade from A (few risks) to E (many serious ones).

The formula, also in the README:
  score = sum over risk categories found of WEIGHT[worst severity in that category]
          - PROTECTION_CREDIT for each protection category found (the credit is at most half the score)
  grade = the first of A..E whose limit the score does not pass; a critical finding means C at best.
Each category counts once, so a long policy that repeats one clause is not punished for its length,
and the same findings always give the same grade.
"""

from __future__ import annotations

from collections import Counter

from .taxonomy import SEVERITIES, SEVERITY_RANK

WEIGHT = {"critical": 10, "high": 5, "medium": 2, "low": 1}
PROTECTION_CREDIT = 2
LIMITS = (("A", 3), ("B", 10), ("C", 20), ("D", 35))
MEANING = {
    "A": "few or no risky clauses",
    "B": "some risky clauses, none severe",
    "C": "several risky clauses, or a critical one",
    "D": "many risky clauses",
    "E": "a great many serious risky clauses",
}


def grade(findings) -> dict:
    worst: dict[str, str] = {}
    protections: set[str] = set()
    for f in findings:
        if f.polarity == "protection":
            protections.add(f.category)
        elif f.category not in worst or SEVERITY_RANK[f.severity] < SEVERITY_RANK[worst[f.category]]:
            worst[f.category] = f.severity
    risk = sum(WEIGHT[s] for s in worst.values())
    credit = min(PROTECTION_CREDIT * len(protections), risk / 2)
    score = risk - credit
    letter = next((g for g, limit in LIMITS if score <= limit), "E")
    if "critical" in worst.values() and letter < "C":
        letter = "C"
    by_severity = Counter(s for f in findings if f.polarity == "risk" for s in (f.severity,))
    return {
        "grade": letter,
        "meaning": MEANING[letter],
        "score": round(score, 2),
        "worst": min(worst.values(), key=SEVERITY_RANK.__getitem__) if worst else None,
        "by_severity": {s: by_severity.get(s, 0) for s in SEVERITIES},
        "by_category": dict(sorted(Counter(f.category for f in findings).items())),
        "risks": sum(by_severity.values()),
        "protections": sum(1 for f in findings if f.polarity == "protection"),
    }
