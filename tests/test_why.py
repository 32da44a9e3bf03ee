"""Clauses the detector has got wrong, and their mirrors, over real HTTP on realistic pages.

Each row of WHY is (page, a substring that identifies one clause of it, what MUST be true, what
must NOT be true), checked on the findings whose quote contains that substring. The pages are
tests/fixtures/why/*.html: short made-up terms and privacy pages of fictional companies, with the
example sentences among ordinary clauses. They go through `clausewatch serve` as a subprocess
(started once for this module), the same way the extension sends a page.

Tokens in MUST: a category id (a finding of that category, with the taxonomy's polarity), or
RISK (at least one finding with polarity "risk": the clause is not only green), or HIGH (at least
one finding of severity high or critical).
Tokens in MUST_NOT: a category id (no finding of it), CRITICAL (no finding of severity critical),
HIGH (no finding of severity high or critical), or ANY (no finding at all).

The server runs the model when server/clausewatch/core/detector/ holds valid files, and the rules
alone otherwise (CLAUSEWATCH_NO_MODEL=1 forces that); every failure message says which it was.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import FIXTURES, TEST_EXTENSION_ID
from test_server_process import free_port, request

PAGES = FIXTURES / "why"
RISK = "risk"
CRITICAL = "critical"
HIGH = "high"
ANY = "any"


@dataclass(frozen=True)
class Why:
    id: str
    page: str
    clause: str
    must: tuple[str, ...] = ()
    must_not: tuple[str, ...] = ()


PARLEY, LUMEN, NORTHWIND = "parley_privacy.html", "lumen_terms.html", "northwind_agreement.html"
COPILOT, COUPONGO = "tessellate_copilot_terms.html", "coupongo_privacy.html"

WHY = [
    # 1. A practice with an opt-out is still the practice: red (the opt-out may be green beside it).
    Why("01-ai-training-unless-opt-out", PARLEY, "including training our models, unless you opt out",
        must=("ai_training", RISK)),
    # 2. "may not delete our copy" denies deletion; it offers none.
    Why("02-deleting-may-not-delete-our-copy", PARLEY, "may not delete our copy of your personal information",
        must=("no_deletion",), must_not=("deletion_available",)),
    # 3. A denial of sale and sharing is not a sale or a sharing.
    Why("03-none-sold-or-shared", PARLEY, "None of the information collected is sold or shared with any third party",
        must_not=("data_sale", "third_party_sharing")),
    # 4. A pointer to documentation about training is no training of your data.
    Why("04-model-documentation", LUMEN, "learn more about our model mechanism or training methods",
        must_not=("ai_training", CRITICAL)),
    # 5. What the user may do with outputs (train *their own* models) is no training on the user.
    Why("05-user-may-train-own-models", LUMEN, "You may use Outputs for any lawful purpose",
        must_not=("ai_training", CRITICAL)),
    # 6. The provider indemnifying the customer is a protection, not "you pay their costs".
    Why("06-provider-indemnifies-customer", NORTHWIND, "Northwind will defend Customer against any third-party claim",
        must_not=("indemnification",)),
    # 7. A restriction on the customer's use of Output is neither a promise nor a practice of training.
    Why("07-customer-may-not-train-competitor", NORTHWIND, "use any Output to train a machine learning model",
        must_not=("commitment_no_ai_training", "ai_training")),
    # 8. A prohibited use that mentions biometrics collects none.
    Why("08-prohibited-biometric-categorisation", LUMEN, "categorise people based on their biometric data",
        must_not=("sensitive_data",)),
    # 9-12. Plain wording, no legal keywords: still the practice.
    Why("09-disagreement-resolved-by-arbitration", COPILOT, "it will be resolved by arbitration",
        must=("arbitration",)),
    Why("10-waive-class-action", COPILOT, "You waive any right to participate in a class action lawsuit",
        must=("class_action_waiver",)),
    Why("11-provided-as-is", LUMEN, "The Service is provided as is, without warranties of any kind",
        must=("liability_limitation",)),
    Why("12-copilot-give-same-rights-to-others", COPILOT, "we can give those same rights to others who work with us",
        must=("content_license",)),
    # 13. A reassurance about cancelling is no renewal trap (ChatGPT's EU terms were shown red).
    Why("13-not-charged-after-cancel", LUMEN, "You will not be charged again after you cancel",
        must_not=("auto_renewal",)),
    # 14. A promise that changes are not retroactive limits the power to change; it is not that power.
    Why("14-changes-only-going-forward", LUMEN, "Any changes will only apply to our relationship going forward",
        must_not=("unilateral_change",)),
    # 15. Managing a paid plan in settings refuses no practice: not a green "you can opt out".
    Why("15-manage-plan-in-settings", LUMEN, "manage your paid plan from the Billing page",
        must_not=("opt_out_available",)),
    # 16. A price rise with 30 days' notice is a change of the deal, but not "with little or no
    # notice", which is what makes it high (ChatGPT's EU terms were shown high).
    Why("16-price-rise-with-30-days-notice", LUMEN, "If we increase the price of a subscription, we will give you at least 30 days",
        must_not=(HIGH,)),
    # 17. What the user may do about a change is no change power: that clause is elsewhere.
    Why("17-recourse-if-you-reject-a-change", LUMEN, "If you do not agree to the revised Terms, you must stop using",
        must_not=(HIGH,)),
    # 18-19. TAXONOMY.md: a definition or a heading is not a finding. A law's name for a practice
    # says nothing of what this company does; a title line is no clause.
    Why("18-definition-of-a-practice", COUPONGO, "is referred to under California law as",
        must_not=("tracking",)),
    Why("19-title-line", COPILOT, "Updates to these Terms",
        must_not=("unilateral_change",)),
    # 20. Training with a way out is still training, but milder than training with none.
    Why("20-ai-training-with-opt-out-is-not-critical", PARLEY, "including training our models, unless you opt out",
        must=("ai_training", HIGH), must_not=(CRITICAL,)),
    # 21. "not ... without your consent" is a promise with an exception: no "without consent" escalation.
    Why("21-no-disclosure-without-consent-unless-court-order", PARLEY, "We will not disclose your messages to government",
        must_not=(HIGH,)),
    # 22. Messages about the user's own account that cannot be refused: a milder no-opt-out.
    Why("22-no-opt-out-of-account-emails-is-not-high", COUPONGO, "You may not opt out of transactional emails",
        must=("no_opt_out",), must_not=(HIGH,)),
    # 23. How models are made, with nobody's data named, is no training on the user.
    Why("23-how-models-are-trained-names-no-data", LUMEN, "Lumen Labs trains its models in two stages",
        must_not=("ai_training",)),
    # 24. "If you do not want your data used for training, do not use X" is training with one way
    # out, not a promise: a rule's hit on the denial wording must not make it green.
    Why("24-do-not-use-it-if-you-do-not-want-training", LUMEN, "do not use Preview models",
        must=("ai_training",), must_not=("commitment_no_ai_training",)),
    # 25-26. A French paragraph of an English page is not read by an English model and English
    # rules: it was a content-removal, jurisdiction and liability clause.
    Why("25-french-paragraph-of-an-english-page", LUMEN, "Le consommateur dispose d'un délai de deux ans",
        must_not=(ANY,)),
    Why("26-french-paragraph-of-an-english-page", LUMEN, "Toute période d'indisponibilité du service",
        must_not=(ANY,)),
    # 27. A squarely stated class-action waiver is high in the plural too ("class actions").
    Why("27-waive-class-actions-plural", COPILOT, "you also waive your right to take part in class actions",
        must=("class_action_waiver", HIGH)),
    # Mirrors: the fixes above must not turn into "never report".
    Why("m1-we-sell-to-data-brokers", COUPONGO, "We sell your personal information to data brokers",
        must=("data_sale",)),
    Why("m2-we-will-never-sell", PARLEY, "We will never sell your personal information",
        must=("commitment_no_sale",), must_not=("data_sale",)),
    Why("m3-you-indemnify-us", LUMEN, "You agree to indemnify and hold us harmless",
        must=("indemnification",)),
    Why("m4-delete-account-from-settings", LUMEN, "You can delete your account and all associated data at any time",
        must=("deletion_available",), must_not=("no_deletion",)),
    Why("m5-plan-renews-automatically", LUMEN, "Paid plans renew automatically every month until you cancel",
        must=("auto_renewal",)),
    Why("m6-we-may-update-terms", LUMEN, "We may update these Terms from time to time",
        must=("unilateral_change",)),
    Why("m7-change-terms-without-notice", COPILOT, "We may modify these Copilot Terms at any time without notice",
        must=("unilateral_change", HIGH)),
    Why("m8-tracking-that-says-its-name", COUPONGO, "We and our ad partners track your activity across other websites",
        must=("tracking", HIGH)),
    Why("m9-location-always-on-cannot-be-switched-off", COUPONGO, "Location collection is always on",
        must=("no_opt_out", HIGH)),
    # A list item takes its data from the sentence that leads the list.
    Why("m10-training-as-a-listed-purpose", PARLEY, "train and build models for our services",
        must=("ai_training",)),
]

URLS = {
    PARLEY: "https://parley.example/legal/privacy",
    LUMEN: "https://lumen.example/legal/terms",
    NORTHWIND: "https://northwind-cloud.example/legal/customer-agreement",
    COPILOT: "https://tessellate.example/legal/copilot-terms",
    COUPONGO: "https://coupongo.example/privacy",
}


def norm(text: str) -> str:
    return " ".join(text.replace("\u2019", "'").split()).lower()


@pytest.fixture(scope="module")
def why_server(tmp_path_factory):
    """One `clausewatch serve` for the module (test_server_process.py's `server` is per test, and
    loading the model per test would cost more than the tests). Only CLAUSEWATCH_NO_MODEL and
    CLAUSEWATCH_MODEL_THREADS pass through from the environment."""
    tmp = tmp_path_factory.mktemp("why-server")
    port = free_port()
    keep = {"CLAUSEWATCH_NO_MODEL", "CLAUSEWATCH_MODEL_THREADS"}
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSEWATCH_") or k in keep}
    env.update(XDG_DATA_HOME=str(tmp / "data"), XDG_CONFIG_HOME=str(tmp / "config"),
               CLAUSEWATCH_EXTENSION_IDS=TEST_EXTENSION_ID)
    exe = Path(sys.executable).with_name("clausewatch")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "clausewatch"]
    log = open(tmp / "server.log", "w+", encoding="utf-8")
    proc = subprocess.Popen(cmd + ["serve", "--port", str(port), "--no-watch"], env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail("clausewatch serve exited: " + log.read())
            try:
                if request(port, "/api/health", origin=None)[0] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                log.seek(0)
                pytest.fail("server did not answer /api/health: " + log.read())
            time.sleep(0.1)
        yield port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def analysed(why_server):
    """page -> {"findings", "text", "mode"}: each page analysed once, its extracted text read back
    through the report's JSON export (what the server really read)."""
    port = why_server
    out = {}
    for page, url in URLS.items():
        html = (PAGES / page).read_text(encoding="utf-8")
        status, data = request(port, "/api/analyze", {"url": url, "html": html})
        assert status == 200, (page, data)
        status, export = request(port, f"/report/{data['report_id']}/export.json")
        assert status == 200, (page, export)
        out[page] = {"findings": data["findings"], "text": export["text"], "warnings": data["warnings"]}
    status, health = request(port, "/api/health", origin=None)
    mode = "model" if health.get("model") else "rules alone"
    for page in out.values():
        page["mode"] = mode
    return out


