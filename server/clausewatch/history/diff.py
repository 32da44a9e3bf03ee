"""What changed between two versions of a document, clause by clause, told by the findings each carries.

Clauses are aligned in three passes: identical normalised text pairs up wherever it sits (so
reordering, whitespace, case, curly quotes and renumbering alone are no change); the rest is
paired by word similarity (a reworded clause is one "changed" pair, not a delete plus an add);
what is left over was added or removed.
"""

from __future__ import annotations

import difflib
import hashlib
from collections import deque

import regex

from ..core.taxonomy import SEVERITY_RANK

# "10.2", "§ 4", "(a)", "iv)", a bullet at the start of a clause: renumbering a section (or turning
# it into a list) is not a change of it.
NUMBERING = regex.compile(r"^\s*(?:[-*\u2022\u25cf\u25aa\u2013]\s+)?(?:§+\s*)?"
                          r"(?:\(?(?:\d{1,3}(?:\.\d{1,3})*|[a-z]|[ivxlc]{1,5})[.)]\s+|\d{1,3}(?:\.\d{1,3})+\s+)?",
                          regex.IGNORECASE)
# The section a clause opens ("10.2 ...", "### 3\\. Fees" in Markdown): labels the clauses under it.
SECTION = regex.compile(r"^[\s#*]*(?:§+\s*)?(\d{1,3}(?:\.\d{1,3})*)\\?(?:[.)]|\s)")
# Quote marks (straight or curly, added or dropped around a defined term) do not change a clause.
QUOTES = str.maketrans({"\u2018": None, "\u2019": "'", "\u201c": None, "\u201d": None, '"': None, "\u00a0": " "})
# A Markdown link's target ("[terms](https://...?hl=en&gl=IE)") is not text anyone reads.
LINK_TARGET = regex.compile(r"\]\([^()\s]*(?:\([^()\s]*\)[^()\s]*)*\)")
WORD = regex.compile(r"\w+")
# Below this similarity two clauses are different clauses; above it, one clause reworded. Two
# clauses in the same place (between the same unchanged neighbours) get a bonus: a rewrite in place
# is the common case, a rewrite that also moved is rarer and must be more alike.
PAIR_RATIO = 0.5
SAME_PLACE_BONUS = 0.15
# The cost caps of one diff (class Cost): words handled in all, old clauses that may share a
# word for it to propose a pair, and pairs tried per new clause. A real revision of a long policy
# (a few hundred clauses reworded) stays far below them.
MAX_WORDS = 2_000_000
# Stored diffs (store.diff) name the algorithm that made them; change it when a diff would differ.
ALGO = "2"
MAX_POSTING = 32
MAX_CANDIDATES = 8
MAX_ITEMS = 500


def normalise(text: str) -> str:
    """The clause as compared: case, whitespace, quote marks and leading numbering do not count
    (an apostrophe stays: it is part of a word)."""
    text = " ".join(LINK_TARGET.sub("]", text).translate(QUOTES).lower().split())
    return NUMBERING.sub("", text, count=1)


def clause_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()[:16]


def _worst(findings: list[dict]):
    return min(findings, key=_rank) if findings else None


def _rank(f: dict):
    # Risks before protections, then by severity; a removed protection is sorted by the caller.
    return (f["polarity"] == "protection", SEVERITY_RANK[f["severity"]], f.get("start", 0))


def clauses_of(version: dict) -> list[dict]:
    """The version's non-heading clauses with text, section label, hash and the findings on them."""
    text = version["text"]
    by_start: dict[int, list[dict]] = {}
    for f in version["findings"]:
        by_start.setdefault(f["start"], []).append(f)
    out, section = [], ""
    for c in version["clauses"]:
        body = text[c["start"]:c["end"]]
        number = SECTION.match(body)
        if c["kind"] == "heading":
            # A rule of dashes (a Markdown underline) names nothing; keep the section we had.
            if number or regex.search(r"\p{L}", body):
                section = "§" + number.group(1) if number else " ".join(body.lstrip("#* ").split())[:60]
            continue
        if number:
            section = "§" + number.group(1)
        out.append({"text": body, "section": section, "start": c["start"], "end": c["end"],
                    # Recomputed, not read from the store: hashes stored by an older normalise()
                    # would make every clause of an old version look changed.
                    "hash": clause_hash(body),
                    "findings": sorted(by_start.get(c["start"], []), key=_rank)})
    return out


