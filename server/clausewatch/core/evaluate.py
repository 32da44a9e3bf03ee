"""`clausewatch eval`: score the product's own analysis against annotated JSONL sentences."""

from __future__ import annotations

import json
import time
from pathlib import Path

from .analyze import Analyzer
from .extract import ExtractionError
from .taxonomy import to_claudette

SEVERE = {"critical", "high"}


class EvalError(ValueError):
    pass


def read_jsonl(path: Path) -> list[dict]:
    rows = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise EvalError(f"{path}:{n}: not JSON: {exc}") from None
            if not isinstance(row, dict) or not isinstance(row.get("text"), str) \
                    or not isinstance(row.get("labels"), list):
                raise EvalError(f"{path}:{n}: needs 'text' (string) and 'labels' (list)")
            rows.append(row)
    return rows


def predict(analyzer: Analyzer, text: str, scheme: str) -> tuple[set[str], set[str]]:
    """The labels the product finds in `text`, and those of them it shows as critical or high."""
    try:
        findings = analyzer.analyze(text=text).findings
    except ExtractionError:
        return set(), set()
    if scheme == "claudette":
        label_of = to_claudette
    elif scheme == "clausewatch":
        def label_of(category):
            return category
    else:
        raise EvalError(f"unknown scheme {scheme!r} (known: claudette, clausewatch)")
    found = {label for f in findings if (label := label_of(f.category))}
    severe = {label for f in findings if f.severity in SEVERE and (label := label_of(f.category))}
    return found, severe


def evaluate(analyzer: Analyzer, rows: list[dict]) -> dict:
    started = time.perf_counter()
    tp: dict[str, int] = {}
    fp: dict[str, int] = {}
    fn: dict[str, int] = {}
    severe_right = severe_all = 0
    # A label no row of the file carries was not annotated there (the gold set has no contract
    # labels): a red finding of it can be neither right nor wrong, so it is not counted.
    annotated = {label for row in rows for label in row["labels"]}
    for row in rows:
        gold = set(row["labels"])
        pred, severe = predict(analyzer, row["text"], row.get("scheme", "claudette"))
        severe &= annotated
        severe_all += len(severe)
        severe_right += len(severe & gold)
        for label in gold & pred:
            tp[label] = tp.get(label, 0) + 1
        for label in pred - gold:
            fp[label] = fp.get(label, 0) + 1
        for label in gold - pred:
            fn[label] = fn.get(label, 0) + 1
    labels = {}
    for label in sorted(set(tp) | set(fp) | set(fn)):
        t, p, n = tp.get(label, 0), fp.get(label, 0), fn.get(label, 0)
        precision = t / (t + p) if t + p else 0.0
        recall = t / (t + n) if t + n else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        labels[label] = {"p": round(precision, 4), "r": round(recall, 4), "f1": round(f1, 4),
                         "support": t + n, "tp": t, "fp": p, "fn": n}
    # Macro over the labels the file actually has; a label only ever predicted is still shown.
    supported = [v["f1"] for v in labels.values() if v["support"] > 0]
    T, P, N = sum(tp.values()), sum(fp.values()), sum(fn.values())
    micro_p = T / (T + P) if T + P else 0.0
    micro_r = T / (T + N) if T + N else 0.0
    micro = 2 * micro_p * micro_r / (micro_p + micro_r) if micro_p + micro_r else 0.0
    return {
        "labels": labels,
        "macro_f1": round(sum(supported) / len(supported), 4) if supported else 0.0,
        "micro_f1": round(micro, 4),
        # What a user acts on first: of the labels shown red (critical or high), how many are right.
        "critical_high": {"shown": severe_all, "right": severe_right,
                          "precision": round(severe_right / severe_all, 4) if severe_all else None},
        "sentences": len(rows),
        "seconds": round(time.perf_counter() - started, 3),
    }


def format_table(result: dict) -> str:
    lines = [f"{'label':<26}{'P':>8}{'R':>8}{'F1':>8}{'support':>9}{'fp':>6}"]
    for label, v in result["labels"].items():
        lines.append(f"{label:<26}{v['p']:>8.3f}{v['r']:>8.3f}{v['f1']:>8.3f}{v['support']:>9}{v['fp']:>6}")
    lines.append("")
    lines.append(f"macro-F1 {result['macro_f1']:.4f}   micro-F1 {result['micro_f1']:.4f}   "
                 f"{result['sentences']} sentences in {result['seconds']:.1f} s")
    ch = result["critical_high"]
    if ch["shown"]:
        lines.append(f"critical/high precision {ch['precision']:.4f} ({ch['right']} of {ch['shown']} right)")
    return "\n".join(lines)

