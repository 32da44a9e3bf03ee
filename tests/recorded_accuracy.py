"""The figures bench/accuracy.py wrote into bench/accuracy.md for the shipped model: the floor the
regression tests hold the detector to (tests/test_accuracy.py, tests/test_gold.py). Read from the
file, so no figure is typed into a test by hand."""

from __future__ import annotations

import re
from pathlib import Path

ACCURACY_MD = Path(__file__).resolve().parents[1] / "bench" / "accuracy.md"
FIGURES = re.compile(r"macro-F1 \*\*([0-9.]+)\*\*.*?critical/high precision \*\*([0-9.]+)\*\*")


def recorded(section: str) -> dict:
    """{"macro_f1", "critical_high"} of the bench/accuracy.md section whose heading starts with `section`."""
    text = ACCURACY_MD.read_text(encoding="utf-8")
    for part in text.split("\n## ")[1:]:
        if part.startswith(section):
            m = FIGURES.search(part)
            if m:
                return {"macro_f1": float(m.group(1)), "critical_high": float(m.group(2))}
    raise LookupError(f"no figures under a heading '{section}' in {ACCURACY_MD}")