def on_clause(findings: list[dict], clause: str) -> list[dict]:
    return [f for f in findings if norm(clause) in norm(f["quote"])]


def describe(found: list[dict]) -> str:
    return "; ".join(f"{f['category']}/{f['severity']}/{f['polarity']} by {f['rule']} on {f['match']!r}"
                     for f in found) or "no findings"


def test_the_table_speaks_the_taxonomy():
    from clausewatch.core.taxonomy import CATEGORIES
    assert len({w.id for w in WHY}) == len(WHY)
    for w in WHY:
        assert (PAGES / w.page).is_file(), w
        for token in w.must:
            assert token in CATEGORIES or token in (RISK, HIGH), (w.id, token)
        for token in w.must_not:
            assert token in CATEGORIES or token in (CRITICAL, HIGH, ANY), (w.id, token)
        assert not set(w.must) & set(w.must_not), w.id


@pytest.mark.parametrize("why", WHY, ids=[w.id for w in WHY])
def test_the_clause_is_one_clause_of_what_the_server_read(why):
    # Otherwise a MUST_NOT row would pass on a clause the server never read, or read cut in two.
    from clausewatch.core.extract import extract_html
    from clausewatch.core.segment import segment
    extracted = extract_html((PAGES / why.page).read_text(encoding="utf-8"), URLS[why.page])
    clauses = [extracted.text[c.start:c.end] for c in segment(extracted.text, extracted.blocks)
               if c.kind != "heading"]
    holding = [c for c in clauses if norm(why.clause) in norm(c)]
    assert len(holding) == 1, (why.id, holding)


