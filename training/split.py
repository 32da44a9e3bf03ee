"""Which of the three sets a service belongs to: train, selection or sealed.

Why by service and not by sentence: policies of one company repeat their own wording, so a
sentence-level split would let the model see its test sentences' twins in training. The split is
a hash of the normalised service name, so every source (our labels, the gold set, ToS;DR points)
puts the same company in the same set, and a new labelling round never moves an old service.
"""

from __future__ import annotations

import hashlib
import re
import sys

SALT = "clausewatch-split-v1"
SEALED_PERCENT = 15      # labelled before any model ran on it; used once per release
SELECTION_PERCENT = 15   # every choice: epochs, thresholds, what to keep


def service_key(name: str) -> str:
    """'The Guardian' -> 'theguardian'; 'ota-contrib:contrib/GitLab/Privacy Policy.md' -> 'gitlab'."""
    if name.startswith("ota-contrib:"):
        name = name.split("/")[1]
    return re.sub(r"[^a-z0-9]", "", name.lower())


def split_of(service: str) -> str:
    bucket = int(hashlib.sha256(f"{SALT}:{service_key(service)}".encode()).hexdigest(), 16) % 100
    if bucket < SEALED_PERCENT:
        return "sealed"
    if bucket < SEALED_PERCENT + SELECTION_PERCENT:
        return "selection"
    return "train"


if __name__ == "__main__":
    # `python training/split.py GitLab "The Guardian"` prints each service's set.
    for arg in sys.argv[1:]:
        print(f"{split_of(arg)}\t{arg}")
