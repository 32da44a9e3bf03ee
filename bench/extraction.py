"""How much of Open Terms Archive's reference text our extraction keeps, page by page.

    python bench/extraction.py [--worst N] [--all]

Needs ../shared/data/pages. For each of the 44 pages with a `reference_text`:

- recall: share of the reference's words (a multiset, lowercased, markdown stripped) that the
  extracted text also has, against the part of the reference this snapshot holds (below);
- raw recall: the same against the whole reference as stored;
- precision: share of the extracted words that the (whole) reference has; low precision means
  navigation, cookie banners or footers leaked into the policy text;
- ms: wall time of `extract_html`.

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
share of the reference; a page that holds < 50% is listed as a mismatch (see bench/extraction.md).
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
from clausewatch.extract import extract_html  # noqa: E402

PAGES = REPO.parent / "shared" / "data" / "pages"
WORD = re.compile(r"[^\W_]+", re.UNICODE)
# A reference paragraph is in the snapshot when this share of its word trigrams is in the file.
HELD_SHARE = 0.6
MISMATCH = 0.5


def tokens(text: str) -> list[str]:
    text = re.sub(r"\]\([^)]*\)", "]", text)  # markdown link targets are not page text
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
    raw = tokens(raw_file_text(html))
    raw_words, raw_grams = set(raw), trigrams(raw)
    kept = []
    for para in dict.fromkeys(p.strip() for p in reference.split("\n\n") if p.strip()):
        toks = tokens(para)
        grams = trigrams(toks)
        if grams:
            held = sum(g in raw_grams for g in grams) / len(grams) >= HELD_SHARE
        else:
            held = bool(toks) and all(t in raw_words for t in toks)
        if held:
            kept.append(para)
    return "\n\n".join(kept)


def pages_with_reference(root: Path = PAGES):
    for line in (root / "index.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row.get("reference_text"):
            yield row, (root.parent / row["path"]), (root.parent / row["reference_text"])


def measure(html: str, reference: str) -> dict:
    started = time.perf_counter()
    extracted = extract_html(html)
    ms = (time.perf_counter() - started) * 1000
    held = held_reference(reference, html)
    ref_words = sum(words(reference).values())
    return {"recall": recall(held, extracted.text), "raw_recall": recall(reference, extracted.text),
            "precision": precision(reference, extracted.text), "ms": ms, "method": extracted.method,
            "held": sum(words(held).values()) / ref_words if ref_words else 1.0}


def _summary(label: str, values: list[float]) -> str:
    return (f"{label} mean {statistics.mean(values):.3f} median {statistics.median(values):.3f} "
            f"min {min(values):.3f} >=0.95: {sum(v >= 0.95 for v in values)}/{len(values)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worst", type=int, default=8)
    parser.add_argument("--all", action="store_true", help="list every page")
    args = parser.parse_args()
    results = []
    for _row, html_path, ref_path in pages_with_reference():
        html = html_path.read_text(encoding="utf-8", errors="replace")
        results.append((measure(html, ref_path.read_text(encoding="utf-8")), html_path.name))
    matched = [r for r, _ in results if r["held"] >= MISMATCH]
    ms = sorted(r["ms"] for r, _ in results)
    print(f"{len(results)} pages with reference_text, {len(matched)} hold >= {MISMATCH:.0%} of it")
    print("  " + _summary("recall (held reference, matched pages):", [r["recall"] for r in matched]))
    print("  " + _summary("raw recall (whole reference, all pages):", [r["raw_recall"] for r, _ in results]))
    print("  " + _summary("precision (all pages):", [r["precision"] for r, _ in results]))
    print(f"  ms per page: median {statistics.median(ms):.0f}, p95 {ms[int(0.95 * (len(ms) - 1))]:.0f}")
    print("  recall raw_rec  prec  held method       ms  page")
    shown = sorted(results, key=lambda x: (x[0]["held"] >= MISMATCH, x[0]["recall"]))
    for r, name in shown if args.all else [x for x in shown if x[0]["held"] < MISMATCH] + \
            [x for x in shown if x[0]["held"] >= MISMATCH][:args.worst]:
        flag = "  MISMATCH" if r["held"] < MISMATCH else ""
        print(f"  {r['recall']:.3f}  {r['raw_recall']:.3f}  {r['precision']:.2f}  {r['held']:.2f} "
              f"{r['method']:<10} {r['ms']:5.0f}  {name}{flag}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
