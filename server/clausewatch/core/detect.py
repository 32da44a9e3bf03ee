"""Findings from clauses: the encoder decides what a clause shows, the rules say where and how bad.

How the two combine (DEVELOPERS.md has the long form):
1. The encoder scores every clause for every taxonomy id. Two thresholds, chosen on the selection
   set (training/choose_thresholds.py; one pair serves every id): the model alone shows a category
   at `thresholds`; at the lower `with_rule` it shows it only where one of the id's built-in rules
   hits the clause too. Two signals are surer than one: a rule's phrase makes a middling score
   believable (AI training as the tenth purpose of a long list), and a high bar for the model
   alone keeps out clauses that only sound like the topic. A rule never shows a category by
   itself, so the model still decides whether a clause is a risk, a protection or neither,
   because only it reads negation, direction and mention versus practice.
2. A contrary pair (a risk and the protection that denies it, such as data_sale and
   commitment_no_sale) can never both show on one clause: the surer of the two stays. So a clause
   is never green and red for the same thing. A risk beside the protection that softens it
   (MITIGATED: a change with notice, training with an opt-out), or worded mildly (wording.py: no
   opt-out of account emails), shows one step under its category's default at most, unless its
   rule's escalation fired.
3. On each shown category the built-in rules of that category run: a hit marks the phrase, gives
   the rule's title and explanation, and sets the severity (with its escalations: "for any
   purpose", "without notice"). Without a hit the whole clause is marked with the category's
   default title, explanation and severity.
4. Critical and high need the model above the id's `high` bar (`high_with_rule` where a rule
   hit), the lowest at which 90% of what it shows was right on the selection set; or the model
   above its threshold and a rule whose escalation fired ("for any purpose", "without notice").
   Otherwise a finding shows as medium at most, so a clause that only mentions a topic is never
   critical. An id whose model alone never reached 90% there is never critical or high on the
   model's word alone; nor is the user's recourse to a change (wording.py). A definition or a
   title line is not read at all, nor is a sentence that names nobody's data read as AI training
   (wording.py): TAXONOMY.md makes none of them a finding.
5. A clause in another language (a French legal-guarantee paragraph of an English page) shows
   nothing: the model and the built-in rules read English (language.in_another_language).
6. The user's own rules run on every clause and always report: they are the user's choice.
Without a model (CLAUSEWATCH_NO_MODEL=1, or files that fail their hash check) the built-in rules
run on every clause as they did before the encoder, and the response says so in `warnings`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np
import regex

from .language import in_another_language
from .match import SEARCH_TIMEOUT, Finding, MatchTimeout, apply_rule
from .rules import Rule
from .segment import Clause
from .taxonomy import CATEGORIES, SEVERITIES, SEVERITY_RANK
from .wording import is_milder, is_recourse, names_no_data, not_a_clause

log = logging.getLogger(__name__)

# A risk and the protection that says the opposite.
CONTRARY = [("ai_training", "commitment_no_ai_training"), ("data_sale", "commitment_no_sale"),
            ("no_deletion", "deletion_available"), ("no_opt_out", "opt_out_available")]
# A risk and the protection that softens it in the same clause: TAXONOMY.md lets milder wording
# lower a default, and "we may raise prices; we will give you 30 days' notice" is a change of the
# deal, but not one "with little or no notice"; training "unless you object" is training with a way
# out. Both show; the risk is one step under its category's default at most (high for AI training,
# medium for a change), unless its own rule's escalation fired ("without notice").
MITIGATED = [("unilateral_change", "advance_notice_of_changes"), ("ai_training", "opt_out_available"),
             ("tracking", "opt_out_available"), ("data_sale", "opt_out_available"),
             ("third_party_sharing", "opt_out_available")]
# Clauses shorter than this many words carry no clause of a contract ("Cookies", "Last updated").
MIN_WORDS = 4
# The model reads at most this many clauses of one page (settings.model_max_clauses passes another):
# its CPU cost is linear in clauses, and this bounds it per request. 99% of the real pages have fewer.
MAX_MODEL_CLAUSES = 1000
# A user rule that spends more CPU than this on one clause is switched off for good (with a
# warning): redos.py's load-time check cannot prove a pattern fast, and one slow rule would
# otherwise cost this much on every clause of every page. Built-in rules take microseconds.
USER_RULE_CLAUSE_SECONDS = 0.1
# Rule hits kept per (category, clause text), as the encoder keeps its probabilities (_hit).
HIT_CACHE_SIZE = 50_000


@dataclass(slots=True)
class Reading:
    """What one pass over a page found. `read` < `of` when the request's model budget ran out
    first: the caller asks again and the encoder's cache carries it on from where it stopped."""
    findings: list[Finding]
    warnings: list[str]
    read: int
    of: int

    @property
    def complete(self) -> bool:
        return self.read >= self.of


