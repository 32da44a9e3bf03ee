"""How far do standard bag-of-words models get on the CLAUDETTE labels? (bench/accuracy.md, "Ceiling")

    .venv/bin/python -m pip install -r bench/requirements.txt
    .venv/bin/python bench/ceiling.py [--data ../shared/data]

Issue 4 asks for 0.85 macro-F1 on UNFAIR-ToS validation. Before writing more rules we wanted to
know whether the labels can be learned that far from the words of a sentence at all. This trains
the usual strong baselines on `unfair_tos/train.jsonl` only, with fixed settings (nothing is
chosen on the check sets), and reports them on validation and on CLAUDETTE 2024 en:

- TF-IDF word 1-2 grams + linear SVM, classes balanced (the LexGLUE-style baseline);
- the same plus character 3-5 grams;
- TF-IDF word 1-3 grams + logistic regression, classes balanced.

It is an experiment, not part of the product: the model that ships is bench/train_model.py's.
"""

from __future__ import annotations

import argparse
import json
import re
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LABELS = ["a", "ch", "cr", "j", "law", "ltd", "ter", "use"]


def load(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def normalise(text: str) -> str:
    # UNFAIR-ToS is lowercased with punctuation split off; 2024 is natural text: make them alike.
    text = re.sub(r"([^\w\s'])", r" \1 ", text.lower())
    return " ".join(text.split())


def configurations():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import LinearSVC

    def words(n):
        return TfidfVectorizer(ngram_range=(1, n), min_df=2, sublinear_tf=True)

    def chars():
        return TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True)

    return [
        ("TF-IDF words 1-2 + linear SVM", lambda: [words(2)],
         lambda: LinearSVC(C=1.0, class_weight="balanced", max_iter=10000)),
        ("TF-IDF words 1-2 + chars 3-5 + linear SVM", lambda: [words(2), chars()],
         lambda: LinearSVC(C=1.0, class_weight="balanced", max_iter=10000)),
        ("TF-IDF words 1-3 + logistic regression", lambda: [words(3)],
         lambda: LogisticRegression(C=10.0, class_weight="balanced", max_iter=5000)),
    ]


def run(data: Path) -> list[dict]:
    import numpy as np
    from scipy.sparse import hstack
    from sklearn.metrics import f1_score

    train = load(data / "unfair_tos" / "train.jsonl")
    checks = {"validation": load(data / "unfair_tos" / "validation.jsonl"),
              "2024 en": load(data / "claudette_2024" / "en.jsonl")}

    def gold(rows):
        return np.array([[label in r["labels"] for label in LABELS] for r in rows], dtype=int)

    texts = [normalise(r["text"]) for r in train]
    results = []
    for name, make_vectorisers, make_model in configurations():
        started = time.perf_counter()
        vecs = make_vectorisers()
        x = hstack([v.fit_transform(texts) for v in vecs]).tocsr()
        y = gold(train)
        models = [make_model().fit(x, y[:, j]) for j in range(len(LABELS))]
        row = {"model": name}
        for check, rows in checks.items():
            xc = hstack([v.transform([normalise(r["text"]) for r in rows]) for v in vecs]).tocsr()
            pred = np.column_stack([m.predict(xc) for m in models])
            per = f1_score(gold(rows), pred, average=None, zero_division=0)
            row[check] = {"macro": float(per.mean()), **dict(zip(LABELS, map(float, per)))}
        row["seconds"] = time.perf_counter() - started
        results.append(row)
    return results


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default=str(ROOT.parent / "shared" / "data"))
    args = ap.parse_args(argv)
    warnings.filterwarnings("ignore", category=FutureWarning)
    results = run(Path(args.data))
    print("| model | set | macro-F1 | " + " | ".join(LABELS) + " |")
    print("|---|---|---:|" + "---:|" * len(LABELS))
    for row in results:
        for check in ("validation", "2024 en"):
            r = row[check]
            print(f"| {row['model']} | {check} | {r['macro']:.3f} | "
                  + " | ".join(f"{r[label]:.2f}" for label in LABELS) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
