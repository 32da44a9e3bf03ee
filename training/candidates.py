"""Draw clauses of the terms corpus for labelling: the candidates a labeller reads.

The clauses are cut by clausewatch's own extract_text + segment, so the labelled text has the
shape the detector sees at run time. Candidates come from keyword pools that a labeller chooses
(broader than any rule), at most a few per service so that no company dominates, and only from
the services of the requested split (training/split.py). Clauses already labelled in labels/ or
tests/gold are skipped.

    .venv/bin/python training/candidates.py --pool train --pattern 'sell|sale' --per-service 2 --limit 80
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import regex

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "training"))
from clausewatch.extract import extract_text  # noqa: E402
from clausewatch.segment import segment  # noqa: E402
from split import split_of  # noqa: E402

CORPUS = ROOT.parent / "shared" / "data" / "terms_corpus"


def labelled_texts() -> set[str]:
    seen = set()
    for path in [*ROOT.glob("labels/**/*.jsonl"), ROOT / "tests/gold/clausewatch_gold.jsonl"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                seen.add(" ".join(json.loads(line)["text"].split()).lower())
    return seen


def corpus_clauses(pool: str):
    """(service, source, clause text) for every usable clause of the pool's services."""
    wanted = {"train": {"train", "selection"}, "sealed": {"sealed"}}[pool]
    for line in (CORPUS / "index.jsonl").read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        if split_of(doc["service"]) not in wanted:
            continue
        text = (CORPUS.parent / doc["path"]).read_text(encoding="utf-8", errors="replace")
        try:
            extracted = extract_text(text)
        except Exception:  # an empty document
            continue
        for clause in segment(extracted.text, extracted.blocks):
            body = extracted.text[clause.start:clause.end].strip()
            if clause.kind == "heading" or not 40 <= len(body) <= 600 or body.startswith("|"):
                continue
            yield doc["service"], f"ota-contrib:{doc['path'].removeprefix('terms_corpus/')}", body


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pool", choices=["train", "sealed"], default="train",
                    help="train = the train and selection services; sealed = the sealed services")
    ap.add_argument("--pattern", default="", help="a regex (case-insensitive); empty = any clause")
    ap.add_argument("--exclude", default="", help="a regex that rules a clause out")
    ap.add_argument("--per-service", type=int, default=2)
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    pattern = regex.compile(args.pattern, regex.I | regex.V1) if args.pattern else None
    exclude = regex.compile(args.exclude, regex.I | regex.V1) if args.exclude else None
    seen = labelled_texts()
    by_service: dict[str, list[tuple[str, str]]] = {}
    for service, source, body in corpus_clauses(args.pool):
        key = " ".join(body.split()).lower()
        if key in seen or (pattern and not pattern.search(body)) or (exclude and exclude.search(body)):
            continue
        seen.add(key)
        by_service.setdefault(service, []).append((source, body))
    rng = random.Random(args.seed)
    picked = []
    for service, items in sorted(by_service.items()):
        rng.shuffle(items)
        picked += [(service, s, b) for s, b in items[:args.per_service]]
    rng.shuffle(picked)
    for service, source, body in picked[:args.limit]:
        print(json.dumps({"doc": service, "source": source, "text": body}, ensure_ascii=False))


if __name__ == "__main__":
    main()
