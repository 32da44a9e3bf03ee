"""How much of Open Terms Archive's reference text our extraction keeps, page by page.

    python bench/extraction.py [--worst N] [--all]

Needs ../shared/data/pages. For each of the 44 pages with a `reference_text`:

- recall: share of the reference's words (a multiset, lowercased, markdown stripped) that the
  extracted text also has, against the part of the reference this snapshot holds (below);
- raw recall: the same against the whole reference as stored;
- precision: share of the extracted words that the (whole) reference has; low precision means
  navigation, cookie banners or footers leaked into the policy text;
- ms: CPU time of `extract_html`.

Why not just the raw recall: the stored references are not exact for every page.
1. Open Terms Archive builds one document from several source pages (ChatGPT's usage policy is
   five help pages, Grok's privacy policy two, Claude's AUP three), and each of our pages is one
   of them, so no single page can hold the whole reference.
2. Some references hold their text twice (every Mistral "Le Chat"/"Vibe" reference: the second
   half repeats the first, while the page's DOM holds it once).
3. Some snapshots are of another date than the reference, or of a different document.
So the reference is first cut to distinct paragraphs, and a paragraph counts for a page only if
the raw HTML holds it (most of its word trigrams appear anywhere in the file, scripts and
hydration JSON included). Text that is nowhere in the file cannot be extracted. `held` is that
share of the reference; a page that holds < 5% is listed as a mismatch.

Figures, before and after, what did not work and the mismatched pages: bench/extraction.md.
After (2026-11-28): recall 0.993 mean, 0.891 min, 39/40 pages >= 0.95 (4 mismatched pages apart);
precision 0.969 mean; 9 ms median, 24 ms p95 CPU per page (was 0.985 / 0.824 / 38, 0.869, 45 / 325).
"""

from __future__ import annotations

import argparse
import html as htmllib
import json
import re
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server"))
from clausewatch.core.extract import extract_html  # noqa: E402

PAGES = REPO.parent / "shared" / "data" / "pages"
WORD = re.compile(r"[^\W_]+", re.UNICODE)
LINK = re.compile(r"\[[^\]]*\]\([^)]*\)")
# A reference paragraph is in the snapshot when this share of its word trigrams is in the file.
HELD_SHARE = 0.8
# Below this share of its (distinct) reference in the file, a page is not the reference's document.
MISMATCH = 0.05


def tokens(text: str) -> list[str]:
    text = re.sub(r"\]\([^)]*\)", "]", text)  # markdown link targets are not page text
    text = re.sub(r"<[^>]+>", " ", text)  # "<br>" inside markdown table cells
    return [w.lower() for w in WORD.findall(text)]


def words(text: str) -> Counter:
    return Counter(tokens(text))


def recall(reference: str, extracted: str) -> float:
    ref, got = words(reference), words(extracted)
    total = sum(ref.values())
    return sum(min(n, got[w]) for w, n in ref.items()) / total if total else 1.0


def precision(reference: str, extracted: str) -> float:
    return recall(extracted, reference)


def raw_file_text(html: str) -> str:
    """Every string in the file, hydration JSON ("\\u003cp\\u003e...") and attributes included."""
    text = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)
    text = text.replace("\\n", " ").replace('\\"', '"').replace("\\/", "/")
    text = htmllib.unescape(htmllib.unescape(text))
    return re.sub(r"<[^>]*>", " ", text)


def trigrams(toks: list[str]) -> set[tuple[str, ...]]:
    return {tuple(toks[i:i + 3]) for i in range(len(toks) - 2)}


def held_reference(reference: str, html: str) -> str:
    """The distinct paragraphs of the reference that the raw file holds."""
    raw_grams = trigrams(tokens(raw_file_text(html)))
    # A paragraph made only of links is navigation (breadcrumbs, a table of contents) that OTA
    # kept and the extraction drops on purpose: not counted.
    paras = [p for p in distinct(reference).split("\n\n") if tokens(LINK.sub(" ", p))]
    held: list[bool | None] = []
    for para in paras:
        grams = trigrams(tokens(para))
        # A heading of one or two words ("Research") is in almost any page: it goes with the
        # paragraph that follows it (or, at the end, the one before).
        held.append(sum(g in raw_grams for g in grams) / len(grams) >= HELD_SHARE if grams else None)
    following = None
    for i in range(len(held) - 1, -1, -1):
        if held[i] is None:
            held[i] = following
        following = held[i]
    preceding = False
    for i, h in enumerate(held):
        held[i] = preceding if h is None else h
        preceding = held[i]
    return "\n\n".join(p for p, h in zip(paras, held) if h)