class Cost:
    """What one diff may spend, in units of words handled: a hostile second version (hundreds of
    long, alike but different clauses) made full pairwise matching take over a minute. Past the
    cap the diff stops pairing and what is left counts as added or removed ("rewritten").
    Counted in words, not seconds, so the same two versions always give the same diff."""

    def __init__(self, words: int | None = None, check=None):
        self.left = MAX_WORDS if words is None else words
        self.check = check  # the request's budget: a callable, False once it is spent
        self.complete = True

    def spend(self, words: int) -> bool:
        if self.left < words:
            self.complete = False
            return False
        if self.check is not None and not self.check():
            self.complete = False
            return False
        self.left -= words
        return True


def _features(tokens: list[str]) -> set[str]:
    return set(tokens) | {" ".join(tokens[k:k + 3]) for k in range(len(tokens) - 2)}


def _compare_cost(a: list[str], b: list[str]) -> int:
    # SequenceMatcher is near linear on real prose and near quadratic on clauses of a few words
    # repeated in any order (a hostile page): charge the worst case, scaled to words.
    return len(a) + len(b) + len(a) * len(b) // 8


def _candidates(tokens_old: list[list[str]], tokens_new: list[list[str]], sets_old: list[set], sets_new: list[set],
                cost: Cost) -> list[tuple[float, int, int]]:
    """(word overlap, i, j) for old/new clauses that share a word or a run of three words that no
    more than MAX_POSTING old clauses have: an index, not every pair. A word in many clauses tells
    nothing about which one was reworded (three-word runs still do), and skipping it keeps this
    linear on pages of look-alike clauses."""
    features_old = [_features(t) for t in tokens_old]
    features_new = [_features(t) for t in tokens_new]
    if not cost.spend(sum(map(len, features_old)) + sum(map(len, features_new))):
        return []
    index: dict[str, list[int]] = {}
    for i, features in enumerate(features_old):
        for w in features:
            index.setdefault(w, []).append(i)
    out = []
    for j, wn in enumerate(sets_new):
        shared: dict[int, int] = {}
        postings = [p for w in features_new[j] if (p := index.get(w)) is not None and len(p) <= MAX_POSTING]
        if not cost.spend(len(features_new[j]) + sum(map(len, postings))):
            break
        for p in postings:
            for i in p:
                shared[i] = shared.get(i, 0) + 1
        best = []
        for i, n in sorted(shared.items(), key=lambda t: (-t[1], t[0]))[:MAX_CANDIDATES]:
            wo = sets_old[i]
            inter = len(wo & wn)
            union = len(wo) + len(wn) - inter
            # A cheap word-overlap filter first: SequenceMatcher on every pair would be quadratic twice.
            if union and inter / union >= 0.25:
                best.append((n / max(len(features_new[j]), len(features_old[i]), 1), i, j))
        out += best
    return out


def _pair_by_similarity(old: list[dict], new: list[dict], cost: Cost) -> list[tuple[dict, dict, float]]:
    """Greedy best-first pairing of leftover clauses whose words are mostly the same."""
    if not old or not new:
        return []
    tokens_old = [WORD.findall(normalise(c["text"])) for c in old]
    tokens_new = [WORD.findall(normalise(c["text"])) for c in new]
    sets_old = [set(t) for t in tokens_old]
    sets_new = [set(t) for t in tokens_new]
    if not cost.spend(sum(map(len, tokens_old)) + sum(map(len, tokens_new))):
        return []
    candidates = []
    # Most alike first, so a cost cap leaves out the least likely pairs.
    for overlap, i, j in sorted(_candidates(tokens_old, tokens_new, sets_old, sets_new, cost), key=lambda t: (-t[0], t[2], t[1])):
        a, b = tokens_old[i], tokens_new[j]
        if not cost.spend(_compare_cost(a, b)):
            break
        bonus = SAME_PLACE_BONUS if old[i]["gap"] == new[j]["gap"] else 0.0
        matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
        # quick_ratio is an upper bound of ratio in linear time: most pairs stop there.
        if matcher.quick_ratio() + bonus < PAIR_RATIO:
            continue
        ratio = matcher.ratio()
        if ratio + bonus >= PAIR_RATIO:
            candidates.append((ratio + bonus, ratio, i, j))
    pairs, used_old, used_new = [], set(), set()
    for _, ratio, i, j in sorted(candidates, key=lambda t: (-t[0], t[3], t[2])):
        if i not in used_old and j not in used_new:
            used_old.add(i)
            used_new.add(j)
            pairs.append((old[i], new[j], ratio))
    return pairs