@dataclass(slots=True)
class Shown:
    category: str
    confident: bool
    softened: bool = False  # beside the protection that softens it (MITIGATED)


class Detector:
    def __init__(self, rules: list[Rule], encoder=None, timeout: float = SEARCH_TIMEOUT,
                 max_model_clauses: int = MAX_MODEL_CLAUSES):
        self.encoder = encoder
        self.timeout = timeout
        self.max_model_clauses = max_model_clauses
        self.builtin: dict[str, list[Rule]] = {}
        for r in rules:
            if not r.user:
                self.builtin.setdefault(r.category, []).append(r)
        self.user_rules = [r for r in rules if r.user]
        self.rules = rules
        self._base = {r.id: r.severity for r in rules}
        self._hits: OrderedDict[tuple[str, str], tuple | None] = OrderedDict()
        self._hits_lock = threading.Lock()

    def scan(self, text: str, clauses: list[Clause], deadline: float | None = None, check=None,
             cpu_check=None):
        """Findings (ordered by position, worst first within a clause) and warnings, the whole page read."""
        reading = self.read(text, clauses, deadline=deadline, check=check, cpu_check=cpu_check)
        return reading.findings, reading.warnings

    def read(self, text: str, clauses: list[Clause], *, model_budget: int | None = None,
             deadline: float | None = None, check=None, cpu_check=None) -> Reading:
        """Findings (ordered by position, worst first within a clause) and warnings.

        `model_budget` (tokens, ClauseEncoder.cost) bounds what the model reads in this call; when
        it runs out, the Reading is incomplete and holds no findings: a part of a page is no
        grade. `deadline` (monotonic seconds) and `check` (the request's budget,
        budget.Budget.check) are tested per clause and raise when spent; once the model has read
        the page only `cpu_check` (Budget.check_cpu) is, so a busy machine does not throw a
        finished reading away."""
        readable = [(c, text[c.start:c.end]) for c in clauses if c.kind != "heading"]
        warnings: list[str] = []
        findings: list[Finding] = []
        if self.encoder is not None:
            scored = model_clauses(readable)
            if len(scored) > self.max_model_clauses:
                # The model's cost is linear in clauses; past the cap the rest is not read, and
                # the answer says so rather than grading what it did not read as harmless.
                warnings.append(f"this page has {len(scored):,} clauses; clausewatch read the first "
                                f"{self.max_model_clauses:,} and left the rest unread")
                scored = scored[:self.max_model_clauses]
            _check(deadline, check)
            probs = self._probabilities(scored, model_budget)
            for (clause, body), p in zip(scored, probs):
                if p is None:
                    continue
                # The model's work is done: only the CPU budget of the rules still to run counts
                # now; a wall-clock stop here would throw away a finished analysis on a busy machine.
                _check(None, cpu_check)
                shown = self.shown(p, lambda category: self._hit(category, clause, body, warnings))
                if shown and in_another_language(body):  # judged only where it would show something
                    continue
                for one, hit in shown:
                    findings.append(self._finding(clause, body, one, hit))
            read = sum(p is not None for p in probs)
            if read < len(scored):
                # The rules of what was read ran all the same: their hits are kept (_hit), so the
                # request that finishes the page does not pay for the whole page's rules at once.
                return Reading([], warnings, read, len(scored))
        else:
            for clause, body in readable:
                _check(deadline, check)
                hits = [_first_hit(rules, clause, body, warnings, self.timeout) for rules in self.builtin.values()]
                if any(hits) and not in_another_language(body):
                    findings += [f for f in hits if f is not None]
        if self.encoder is not None:  # past the model's reading, as above: the CPU budget alone
            deadline, check = None, cpu_check
        for clause, body in readable:
            _check(deadline, check)
            for rule in list(self.user_rules):
                spent = time.thread_time()
                f = _first_hit([rule], clause, body, warnings, self.timeout)
                spent = time.thread_time() - spent
                if spent > USER_RULE_CLAUSE_SECONDS:
                    self._switch_off(rule, spent, warnings)
                if f is not None:
                    findings.append(f)
        findings = _one_per_category(findings, {r.id for r in self.user_rules})
        findings.sort(key=lambda f: (f.start, SEVERITY_RANK[f.severity], f.category))
        return Reading(findings, warnings, len(readable), len(readable))

    def _hit(self, category: str, clause: Clause, body: str, warnings: list[str]):
        """_best_hit of the category's built-in rules, kept per clause text: a page read over
        several requests (detect.Reading) pays for each clause's rules once, not once per request,
        and a page seen again pays nothing."""
        key = (category, body)
        with self._hits_lock:
            if key in self._hits:
                self._hits.move_to_end(key)
                return self._hits[key]
        said = len(warnings)
        hit = _best_hit(self.builtin.get(category, []), clause, body, warnings, self.timeout)
        if len(warnings) == said:  # a search that timed out may not time out next time
            with self._hits_lock:
                self._hits[key] = hit
                while len(self._hits) > HIT_CACHE_SIZE:
                    self._hits.popitem(last=False)
        return hit

    def _switch_off(self, rule: Rule, spent: float, warnings: list[str]) -> None:
        # Two requests may find the same rule slow at once: the second has nothing left to do.
        try:
            self.user_rules.remove(rule)
        except ValueError:
            return
        message = (f"user rule disabled: {rule.path}: it took {spent:.2f} s of CPU on one clause "
                   f"(at most {USER_RULE_CLAUSE_SECONDS:g} s); fix its patterns and restart clausewatch")
        warnings.append(message)
        log.warning(message)

    def _probabilities(self, scored: list[tuple[Clause, str]], budget: int | None = None):
        """Per (clause, text), the model's probabilities (None where `budget` left it unread); a
        clause framed as "By using X, you agree that ..." is also read without its frame, and each
        id takes the surer reading. The frame is what `contract_by_using` is about, but it drowns
        what follows: "By using Copilot, you grant us ... rights ... to others" read whole is only a
        contract-by-using clause to the model. A sentence that names nobody's data is no AI
        training (wording.names_no_data)."""
        texts, parts = [], []
        for _, body in scored:  # each clause's readings side by side, so a budget cuts between clauses
            main = _main_clause(body)
            parts.append(len(texts))
            texts += [body] if main is None else [body, main]
        probs = self.encoder.probabilities(texts, budget)
        by_use = self.encoder.ids.index("contract_by_using")
        ai_training = self.encoder.ids.index("ai_training")
        out = []
        for (clause, body), first, end in zip(scored, parts, parts[1:] + [len(texts)]):
            whole, mains = probs[first], probs[first + 1:end]
            if whole is None or any(m is None for m in mains):
                out.append(None)
                continue
            p = whole
            for main in mains:
                p = np.maximum(p, main)
                p[by_use] = whole[by_use]
            if names_no_data(clause, body):
                p = p.copy()  # the encoder's cache keeps `whole`
                p[ai_training] = 0.0
            out.append(p)
        return out

    def warm(self) -> None:
        """One tiny inference, so the first page does not pay for onnxruntime's first-run setup."""
        if self.encoder is not None:
            self.encoder.probabilities(["By using the service you agree to these terms."])

    def shown(self, p, hit_of) -> list[tuple[Shown, tuple | None]]:
        """The categories the clause shows, each with its rules' hit (`hit_of(category)`, None
        without one): the model alone at `thresholds`, or at `with_rule` with a hit."""
        enc = self.encoder
        out = {}
        for n in np.flatnonzero(p >= enc.with_rule):
            category = enc.ids[n]
            hit = hit_of(category) if category in self.builtin else None
            if p[n] < enc.thresholds[n] and hit is None:
                continue
            high = enc.high if hit is None else enc.high_with_rule
            out[category] = (Shown(category, bool(p[n] >= high[n])), hit)
        for risk, protection in CONTRARY:
            if risk in out and protection in out:
                # The model's surer reading stays. Not how far each is past the bar that applied:
                # a rule's hit lowers the bar, and "if you do not want your data used for
                # training, do not use Labs Models" (0.996 training, 0.866 a denial with a rule's
                # hit) was shown as the green denial.
                del out[risk if p[enc.ids.index(risk)] < p[enc.ids.index(protection)] else protection]
        for risk, protection in MITIGATED:
            if risk in out and protection in out:
                out[risk][0].softened = True
        return list(out.values())

    def _finding(self, clause: Clause, body: str, shown: Shown, hit) -> Finding:
        """The finding of a shown category; `hit` is what `_hit` found of its rules, or None."""
        cat = CATEGORIES[shown.category]
        f = None if hit is None else _at(clause, body, *hit)
        escalated = False
        if f is None:
            f = Finding(id=f"model:{cat.id}@{clause.start}", category=cat.id, severity=cat.severity,
                        polarity=cat.polarity, title=cat.title, explanation=cat.explanation, quote=body,
                        match=body, rule="model", start=clause.start, end=clause.end,
                        match_start=clause.start, match_end=clause.end)
        else:
            # The rule's wording made it worse than its own default ("for any purpose", "without
            # notice", "irrevocable"): with the model agreeing, that is two signals, not one.
            escalated = SEVERITY_RANK[f.severity] < SEVERITY_RANK[self._base[f.rule]]
        if escalated:
            return f
        worst = "medium" if not shown.confident or is_recourse(body) else "critical"
        if shown.softened or is_milder(cat.id, body):
            worst = max(worst, SEVERITIES[SEVERITY_RANK[cat.severity] + 1], key=SEVERITY_RANK.get)
        if SEVERITY_RANK[f.severity] < SEVERITY_RANK[worst]:
            f.severity = worst
        return f