def pages_with_reference(root: Path = PAGES):
    for line in (root / "index.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("reference_text"):
            yield row, (root.parent / row["path"]), (root.parent / row["reference_text"])


def distinct(reference: str) -> str:
    return "\n\n".join(dict.fromkeys(p.strip() for p in reference.split("\n\n") if p.strip()))


def measure(html: str, reference: str, extract=extract_html) -> dict:
    # CPU time, not wall time: the figures must not depend on what else the machine is running.
    started = time.process_time()
    extracted = extract(html)
    ms = (time.process_time() - started) * 1000
    held = held_reference(reference, html)
    ref_words = sum(words(distinct(reference)).values())
    return {"recall": recall(held, extracted.text), "raw_recall": recall(reference, extracted.text),
            "precision": precision(reference, extracted.text), "ms": ms, "method": extracted.method,
            "held": sum(words(held).values()) / ref_words if ref_words else 1.0, "text": extracted.text}


def _summary(values: list[float]) -> str:
    return (f"mean {statistics.mean(values):.3f} median {statistics.median(values):.3f} "
            f"min {min(values):.3f}, >= 0.95: {sum(v >= 0.95 for v in values)}/{len(values)}")


def run(extract=extract_html, worst: int = 8, show_all: bool = False, out=print) -> list[tuple[dict, str]]:
    results, groups = [], {}
    for _row, html_path, ref_path in pages_with_reference():
        html = html_path.read_text(encoding="utf-8", errors="replace")
        reference = ref_path.read_text(encoding="utf-8")
        results.append((measure(html, reference, extract), html_path.name))
        groups.setdefault(reference, []).append(results[-1][0]["text"])
    matched = [r for r, _ in results if r["held"] >= MISMATCH]
    ms = sorted(r["ms"] for r, _ in results)
    out(f"{len(results)} pages with reference_text; {len(results) - len(matched)} hold < {MISMATCH:.0%} "
        f"of their reference (mismatch, listed below)")
    out(f"  recall, held reference, {len(matched)} pages: {_summary([r['recall'] for r in matched])}")
    out(f"  raw recall, whole reference, all pages: {_summary([r['raw_recall'] for r, _ in results])}")
    shared = [recall(distinct(ref), "\n\n".join(texts)) for ref, texts in groups.items()]
    out(f"  documents ({len(groups)} references, pages of one document joined): {_summary(shared)}")
    out(f"  precision, all pages: {_summary([r['precision'] for r, _ in results])}")
    out(f"  ms per page: median {statistics.median(ms):.0f}, p95 {ms[round(0.95 * (len(ms) - 1))]:.0f}")
    out("  recall raw_rec  prec  held method       ms  page")
    shown = sorted(results, key=lambda x: (x[0]["held"] >= MISMATCH, x[0]["recall"]))
    if not show_all:
        mismatched = [x for x in shown if x[0]["held"] < MISMATCH]
        shown = mismatched + [x for x in shown if x[0]["held"] >= MISMATCH][:worst]
    for r, name in shown:
        flag = "  MISMATCH" if r["held"] < MISMATCH else ""
        out(f"  {r['recall']:.3f}  {r['raw_recall']:.3f}  {r['precision']:.2f}  {r['held']:.2f} "
            f"{r['method']:<11} {r['ms']:5.0f}  {name}{flag}")
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worst", type=int, default=8)
    parser.add_argument("--all", action="store_true", help="list every page")
    args = parser.parse_args()
    run(worst=args.worst, show_all=args.all)
    return 0


if __name__ == "__main__":
    sys.exit(main())