def align(old: list[dict], new: list[dict], cost: Cost | None = None):
    """(unchanged count, added, removed, changed pairs) between two clause lists."""
    pool: dict[str, deque[int]] = {}
    for i, c in enumerate(old):
        pool.setdefault(c["hash"], deque()).append(i)
    matched_old, left_new, anchor = set(), [], -1
    for c in new:
        same = pool.get(c["hash"])
        if same:
            anchor = same.popleft()  # a deque: list.pop(0) was quadratic on a page of one repeated clause
            matched_old.add(anchor)
        else:
            # Where the clause sits: after which unchanged clause (by its index in the old version).
            left_new.append({**c, "gap": anchor})
    left_old, anchor = [], -1
    for i, c in enumerate(old):
        if i in matched_old:
            anchor = i
        else:
            left_old.append({**c, "gap": anchor})
    pairs = _pair_by_similarity(left_old, left_new, cost or Cost())
    paired_old = {id(o) for o, _, _ in pairs}
    paired_new = {id(n) for _, n, _ in pairs}
    added = [c for c in left_new if id(c) not in paired_new]
    removed = [c for c in left_old if id(c) not in paired_old]
    return len(matched_old), added, removed, pairs


def _fkey(f: dict) -> tuple[str, str]:
    return f["category"], f["severity"]


def _labels(findings: list[dict]) -> str:
    return ", ".join(f"{f['category']} ({'protection' if f['polarity'] == 'protection' else f['severity']})"
                     for f in findings)


def _snippet(text: str, n: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= n else text[:n - 1].rstrip() + "…"


def _item(kind: str, clause: dict, findings: list[dict], extra: dict | None = None) -> dict:
    """One clause of the diff. It carries its worst finding's category, severity and title at the
    top level too, so a reader that lists findings (the popup) can show it as one."""
    worst = _worst(findings)
    where = f"{clause['section']} " if clause["section"] else ""
    line = f"{kind}: {where}“{_snippet(clause['text'])}”" + (f" {_labels(findings)}" if findings else "")
    return {
        "clause": clause["text"], "quote": clause["text"], "section": clause["section"],
        "start": clause["start"], "end": clause["end"],
        "category": worst["category"] if worst else None,
        "severity": worst["severity"] if worst else None,
        "polarity": worst["polarity"] if worst else None,
        "title": worst["title"] if worst else f"{where}“{_snippet(clause['text'], 60)}”",
        "findings": findings, **(extra or {}), "summary": line,
    }


def word_edits(old: str, new: str) -> list[list[str]]:
    """The reworded clause as [op, text] runs: "=" kept, "-" deleted, "+" inserted (by words)."""
    a, b = old.split(), new.split()
    out: list[list[str]] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, [w.lower() for w in a], [w.lower() for w in b],
                                                      autojunk=False).get_opcodes():
        if op == "equal":
            out.append(["=", " ".join(b[j1:j2])])
            continue
        if i2 > i1:
            out.append(["-", " ".join(a[i1:i2])])
        if j2 > j1:
            out.append(["+", " ".join(b[j1:j2])])
    return out


def _changed(old: dict, new: dict, ratio: float, cost: Cost) -> dict:
    before = {_fkey(f) for f in old["findings"]}
    after = {_fkey(f) for f in new["findings"]}
    added = [f for f in new["findings"] if _fkey(f) not in before]
    removed = [f for f in old["findings"] if _fkey(f) not in after]
    item = _item("changed", new, new["findings"], {
        "old": old["text"], "new": new["text"], "old_section": old["section"], "similarity": round(ratio, 3),
        # Past the cost cap the edit is told whole: all of the old out, all of the new in.
        "edits": (word_edits(old["text"], new["text"])
                  if cost.spend(_compare_cost(old["text"].split(), new["text"].split()))
                  else [["-", old["text"]], ["+", new["text"]]]),
        "findings_added": added, "findings_removed": removed})
    # A category on both sides with another severity was escalated or softened, not added anew.
    moved = {f["category"]: f for f in removed}
    shifts = [f"{f['category']} ({moved[f['category']]['severity']} → {f['severity']})" for f in added
              if f["category"] in moved]
    plain_added = [f for f in added if f["category"] not in moved]
    plain_removed = [f for f in removed if f["category"] not in {g["category"] for g in added}]
    item["summary"] += "".join([f"; finding added: {_labels(plain_added)}" if plain_added else "",
                                f"; severity: {', '.join(shifts)}" if shifts else "",
                                f"; finding removed: {_labels(plain_removed)}" if plain_removed else ""])
    return item


