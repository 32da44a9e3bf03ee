"""Before any grading: is the page in a language we read, and is it terms or a privacy policy?

A page that fails either gets no grade and no findings, only a status and a sentence that says
why (DESIGN.md: "not an error", 200 with "grade": null). The same sentences are shown by the
popup, the badge, the reader view and the CLI, so they are written here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from . import language, policycheck

ANALYSED, UNSUPPORTED_LANGUAGE, NOT_A_POLICY = "analysed", "unsupported_language", "not_a_policy"
NOT_A_POLICY_MESSAGE = "This page doesn't look like terms or a privacy policy"


def unsupported_message(language_name: str) -> str:
    return f"clausewatch reads English terms for now; this page is in {language_name}"


@dataclass(slots=True)
class Screening:
    status: str
    language: str
    language_name: str
    english_share: float
    message: str | None = None
    policy: dict = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return self.status == ANALYSED

    def to_dict(self) -> dict:
        return {"status": self.status, "message": self.message, "language": self.language,
                "language_name": self.language_name, "english_share": round(self.english_share, 3),
                "policy_check": self.policy}


def screen(text: str, blocks, title: str = "") -> Screening:
    lang = language.detect(text, blocks)
    common = dict(language=lang.code, language_name=lang.name, english_share=lang.english_share)
    if not lang.supported:
        return Screening(UNSUPPORTED_LANGUAGE, message=unsupported_message(lang.name), **common)
    check = policycheck.check(text, title, blocks)
    if not check.is_policy:
        return Screening(NOT_A_POLICY, message=NOT_A_POLICY_MESSAGE, policy=check.to_dict(), **common)
    return Screening(ANALYSED, policy=check.to_dict(), **common)