# "By using the Service, you agree that" / "When you post Content," at the start of a clause.
FRAME = regex.compile(
    r"^\W*(?:by|when|if|where)\W+(?:\w+\W+){0,2}?(?:us(?:e|es|ing)|access\w*|visit\w*|brows\w*|creat\w*|"
    r"regist\w*|submit\w*|upload\w*|post\w*|shar\w*|continu\w*|click\w*|download\w*|install\w*|sign\w*)"
    r"\b[^,;:.]{0,100}[,;:]\s*(?:(?:you|the\W+user)\W+(?:hereby\W+)?(?:agree|acknowledge|consent|accept|"
    r"understand|confirm)\w*(?:\W+and\W+\w+)?\W+(?:that|to)\W+)?", regex.IGNORECASE)


def _main_clause(body: str) -> str | None:
    """The clause without its leading "By using X," frame, when it has one and enough is left."""
    m = FRAME.match(body)
    if m is None or not m.group(0).strip():
        return None
    rest = body[m.end():]
    return rest if len(rest.split()) >= MIN_WORDS else None


def model_clauses(readable: list[tuple[Clause, str]]) -> list[tuple[Clause, str]]:
    """The (clause, text) pairs of a page's non-heading clauses that the model reads: those of
    MIN_WORDS words or more that are no definition or title (wording.not_a_clause).
    training/choose_thresholds.py chooses the bars on the same ones."""
    return [(c, b) for c, b in readable if len(b.split()) >= MIN_WORDS and not not_a_clause(b)]


