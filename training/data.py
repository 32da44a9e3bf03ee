"""Every labelled source, in the taxonomy's ids, with a mask of which ids each source annotated.

Sources and what they annotate (an id outside a sentence's mask is unknown, not negative):
- labels/train/*.jsonl: our own reading, every id (training/split.py sends each service to train
  or selection).
- tests/gold/clausewatch_gold.jsonl: the content, data and protection ids only (see its README).
- ../shared/data/tosdr/points_dev.jsonl through labels/tosdr_cases.yaml: a reviewer's case title
  per quote, so only the ids its titles map to are known (positives); nothing else is. Points of
  titles whose quotes disagree were read one by one (labels/tosdr_quotes_*.yaml).
- ../shared/data/unfair_tos/train.jsonl: the CLAUDETTE codes, mapped to the contract and dispute
  ids; detokenised ("subscription , without" -> "subscription, without") so that the model does
  not learn the corpus's tokenisation.
- rules/**/*.yaml examples: a match example is positive and a no_match example negative for the
  rule's own category only.
The sealed set (labels/sealed/) is never read here except by `sealed()`, for the final report.
"""

from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT / "server"))
sys.path.insert(0, str(ROOT / "training"))
from clausewatch.core.taxonomy import CATEGORIES  # noqa: E402
from split import split_of  # noqa: E402

IDS = list(CATEGORIES)
GOLD_IDS = {c.id for c in CATEGORIES.values() if c.polarity == "protection" or c.claudette is None} - {
    "auto_renewal", "indemnification"}
CLAUDETTE_IDS = {"a": ["arbitration"], "ch": ["unilateral_change"], "cr": ["content_removal"],
                 "j": ["jurisdiction"], "law": ["choice_of_law"], "ltd": ["liability_limitation"],
                 "ter": ["unilateral_termination"], "use": ["contract_by_using"]}
UNFAIR_MASK = {"arbitration", "class_action_waiver", "unilateral_change", "content_removal", "jurisdiction",
               "choice_of_law", "liability_limitation", "unilateral_termination", "contract_by_using"}
CLASS_WORDS = re.compile(r"class|collective|representative|jury", re.I)


@dataclass
class Example:
    text: str
    positives: set[str]
    mask: set[str]          # ids whose truth this source knows
    source: str
    doc: str
    hard: set[str] = field(default_factory=set)  # ids a labeller marked this a hard negative for
    split: str = field(init=False)

    def __post_init__(self):
        self.split = split_of(self.doc)


def _jsonl(path: Path):
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def detokenise(text: str) -> str:
    text = re.sub(r" ([,.;:!?)\]%])", r"\1", text)
    text = re.sub(r"([(\[$]) ", r"\1", text)
    text = re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", text)
    text = re.sub(r"`` | ''", '"', text)
    return text


def our_rows(splits: set[str] | None = None):
    """(file stem, record) of labels/train, in the services of `splits` (all when None); a clause
    two labellers both drew counts once (the first file's reading)."""
    seen = set()
    for path in sorted((ROOT / "labels" / "train").glob("*.jsonl")):
        for r in _jsonl(path):
            key = " ".join(r["text"].split()).lower()
            if (splits is None or split_of(r["doc"]) in splits) and key not in seen:
                seen.add(key)
                yield path.stem, r


def selection_rows() -> list[dict]:
    """The selection set as records: our labels of the selection services. Bars and epochs are
    chosen on it, and bench/accuracy.py and tests/test_accuracy.py report and hold its figure."""
    return [r for _, r in our_rows({"selection"})]


def ours() -> list[Example]:
    return [Example(r["text"], set(r["labels"]), set(IDS), f"labels/{stem}", r["doc"],
                    set(r.get("hard_negative_for", [])) - set(r["labels"]))
            for stem, r in our_rows()]


