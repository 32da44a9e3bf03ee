"""Per-id thresholds and F1 over the ids a set annotates (an id outside a sentence's mask is skipped)."""

from __future__ import annotations

import numpy as np

GRID = [round(x, 2) for x in np.arange(0.05, 0.96, 0.05)]
MIN_POSITIVES = 5   # fewer positives than this on the selection set: keep 0.5, a choice would be noise
HIGH_PRECISION = 0.9


def _counts(p, y, m, t):
    pred = (p >= t) & (m > 0)
    truth = (y > 0) & (m > 0)
    return int((pred & truth).sum()), int((pred & ~truth).sum()), int((~pred & truth & (m > 0)).sum())


def _f1(tp, fp, fn):
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def choose_thresholds(probs, y, m, ids):
    """Per id: `keep` maximises F1; `high` is the lowest threshold whose precision is >= 0.9."""
    out = {}
    for c, i in enumerate(ids):
        p, yy, mm = probs[:, c], y[:, c], m[:, c]
        if (yy * mm).sum() < MIN_POSITIVES:
            out[i] = {"keep": 0.5, "high": 0.8}
            continue
        best = max(GRID, key=lambda t: (_f1(*_counts(p, yy, mm, t)), -abs(t - 0.5)))
        high = next((t for t in GRID if t >= best and _precision(p, yy, mm, t) >= HIGH_PRECISION), 0.95)
        out[i] = {"keep": best, "high": high}
    return out


def _precision(p, y, m, t):
    tp, fp, _ = _counts(p, y, m, t)
    return tp / (tp + fp) if tp + fp else 1.0


def macro_f1(probs, y, m, ids, thr):
    labels = {}
    for c, i in enumerate(ids):
        support = int((y[:, c] * m[:, c]).sum())
        if support == 0:
            continue
        tp, fp, fn = _counts(probs[:, c], y[:, c], m[:, c], thr[i]["keep"])
        labels[i] = {"p": tp / (tp + fp) if tp + fp else 0.0, "r": tp / (tp + fn) if tp + fn else 0.0,
                     "f1": _f1(tp, fp, fn), "support": support}
    return {"macro_f1": float(np.mean([v["f1"] for v in labels.values()])) if labels else 0.0, "labels": labels}
