"""A small learned check next to the rules: one logistic regression per CLAUDETTE label.

Why: the rules name the legal ideas, but the CLAUDETTE annotators also mark (and leave unmarked)
sentences in ways that regexes cannot follow alone (list items of a liability clause, fair
third-party disclaimers, arbitration procedure). The model reads word n-grams only; per label, a
rule finding stays when the model's probability reaches `keep` (and stays critical/high only when
it reaches `high`), and the model adds a finding of its own when it reaches `add`. It is trained
by `bench/train_model.py` (scikit-learn, at training time only) on CC BY 4.0 data (UNFAIR-ToS
train split) and shipped as JSON; inference is pure Python (a dict lookup per n-gram), so the
server gains no dependency.

Every finding it adds still carries the clause, a category, the category's explanation and the
words that drove it (`match` is the span of the strongest n-gram found in the clause).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import replace
from itertools import chain, repeat
from operator import ge, mul
from pathlib import Path

import regex

from ..match import Finding
from ..taxonomy import CATEGORIES, SEVERITY_RANK

MODEL_PATH = Path(__file__).with_name("claudette.json")

# Label -> the category a model finding is reported under (the TAXONOMY.md claudette column).
LABEL_CATEGORY = {
    "a": "arbitration", "ch": "unilateral_change", "cr": "content_removal", "j": "jurisdiction",
    "law": "choice_of_law", "ltd": "liability_limitation", "ter": "unilateral_termination",
    "use": "contract_by_using",
}

# The standard library's `re` (faster than `regex` for these): `[^\W\d_]` is a letter.
_CONTRACTIONS = [
    (re.compile(r"\s*n['\u2019]t\b"), " not"),
    (re.compile(r"\b(can)not\b"), r"\1 not"),
    (re.compile(r"\s*['\u2019](?:re|ve|ll|d|m|s)\b"), ""),
]
_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_DIGIT = re.compile(r"\d")


def _word_tokens(word: str) -> tuple[str, ...]:
    """The tokens of one lowercased whitespace-free word ("don't" -> do not, "3.5" -> 0 0)."""
    if "'" in word or "\u2019" in word or "cannot" in word:
        for pattern, repl in _CONTRACTIONS:
            word = pattern.sub(repl, word)
    toks = _TOKEN.findall(word)
    if _DIGIT.search(word):
        toks = ["0" if t[0].isdigit() else t for t in toks]
    return tuple(toks)


class _WordCache(dict):
    """word -> its tokens, filled on first sight; cleared when full so memory stays bounded."""

    def __missing__(self, word: str) -> tuple[str, ...]:
        if len(self) >= WORD_CACHE:
            self.clear()
        toks = self[word] = _word_tokens(word)
        return toks


WORD_CACHE = 200_000
_WORDS = _WordCache()


def tokens(text: str) -> list[str]:
    """Lowercased word tokens; natural text and the tokenised corpus ("do n't") come out alike.
    Every number is the token "0".

    No token spans whitespace and the contraction rules only look inside a word, so tokenising
    word by word gives the same list; each distinct word is tokenised once (a dict lookup after
    that: the vocabulary of terms of service is small)."""
    return list(chain.from_iterable(map(_WORDS.__getitem__, text.lower().split())))


def ngrams(toks: list[str]) -> set[str]:
    grams = set(toks)
    grams.update(map(" ".join, zip(toks, toks[1:])))  # C-level loops: this runs on every clause
    return grams


def features(text: str, idf: dict[str, float] | None = None, unseen: float = 1.0) -> dict[str, float]:
    """Word unigrams and bigrams, TF-IDF weighted (binary tf) and L2-normalised when `idf` is given."""
    grams = ngrams(tokens(text))
    if not grams:
        return {}
    if idf is None:
        feats = {g: 1.0 for g in grams}
    else:
        feats = {g: idf.get(g, unseen) for g in grams}
    norm = math.sqrt(sum(v * v for v in feats.values()))
    return {g: v / norm for g, v in feats.items()}


def _logit(p: float) -> float:
    if p <= 0.0:
        return -math.inf
    if p >= 1.0:
        return math.inf
    return math.log(p / (1.0 - p))


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class ClauseModel:
    def __init__(self, data: dict):
        self.version = data.get("version", "")
        self.idf: dict[str, float] | None = data.get("idf")
        self.unseen = float(data.get("idf_unseen", 1.0))
        # label -> (bias, keep, add, weights): a rule finding of the label stays when p >= keep,
        # the model adds a finding of its own when p >= add (both chosen on company-held-out folds).
        self.labels = {label: (float(m["bias"]), float(m["keep"]), float(m["add"]), m["weights"])
                       for label, m in data["labels"].items()}
        # One table n-gram -> (w_label * idf for every label..., idf^2) holding only the n-grams
        # with a weight for some label (training prunes the small ones), and `norms`
        # (n-gram -> idf^2) for the exact L2 norm. Equal to features() + the dot product, just faster.
        self.order = list(self.labels)
        self.bias = [self.labels[label][0] for label in self.order]
        k = len(self.order)
        idf = self.idf or {}
        self.unseen_sq = self.unseen ** 2 if self.idf else 1.0
        self.norms = {gram: value * value for gram, value in idf.items()}
        table: dict[str, list[float]] = {}
        for i, label in enumerate(self.order):
            for gram, w in self.labels[label][3].items():
                if w:
                    g_idf = idf.get(gram, self.unseen) if self.idf else 1.0
                    row = table.setdefault(gram, [0.0] * k + [g_idf * g_idf])
                    row[i] = w * g_idf
        self.table = {gram: tuple(row) for gram, row in table.items()}
        # Bounds on the idf^2 of an n-gram without a weight: with them a clause the rules left alone
        # is often ruled out (no label can reach `add`) before its exact norm is computed.
        squares = list(self.norms.values()) + [self.unseen_sq]
        self.min_sq = min(squares)
        # Thresholds as log-odds, so a clause is judged without computing any sigmoid.
        self.keep_z = [_logit(self.labels[label][1]) for label in self.order]
        self.add_z = [_logit(self.labels[label][2]) for label in self.order]
        # A rule finding stays critical/high only when p >= `high`, a threshold chosen on train so
        # that such findings were right at least 95% of the time (older files: `add`).
        self.high_z = [_logit(float(data["labels"][label].get("high", self.labels[label][2])))
                       for label in self.order]
        # A label can only be added when w.x / norm >= add_z - bias (its "gap"); gap > 0 for every
        # label (the bias alone never adds), so the test is max(w.x / gap) >= norm.
        gaps = [a - b for a, b in zip(self.add_z, self.bias)]
        self.inv_gap = [0.0 if g == math.inf else 1.0 / g for g in gaps] if all(g > 0 for g in gaps) else None
        # The categories this model judges: those whose CLAUDETTE label it was trained on.
        self.handled = {c.id: c.claudette for c in CATEGORIES.values() if c.claudette in self.labels}

    @classmethod
    def load(cls, path: Path | str = MODEL_PATH) -> "ClauseModel | None":
        path = Path(path)
        if not path.is_file():
            return None
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def logits(self, text: str) -> list[float]:
        """Log-odds per label (in self.order) for one clause."""
        return self._logits(text, exact=True)

    def _logits(self, text: str, exact: bool) -> list[float] | None:
        """Log-odds per label; with exact=False, None when no label can reach its `add` threshold."""
        grams = ngrams(tokens(text))
        vecs = list(filter(None, map(self.table.get, grams)))
        if not vecs:
            return list(self.bias)  # no n-gram with a weight: the norm does not matter
        sums = list(map(sum, zip(*vecs)))
        weighted_sq = sums.pop()
        if not exact and self.inv_gap is not None:
            # The n-grams without a weight only enter the norm: with the smallest idf for them the
            # norm is at its lowest and every label's log-odds at its highest. Exact, not a
            # heuristic: a clause skipped here is one the model could not have added.
            low = math.sqrt(weighted_sq + (len(grams) - len(vecs)) * self.min_sq)
            if max(map(mul, sums, self.inv_gap)) < low:
                return None
        if self.idf is None:
            norm = math.sqrt(len(grams))
        else:
            norm = math.sqrt(sum(map(self.norms.get, grams, repeat(self.unseen_sq))))
        return [b + z / norm for b, z in zip(self.bias, sums)]

    def probabilities(self, text: str) -> dict[str, float]:
        return {label: sigmoid(z) for label, z in zip(self.order, self.logits(text))}

    def drivers(self, label: str, feats: dict[str, float], n: int = 3) -> list[str]:
        """The word n-grams that pushed this label up most (rule features are not words)."""
        weights = self.labels[label][3]
        ranked = sorted(((weights.get(f, 0.0) * v, f) for f, v in feats.items()),
                        reverse=True)
        return [f for w, f in ranked[:n] if w > 0]

    def refine(self, text: str, clauses, findings: list[Finding]) -> list[Finding]:
        """Keep rule findings the model agrees with, drop those it rejects, add the ones it finds.

        Only categories with a CLAUDETTE label are touched; every other finding passes through.
        """
        by_clause: dict[int, list[Finding]] = {}
        for f in findings:
            by_clause.setdefault(f.start, []).append(f)
        out = [f for f in findings if f.category not in self.handled]
        for clause in clauses:
            if clause.kind == "heading":
                continue
            body = text[clause.start:clause.end]
            mine = [f for f in by_clause.get(clause.start, []) if f.category in self.handled]
            zs = self._logits(body, exact=bool(mine))
            if zs is None or not mine and not any(map(ge, zs, self.add_z)):
                continue  # the common case: nothing found, nothing to add
            ruled = {self.handled[f.category] for f in mine}
            # On a clause a rule already read, the model adds another label only when it is surer of
            # it than of the rule's: "may modify these terms at any time without notice" is not
            # also a termination clause just because the two share their wording.
            ruled_z = max((zs[i] for i, label in enumerate(self.order) if label in ruled), default=None)
            for i, label in enumerate(self.order):
                hits = [f for f in mine if self.handled[f.category] == label]
                if hits:
                    if zs[i] < self.keep_z[i]:
                        continue  # the model rejects the rule's reading of this clause
                    for f in hits:
                        # High needs two signals: strong wording (the rule) and a confident model.
                        if SEVERITY_RANK[f.severity] < SEVERITY_RANK["medium"] and zs[i] < self.high_z[i]:
                            f = replace(f, severity="medium")
                        out.append(f)
                elif zs[i] >= self.add_z[i] and (ruled_z is None or zs[i] > ruled_z):
                    feats = features(body, self.idf, self.unseen)
                    out.append(self._finding(label, LABEL_CATEGORY[label], body, clause, feats, sigmoid(zs[i])))
        out.sort(key=lambda f: (f.start, SEVERITY_RANK[f.severity], f.category))
        return out

    def _finding(self, label, category, body, clause, feats, prob) -> Finding:
        words = self.drivers(label, feats)
        s, e = _locate(body, words)
        cat = CATEGORIES[category]
        # A model finding is less certain than a rule's wording: never above medium.
        severity = cat.severity if SEVERITY_RANK[cat.severity] >= SEVERITY_RANK["medium"] else "medium"
        return Finding(
            id=f"model:{label}@{clause.start}", category=category, severity=severity, polarity=cat.polarity,
            title=cat.title,
            explanation=cat.explanation,  # plain words only: no probability or n-gram reaches the user
            quote=body, match=body[s:e], rule=f"model/{label}", start=clause.start, end=clause.end,
            match_start=clause.start + s, match_end=clause.start + e,
        )


def _locate(body: str, words: list[str]) -> tuple[int, int]:
    """The span of the strongest driver that can be found in the clause text, else the clause."""
    for w in words:
        pattern = r"\b" + r"\W+".join(regex.escape(t) if t != "0" else r"\d+" for t in w.split()) + r"\b"
        m = regex.search(pattern, body, regex.IGNORECASE)
        if m:
            return m.span()
    return 0, len(body)
