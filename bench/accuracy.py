"""Accuracy of the shipped detector on every evaluation set; writes bench/accuracy.md.

    .venv/bin/python bench/accuracy.py            # selection and check sets
    .venv/bin/python bench/accuracy.py --sealed   # and the sealed test (once per release)
    CLAUSEWATCH_NO_MODEL=1 .venv/bin/python bench/accuracy.py --out /tmp/rules.md   # rules alone

Every figure goes through the product (`clausewatch eval`'s code: analyse each sentence as its
own text, map findings to the set's scheme). What each set is:
- selection: our labels (labels/train) of the selection services. Epochs and thresholds were
  chosen on it, so it flatters the model.
- gold: tests/gold, built by earlier rounds against the rules; its train services trained the model.
- check sets: UNFAIR-ToS validation and CLAUDETTE 2024 en; nothing was chosen on them.
- ToS;DR recall: reviewers' quotes of services the model did not train on (selection and sealed
  buckets of training/split.py), mapped to our ids by labels/tosdr_cases.yaml, and for the titles
  whose quotes disagree by reading each quote (labels/tosdr_quotes_*.yaml); macro recall over ids
  with at least 10 quotes. The figure by the title mapping alone is written beside it.
- sealed: labels/sealed, labelled before any model ran on it; read only with --sealed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
sys.path.insert(0, str(REPO / "server"))
sys.path.insert(0, str(REPO / "training"))
from data import selection_rows, tosdr  # noqa: E402

from clausewatch.core.analyze import Analyzer  # noqa: E402
from clausewatch.core.detect import MIN_WORDS  # noqa: E402
from clausewatch.core.evaluate import evaluate  # noqa: E402
from clausewatch.services import build_analyzer  # noqa: E402
from clausewatch.settings import Settings  # noqa: E402


def jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def tosdr_recall(analyzer: Analyzer, per_quote: bool = True) -> dict:
    found, total = Counter(), Counter()
    for quote in tosdr(per_quote):
        if quote.split == "train":
            continue
        got = {f.category for f in analyzer.analyze(text=quote.text).findings}
        for i in quote.positives:
            total[i] += 1
            found[i] += i in got
    per_id = {i: {"recall": round(found[i] / total[i], 4), "quotes": total[i]} for i in sorted(total)}
    counted = [v["recall"] for v in per_id.values() if v["quotes"] >= 10]
    return {"ids": per_id, "macro_recall_10": round(sum(counted) / len(counted), 4) if counted else None,
            "ids_counted": len(counted)}


def gate_recall() -> tuple[int, int]:
    """Labelled positive clauses (real texts, training pool) that pass detect.py's length gate."""
    from data import training_pool
    positives = [e for e in training_pool() if e.positives and e.source != "rules"]
    return sum(len(e.text.split()) >= MIN_WORDS for e in positives), len(positives)


def table(result: dict) -> list[str]:
    lines = ["| label | P | R | F1 | support | fp |", "|---|---:|---:|---:|---:|---:|"]
    for label, v in result["labels"].items():
        if v["support"]:
            lines.append(f"| {label} | {v['p']:.3f} | {v['r']:.3f} | {v['f1']:.3f} | {v['support']} | {v['fp']} |")
    ch = result["critical_high"]
    severe = "n/a" if ch["precision"] is None else f"**{ch['precision']:.4f}**"
    lines += ["", f"macro-F1 **{result['macro_f1']:.4f}**, micro-F1 {result['micro_f1']:.4f}, "
                  f"{result['sentences']} sentences; critical/high precision {severe} "
                  f"({ch['right']} of {ch['shown']})"]
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sealed", action="store_true", help="also score the sealed test (once per release)")
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "accuracy.md")
    args = ap.parse_args()
    analyzer = build_analyzer(Settings.from_env())  # CLAUSEWATCH_NO_MODEL=1: the rules alone
    model = analyzer.detector.encoder
    sets = [("Selection set: our labels, selection services (epochs and thresholds chosen on it)",
             selection_rows()),
            ("Gold set (tests/gold; its train services trained the model)",
             jsonl(REPO / "tests" / "gold" / "clausewatch_gold.jsonl")),
            ("Check set: UNFAIR-ToS validation (nothing chosen on it)",
             jsonl(SHARED / "unfair_tos" / "validation.jsonl")),
            ("Check set: CLAUDETTE 2024 en (nothing chosen on it)",
             jsonl(SHARED / "claudette_2024" / "en.jsonl"))]
    if args.sealed:
        sets.insert(0, ("Sealed test (labelled before any model ran on it)",
                        jsonl(REPO / "labels" / "sealed" / "sealed.jsonl")))
    out = ["# Accuracy", "",
           f"Written by `bench/accuracy.py{' --sealed' if args.sealed else ''}`"
           f"{' with CLAUSEWATCH_NO_MODEL=1 (rules alone)' if os.environ.get('CLAUSEWATCH_NO_MODEL') else ''}; "
           "every figure goes through the product's own analysis (`clausewatch eval`).",
           f"Detector: {'none (rules alone)' if model is None else 'model.onnx sha256 ' + model.record['files_sha256']['model.onnx'][:16]}.",
           ""]
    summary = {}
    for title, rows in sets:
        result = evaluate(analyzer, rows)
        summary[title] = {"macro_f1": result["macro_f1"], "critical_high": result["critical_high"]}
        out += [f"## {title}", ""] + table(result) + [""]
        print(f"{title}: macro-F1 {result['macro_f1']:.4f}  critical/high {result['critical_high']}", flush=True)
    recall = tosdr_recall(analyzer)
    summary["tosdr"] = recall["macro_recall_10"]
    out += ["## ToS;DR quotes of held-out services (selection and sealed buckets)", "",
            "| id | recall | quotes |", "|---|---:|---:|"]
    out += [f"| {i} | {v['recall']:.3f} | {v['quotes']} |" for i, v in recall["ids"].items()]
    out += ["", f"macro recall over the {recall['ids_counted']} ids with at least 10 quotes: "
                f"**{recall['macro_recall_10']:.4f}**", ""]
    by_title = tosdr_recall(analyzer, per_quote=False)  # repeats hit the analyzer's clause cache
    out += [f"By the title mapping alone (every quote of a title gets the title's ids): "
            f"{by_title['macro_recall_10']:.4f} over {by_title['ids_counted']} ids.", ""]
    print(f"ToS;DR macro recall (ids with >= 10 quotes): {recall['macro_recall_10']}; "
          f"by title alone {by_title['macro_recall_10']}")
    passed, total = gate_recall()
    out += ["## The length gate", "",
            f"detect.py scores only clauses of {MIN_WORDS} words or more: "
            f"{passed} of {total} labelled positive clauses of the training pool pass it "
            f"(recall {passed / total:.4f}).", ""]
    args.out.write_text("\n".join(out), encoding="utf-8")
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
