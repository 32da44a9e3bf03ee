"""Draw clauses of the terms corpus for labelling: the candidates a labeller reads.

Clauses come from the terms corpus and the real HTML pages. They are cut by clausewatch's own extract_text + segment, so the labelled text has the
shape the detector sees at run time. Candidates come from keyword pools that a labeller chooses
(broader than any rule), at most a few per service so that no company dominates, and only from
the services of the requested split (training/split.py). Clauses already labelled in labels/ or
tests/gold are skipped.

    .venv/bin/python training/candidates.py --pool train --pattern 'sell|sale' --per-service 2 --limit 80
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
from pathlib import Path

import regex

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "training"))
from clausewatch.core.extract import extract_html, extract_text  # noqa: E402
from clausewatch.core.segment import segment  # noqa: E402
from split import split_of  # noqa: E402

CORPUS = ROOT.parent / "shared" / "data" / "terms_corpus"
PAGES = ROOT.parent / "shared" / "data" / "pages"
# Only pages whose licence lets a label ship (inside the model and this repository) are drawn:
# Open Terms Archive's GenAI snapshots (ODC-BY). The OPP-115 policies beside them are for research
# and teaching only (shared/data/README.md); tests/test_labels.py holds the labels to the same rule.
SHIPPABLE_PAGES = "pages/ota_genai/"
# The detector reads the first 128 tokens (about 600 characters) of a clause; longer clauses are
# cached too, so a labeller can draw the long privacy paragraphs where sale and DNT statements sit.
LONGEST = 1500


def labelled_texts() -> set[str]:
    seen = set()
    for path in [*ROOT.glob("labels/**/*.jsonl"), ROOT / "tests/gold/clausewatch_gold.jsonl"]:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                seen.add(" ".join(json.loads(line)["text"].split()).lower())
    return seen


def corpus_clauses(pool: str):
    """(service, source, clause text) for every usable clause of the pool's services.

    Segmenting the whole corpus costs seconds of CPU; labellers draw many times, so the clauses
    are kept in a cache file beside the system's temporary files after the first draw."""
    cache = Path(tempfile.gettempdir()) / f"clausewatch-candidates-v3-{pool}.jsonl"
    if cache.is_file():
        for line in cache.read_text(encoding="utf-8").splitlines():
            yield tuple(json.loads(line))
        return
    rows = list(_segment_corpus(pool))
    tmp = cache.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    os.replace(tmp, cache)
    yield from rows


def _segment_corpus(pool: str):
    yield from _segment_texts(pool)
    yield from _segment_pages(pool)


def _segment_pages(pool: str):
    """The real HTML pages too: the GenAI services' current terms say most about AI training."""
    wanted = {"train": {"train", "selection"}, "sealed": {"sealed"}}[pool]
    for line in (PAGES / "index.jsonl").read_text(encoding="utf-8").splitlines():
        page = json.loads(line)
        if not page["path"].startswith(SHIPPABLE_PAGES):
            continue
        service = page.get("service") or page["site"].removeprefix("www.").split(".")[0]
        if split_of(service) not in wanted:
            continue
        html = (PAGES.parent / page["path"]).read_text(encoding="utf-8", errors="replace")
        try:
            extracted = extract_html(html)
        except Exception:  # a page with no text
            continue
        for body in _usable(extracted):
            yield service, f"page:{page['path']}", body


def _usable(extracted):
    for clause in segment(extracted.text, extracted.blocks):
        body = extracted.text[clause.start:clause.end].strip()
        if clause.kind != "heading" and 40 <= len(body) <= LONGEST and not body.startswith("|"):
            yield body


def _segment_texts(pool: str):
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
        for body in _usable(extracted):
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
    ap.add_argument("--source", choices=["all", "corpus", "pages"], default="all")
    ap.add_argument("--min-chars", type=int, default=40)
    ap.add_argument("--max-chars", type=int, default=600, help=f"at most {LONGEST}")
    args = ap.parse_args()
    pattern = regex.compile(args.pattern, regex.I | regex.V1) if args.pattern else None
    exclude = regex.compile(args.exclude, regex.I | regex.V1) if args.exclude else None
    seen = labelled_texts()
    by_service: dict[str, list[tuple[str, str]]] = {}
    for service, source, body in corpus_clauses(args.pool):
        key = " ".join(body.split()).lower()
        if args.source != "all" and source.startswith("page:") != (args.source == "pages"):
            continue
        if not args.min_chars <= len(body) <= args.max_chars:
            continue
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
