"""A small learned check next to the rules: one logistic regression per CLAUDETTE label.

Why: the rules name the legal ideas, but the CLAUDETTE annotators also mark (and leave unmarked)
sentences in ways that regexes cannot follow alone (list items of a liability clause, fair
third-party disclaimers, arbitration procedure). The model reads word n-grams only; per label, a
rule finding stays when the model's probability reaches `keep`, and the model adds a finding of its
own when it reaches the higher `add`. It is trained by
`bench/train_model.py` on CC BY 4.0 data (UNFAIR-ToS train split) and shipped as JSON; inference is
pure Python (a dict lookup per n-gram), so it adds no dependency.

Every finding it adds still carries the clause, a category, the category's explanation and the
words that drove it (`match` is the span of the strongest n-gram found in the clause).
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
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

_CONTRACTIONS = [
    (regex.compile(r"\s*n['\u2019]t\b"), " not"),
    (regex.compile(r"\b(can)not\b"), r"\1 not"),
    (regex.compile(r"\s*['\u2019](?:re|ve|ll|d|m|s)\b"), ""),
]
_TOKEN = regex.compile(r"[\p{L}]+|\d+")


def tokens(text: str) -> list[str]:
    """Lowercased word tokens; natural text and the tokenised corpus ("do n't") come out alike."""
    text = text.lower()
    if "'" in text or "\u2019" in text or "cannot" in text:
        for pattern, repl in _CONTRACTIONS:
            text = pattern.sub(repl, text)
    return ["0" if t.isdigit() else t for t in _TOKEN.findall(text)]


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
        # One table n-gram -> (w_label * idf for every label..., idf^2): one dict lookup per n-gram,
        # and the sums run in C (zip/sum). Equal to features() + the dot product, just faster.
        self.order = list(self.labels)
        self.bias = [self.labels[label][0] for label in self.order]
        k = len(self.order)
        table: dict[str, list[float]] = {}
        idf = self.idf or {}
        for gram, value in idf.items():
            table[gram] = [0.0] * k + [value * value]
        for i, label in enumerate(self.order):
            for gram, w in self.labels[label][3].items():
                row = table.setdefault(gram, [0.0] * k + [self.unseen ** 2 if self.idf else 1.0])
                row[i] = w * (idf.get(gram, self.unseen) if self.idf else 1.0)
        self.table = {gram: tuple(row) for gram, row in table.items()}
        self.unseen_sq = self.unseen ** 2 if self.idf else 1.0
        # Thresholds as log-odds, so a clause is judged without computing any sigmoid.
        self.keep_z = [_logit(self.labels[label][1]) for label in self.order]
        self.add_z = [_logit(self.labels[label][2]) for label in self.order]
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
        grams = ngrams(tokens(text))
        if not grams:
            return list(self.bias)
        vecs = list(filter(None, map(self.table.get, grams)))
        if not vecs:
            return list(self.bias)
        sums = list(map(sum, zip(*vecs)))
        norm = math.sqrt(sums[-1] + (len(grams) - len(vecs)) * self.unseen_sq) or 1.0
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
            zs = self.logits(body)
            if not mine and all(z < a for z, a in zip(zs, self.add_z)):
                continue  # the common case: nothing found, nothing to add
            for i, label in enumerate(self.order):
                hits = [f for f in mine if self.handled[f.category] == label]
                if hits:
                    if zs[i] < self.keep_z[i]:
                        continue  # the model rejects the rule's reading of this clause
                    for f in hits:
                        # High needs two signals: strong wording (the rule) and a confident model.
                        if SEVERITY_RANK[f.severity] < SEVERITY_RANK["medium"] and zs[i] < self.add_z[i]:
                            f = replace(f, severity="medium")
                        out.append(f)
                elif zs[i] >= self.add_z[i]:
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
        said = ", ".join(f"'{w}'" for w in words)
        return Finding(
            id=f"model:{label}@{clause.start}", category=category, severity=severity, polarity=cat.polarity,
            title=cat.title,
            explanation=f"{cat.explanation} (Found by clausewatch's statistical check, p={prob:.2f}; "
                        f"words that drove it: {said}.)",
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
