"""The labelled data is read by training and by bench/accuracy.py without further checks, so its
shape is held here: a typo in an id would silently teach the model nothing (or the wrong thing)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from clausewatch.core.taxonomy import CATEGORIES

LABELS = Path(__file__).resolve().parents[1] / "labels"
FILES = sorted([*LABELS.glob("train/*.jsonl"), *LABELS.glob("sealed/*.jsonl")])
FIELDS = {"id", "source", "doc", "lang", "scheme", "text", "labels"}


def records(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_every_record_is_whole_and_speaks_the_taxonomy(path):
    problems = []
    for r in records(path):
        missing = FIELDS - set(r)
        unknown = (set(r.get("labels", [])) | set(r.get("hard_negative_for", []))) - set(CATEGORIES)
        both = set(r.get("labels", [])) & set(r.get("hard_negative_for", []))
        if missing or unknown or both or not r.get("text", "").strip():
            problems.append((r.get("id"), sorted(missing), sorted(unknown), sorted(both)))
    assert problems == []


def test_every_clause_comes_from_a_text_whose_licence_lets_us_ship_it():
    # Open Terms Archive's texts and snapshots are ODC-BY. The OPP-115 policies are for research
    # and teaching only, and a label ships twice: in this file and inside the model.
    allowed = ("ota-contrib:", "page:pages/ota_genai/")
    outside = [r["id"] for path in FILES for r in records(path) if not r["source"].startswith(allowed)]
    assert outside == []


def test_record_ids_are_unique_across_files():
    seen, repeated = set(), []
    for path in FILES:
        for r in records(path):
            if r["id"] in seen:
                repeated.append(r["id"])
            seen.add(r["id"])
    assert repeated == []


def test_the_tosdr_readings_name_points_and_taxonomy_ids():
    files = sorted(LABELS.glob("tosdr_quotes_*.yaml"))
    assert files, "the per-quote readings of the mixed ToS;DR titles are missing"
    keys = []
    for path in files:
        quotes = yaml.safe_load(path.read_text(encoding="utf-8"))["quotes"]
        keys += list(quotes)
        assert [k for k in quotes if not re.fullmatch(r"tosdr-\d+", k)] == []
        assert sorted({i for ids in quotes.values() for i in ids} - set(CATEGORIES)) == []
    assert len(keys) == len(set(keys))  # one reading per point


def test_the_tosdr_title_mapping_speaks_the_taxonomy():
    cases = yaml.safe_load((LABELS / "tosdr_cases.yaml").read_text(encoding="utf-8"))["cases"]
    assert sorted({i for ids in cases.values() for i in ids} - set(CATEGORIES)) == []