def _check(deadline: float | None, check=None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise MatchTimeout("detection ran past its time limit")
    if check is not None:
        check("reading clauses")


def _first_hit(rules: list[Rule], clause: Clause, body: str, warnings: list[str],
               timeout: float) -> Finding | None:
    """The worst finding any of these rules makes on the clause (rules of one category)."""
    hit = _best_hit(rules, clause, body, warnings, timeout)
    return None if hit is None else _at(clause, body, *hit)


def _best_hit(rules: list[Rule], clause: Clause, body: str, warnings: list[str], timeout: float):
    """(rule, span within the clause, severity) of the worst hit, or None: nothing in it depends
    on where the clause stands, so it can be kept for the same text elsewhere."""
    best = None
    for rule in rules:
        try:
            hit = apply_rule(rule, body, timeout)
        except TimeoutError:
            warnings.append(f"rule {rule.id} timed out on clause at {clause.start}; skipped")
            continue
        if hit is None:
            continue
        span, severity = hit
        if best is not None and SEVERITY_RANK[best[2]] <= SEVERITY_RANK[severity]:
            continue
        best = (rule, span, severity)
    return best


def _at(clause: Clause, body: str, rule: Rule, span: tuple[int, int], severity: str) -> Finding:
    s, e = span
    return Finding(id=f"{rule.id}@{clause.start}", category=rule.category, severity=severity,
                   polarity=rule.polarity, title=rule.title, explanation=rule.message, quote=body,
                   match=body[s:e], rule=rule.id, start=clause.start, end=clause.end,
                   match_start=clause.start + s, match_end=clause.start + e)


def _one_per_category(findings: list[Finding], user_rules: set[str]) -> list[Finding]:
    """One finding per category and clause: the worst; on a tie the user's own rule, their choice."""
    kept: dict[tuple[str, int], Finding] = {}
    for f in findings:
        old = kept.get((f.category, f.start))
        if old is None or SEVERITY_RANK[f.severity] < SEVERITY_RANK[old.severity] or (
                f.severity == old.severity and f.rule in user_rules):
            kept[(f.category, f.start)] = f
    return list(kept.values())