def _risk_order(item: dict):
    """New risks first: an added or escalated risk, then other clauses with findings, then the rest."""
    new_risks = [f for f in item.get("findings_added", item["findings"]) if f["polarity"] == "risk"]
    worst_new = min((SEVERITY_RANK[f["severity"]] for f in new_risks), default=9)
    worst_any = min((SEVERITY_RANK[f["severity"]] for f in item["findings"]), default=9)
    return (worst_new, worst_any, item["start"])


def _removed_order(item: dict):
    # Losing a protection is the bad news among removals; then the risks that went away.
    protections = [f for f in item["findings"] if f["polarity"] == "protection"]
    return (not protections, min((SEVERITY_RANK[f["severity"]] for f in item["findings"]), default=9),
            item["start"])


def summarise(added: list[dict], removed: list[dict], changed: list[dict]) -> str:
    if not (added or removed or changed):
        return "No clause changed."
    parts = []
    for name, items in (("added", added), ("changed", changed), ("removed", removed)):
        if not items:
            continue
        flagged = [i for i in items if i["findings"] or i.get("findings_removed")]
        cats = sorted({f["category"] for i in items for f in i.get("findings_added", i["findings"])})
        n = len(items)
        parts.append(f"{n} clause{'s' if n != 1 else ''} {name}" +
                     (f" ({len(flagged)} with findings: {', '.join(cats)})" if cats else ""))
    return "; ".join(parts) + "."


def diff_versions(old: dict | None, new: dict, check=None) -> dict | None:
    """The clause-level diff between two stored versions (None when there is no older one).

    Shape (DEVELOPERS.md, the API section): since, previous_report_id, report_id, text_changed,
    added/removed/changed (clause items, each with its `findings`), findings_added/findings_removed
    (the finding-level view), unchanged (a count), complete (False when the cost cap stopped the
    pairing: the rest is told as added and removed) and summary. `check` is the request's budget.
    """
    if old is None:
        return None
    a, b = clauses_of(old), clauses_of(new)
    cost = Cost(check=check)
    unchanged, added, removed, pairs = align(a, b, cost)
    added_items = sorted((_item("added", c, c["findings"]) for c in added), key=_risk_order)
    removed_items = sorted((_item("removed", c, c["findings"]) for c in removed), key=_removed_order)
    changed_items = sorted((_changed(o, n, r, cost) for o, n, r in pairs), key=_risk_order)
    # The finding-level view: a category that a reworded clause carries before and after (maybe at
    # another severity) is neither added nor removed there; the item tells the severity shift.
    fa = [f for i in added_items for f in i["findings"]]
    fr = [f for i in removed_items for f in i["findings"]]
    for i in changed_items:
        before = {f["category"] for f in i["findings_removed"]}
        after = {f["category"] for f in i["findings_added"]}
        fa += [f for f in i["findings_added"] if f["category"] not in before]
        fr += [f for f in i["findings_removed"] if f["category"] not in after]
    summary = summarise(added_items, removed_items, changed_items)
    # The lists hold the worst MAX_ITEMS each: a rewrite into thousands of clauses is told by its
    # counts, not shipped whole in every answer (the summary counts them all).
    if max(len(added_items), len(removed_items), len(changed_items)) > MAX_ITEMS:
        cost.complete = False
        added_items, removed_items, changed_items = (added_items[:MAX_ITEMS], removed_items[:MAX_ITEMS],
                                                     changed_items[:MAX_ITEMS])
    return {
        "since": old["last_seen"],
        "previous_report_id": old["report_id"],
        "report_id": new["report_id"],
        "text_changed": old["content_hash"] != new["content_hash"],
        "added": added_items,
        "removed": removed_items,
        "changed": changed_items,
        "findings_added": sorted(fa, key=_rank),
        "findings_removed": sorted(fr, key=_rank),
        "unchanged": unchanged,
        "complete": cost.complete,
        "summary": summary + ("" if cost.complete else " (Much of it was rewritten: not every clause was "
                                                      "compared or listed.)"),
    }
