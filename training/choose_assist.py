"""Choose, on the selection set, the ids whose built-in rules may add a finding the model missed.

A long clause can bury its point: Zoom's "Service Generated Data ... for any purpose, including ...
machine learning or artificial intelligence (including ... training and tuning of algorithms and
models)" puts it after a list that the model reads as product development and marketing. Where an
id's rule is precise, its phrase is evidence of its own (core/detect.py, `_assisted`). Which ids:
those whose selection F1 rises when their rule may add findings, through the product's own
analysis. The list goes into the model's detector.json ("assist"), so it travels with the model it
was chosen for. Run after train_encoder.py, before bench/accuracy.py:

    PYTHONPATH=server .venv/bin/python training/choose_assist.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "training"))
from clausewatch.core.evaluate import evaluate  # noqa: E402
from clausewatch.services import build_analyzer  # noqa: E402
from clausewatch.settings import Settings  # noqa: E402
from data import our_rows  # noqa: E402

DETECTOR_JSON = ROOT / "server" / "clausewatch" / "core" / "detector" / "detector.json"
MARGIN = 0.005  # an F1 gain smaller than this is one sentence of noise, not evidence


def scored(analyzer, rows, assist: dict[str, str]) -> dict:
    analyzer.detector.assist = dict(assist)
    analyzer.cache.clear()  # analyses of the previous setting must not answer for this one
    return evaluate(analyzer, rows)


def main() -> None:
    analyzer = build_analyzer(Settings.from_env())
    if analyzer.detector.encoder is None:
        sys.exit("the model is not loaded: nothing to assist")
    rows = [r for _, r in our_rows({"selection"})]
    candidates = sorted(analyzer.detector.builtin)
    alone = scored(analyzer, rows, {})
    by_mode = {mode: scored(analyzer, rows, {i: mode for i in candidates}) for mode in ("hit", "near")}

    def f1(result, i):
        return result["labels"].get(i, {}).get("f1", 0.0)

    chosen = {}
    for i in candidates:
        if not alone["labels"].get(i, {}).get("support"):
            continue
        # Each mode must earn its place by a clear gain; the wider ("hit") wins a tie.
        gains = {mode: f1(by_mode[mode], i) - f1(alone, i) for mode in ("hit", "near")}
        best = max(gains, key=lambda mode: (gains[mode], mode == "hit"))
        if gains[best] > MARGIN:
            chosen[i] = best
    final = scored(analyzer, rows, chosen)
    for i, mode in chosen.items():
        print(f"  {i} ({mode}): F1 {f1(alone, i):.3f} -> {f1(final, i):.3f}")
    print(f"selection macro-F1 {alone['macro_f1']:.4f} -> {final['macro_f1']:.4f}; critical/high precision "
          f"{alone['critical_high']['precision']:.4f} -> {final['critical_high']['precision']:.4f}")
    record = json.loads(DETECTOR_JSON.read_text(encoding="utf-8"))
    record["assist"] = chosen
    record["assist_selection"] = {"macro_f1": [round(alone["macro_f1"], 4), round(final["macro_f1"], 4)],
                                  "critical_high": [alone["critical_high"]["precision"],
                                                    final["critical_high"]["precision"]]}
    DETECTOR_JSON.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