@pytest.mark.parametrize("why", WHY, ids=[w.id for w in WHY])
def test_why(why, analysed):
    from clausewatch.core.taxonomy import CATEGORIES
    page = analysed[why.page]
    assert norm(page["text"]).count(norm(why.clause)) == 1, f"{why.id}: the server did not read the clause once"
    found = on_clause(page["findings"], why.clause)
    categories = {f["category"] for f in found}
    context = f"{why.id} [{page['mode']}]: {describe(found)}"
    for token in why.must:
        if token == RISK:
            assert any(f["polarity"] == "risk" for f in found), f"only green or nothing: {context}"
        elif token == HIGH:
            assert any(f["severity"] in (HIGH, CRITICAL) for f in found), f"nothing high: {context}"
        else:
            assert token in categories, f"missing {token}: {context}"
            want = CATEGORIES[token].polarity
            assert all(f["polarity"] == want for f in found if f["category"] == token), f"{token} not {want}: {context}"
    for token in why.must_not:
        if token == CRITICAL:
            assert not any(f["severity"] == "critical" for f in found), f"critical: {context}"
        elif token == HIGH:
            assert not any(f["severity"] in (HIGH, CRITICAL) for f in found), f"high: {context}"
        elif token == ANY:
            assert not found, f"read at all: {context}"
        else:
            assert token not in categories, f"wrongly {token}: {context}"