def gold() -> list[Example]:
    return [Example(r["text"], set(r["labels"]), set(GOLD_IDS), "gold", r["doc"])
            for r in _jsonl(ROOT / "tests" / "gold" / "clausewatch_gold.jsonl")]


def tosdr_map() -> dict[str, list[str]]:
    path = ROOT / "labels" / "tosdr_cases.yaml"
    if not path.is_file():
        return {}
    return {k.strip(): v for k, v in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"].items()}


def tosdr_quote_ids() -> dict[str, set[str]]:
    """Ids read quote by quote for the points of titles whose quotes disagree
    (labels/tosdr_quotes_*.yaml); they replace the title mapping for those points."""
    out = {}
    for path in sorted((ROOT / "labels").glob("tosdr_quotes_*.yaml")):
        out.update({k: set(v) for k, v in yaml.safe_load(path.read_text(encoding="utf-8"))["quotes"].items()})
    return out


def tosdr(per_quote: bool = True) -> list[Example]:
    """ToS;DR points as examples. A point read one by one knows the ids its titles map to and the
    ids its reader gave it, so a title's id the quote does not show becomes a negative; any
    other point knows only its titles' ids, all positive."""
    mapping, out = tosdr_map(), []
    read = tosdr_quote_ids() if per_quote else {}
    path = SHARED / "tosdr" / "points_dev.jsonl"
    if not path.is_file() or not mapping:
        return out
    for r in _jsonl(path):
        ids = {i for title in r["labels"] for i in mapping.get(title.strip(), [])}
        positives = read.get(r["id"], ids)
        text = re.sub(r"<[^>]+>", " ", r["text"])
        if (ids | positives) and text.strip():
            out.append(Example(" ".join(text.split()), set(positives), ids | positives, "tosdr", r["doc"]))
    return out


def unfair(split: str = "train") -> list[Example]:
    out = []
    path = SHARED / "unfair_tos" / f"{split}.jsonl"
    if not path.is_file():
        return out
    for r in _jsonl(path):
        text = detokenise(r["text"])
        pos = {i for code in r["labels"] for i in CLAUDETTE_IDS.get(code, [])}
        if "a" in r["labels"] and CLASS_WORDS.search(text):
            pos.add("class_action_waiver")
            if "arbitra" not in text.lower():
                pos.discard("arbitration")
        out.append(Example(text, pos, set(UNFAIR_MASK), "unfair_tos", r["doc"]))
    return out


def rule_examples() -> list[Example]:
    out = []
    for path in sorted((ROOT / "rules").glob("*/*.yaml")):
        rule = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(rule, dict) or "category" not in rule:
            continue
        cat, ex = rule["category"], rule.get("examples") or {}
        out += [Example(t, {cat}, {cat}, "rules", "clausewatch-rules") for t in ex.get("match", [])]
        # Written as the near misses of their category (a denial, a ban on the user, a pointer):
        # hard negatives, weighted as a labeller's are.
        out += [Example(t, set(), {cat}, "rules", "clausewatch-rules", {cat}) for t in ex.get("no_match", [])]
    return out


def sealed() -> list[Example]:
    path = ROOT / "labels" / "sealed" / "sealed.jsonl"
    return [Example(r["text"], set(r["labels"]), set(IDS), "sealed", r["doc"]) for r in _jsonl(path)] \
        if path.is_file() else []


def training_pool() -> list[Example]:
    """Everything but the sealed services (dropped from every source, so no company leaks)."""
    pool = ours() + gold() + tosdr() + unfair("train") + rule_examples()
    for ex in pool:
        if ex.source == "rules":
            ex.split = "train"   # written by us as tests of the rules: no service to hold out
    return [ex for ex in pool if ex.split != "sealed"]


if __name__ == "__main__":
    from collections import Counter
    pool = training_pool()
    print(Counter((e.source.split("/")[0], e.split) for e in pool))
    pos = Counter(i for e in pool for i in e.positives)
    for i in IDS:
        print(f"{i:28} {pos[i]:5}")
