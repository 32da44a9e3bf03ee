"""HTML -> policy text as blocks (headings, paragraphs, list items, table cells).

Two passes, chosen by measurement on the 44 shared pages that have Open Terms Archive reference
texts (bench/extraction.py, figures in bench/extraction.md):

- the DOM pass (extract_dom.py) reads every block of the page in order and drops only what
  is clearly site chrome (menus, link lists, consent pop-ups). It keeps accordion headings in
  <button>, hidden FAQ answers and <div>/<span> layouts that trafilatura's main-content guess
  drops, does not repeat text, and is about 6x faster. It is the primary pass.
- trafilatura (XML, favor_recall) is the fallback when all the DOM pass read was chrome. As the
  primary pass (the old design) it kept 0.64 of the reference words and repeated nested text;
  as the judge of which DOM blocks are "main content" it lost recall and gained no precision.

The only module that imports trafilatura, so its options are chosen in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.etree as etree
import lxml.html
import functools

from . import extract_dom
from .segment import Block, guess_kind



@functools.cache
def _trafilatura():
    """trafilatura and its options, imported on first use: only the fallback needs it, and its
    import is a third of the server's start-up."""
    import trafilatura
    from trafilatura.settings import Extractor
    # fast: its own fallbacks (readability, jusText) cost 600 ms on a near-empty page, the only
    # kind of page this pass now sees.
    return trafilatura, Extractor(output_format="xml", tables=True, comments=False, formatting=False,
                                  links=False, images=False, recall=True, dedup=False, fast=True)

BLOCK_TAGS = {"head": "heading", "p": "text", "item": "item", "cell": "cell", "quote": "text", "code": "text"}
# More words than this (a list number and ten words) and a paragraph is no heading (segment.py).
HEADING_WORDS = 11
LINE_START = re.compile(r"(?:[-*+\u2022#|>]|\(?(?:\d{1,3}(?:\.\d{1,3})*|[a-z])[.)])\s", re.IGNORECASE)


class ExtractionError(ValueError):
    """The page holds no policy text we can read."""


@dataclass(slots=True)
class Extracted:
    text: str
    blocks: list[Block]
    title: str
    method: str


def _norm(s: str) -> str:
    return " ".join(s.split())


def _assemble(pieces: list[tuple[str, str]]) -> tuple[str, list[Block]]:
    parts, blocks, pos = [], [], 0
    for kind, raw in pieces:
        line = _norm(raw)
        if not line:
            continue
        if parts:
            parts.append("\n\n")
            pos += 2
        blocks.append(Block(pos, pos + len(line), kind if kind != "text" else guess_kind(line)))
        parts.append(line)
        pos += len(line)
    return "".join(parts), blocks


def _trafilatura_pieces(html, url: str | None) -> list[tuple[str, str]]:
    trafilatura, options = _trafilatura()
    xml = trafilatura.extract(html, url=url, options=options)
    if not xml:
        return []
    root = etree.fromstring(xml.encode("utf-8"), parser=etree.XMLParser(recover=True, huge_tree=True))
    pieces = []
    for el in root.iter(*BLOCK_TAGS):
        if el.tag in ("p", "quote") and el.getparent() is not None and el.getparent().tag in ("cell", "item"):
            continue  # its text is already taken with the cell or item
        if el.tag == "cell" or el.tag == "item":
            pieces.append((BLOCK_TAGS[el.tag], " ".join(el.itertext())))
            continue
        # <lb/> marks a line break inside a paragraph: each line is a block of its own.
        for line in _split_lb(el):
            pieces.append((BLOCK_TAGS[el.tag], line))
    return pieces


def _split_lb(el) -> list[str]:
    lines, current = [], [el.text or ""]
    for child in el:
        if child.tag == "lb":
            lines.append("".join(current))
            current = []
        else:
            current.append("".join(child.itertext()))
        current.append(child.tail or "")
    lines.append("".join(current))
    return lines


def _title(tree) -> str:
    found = tree.xpath("//title")
    return _norm(found[0].text_content())[:300] if found else ""


def extract_html(html: str | bytes, url: str | None = None) -> Extracted:
    if isinstance(html, (bytes, bytearray)):
        # A PDF's bytes: read here so that the server's capped extraction worker (web/extraction_pool.py) runs it.
        from .pdf import extract_pdf
        return extract_pdf(bytes(html))
    if not html or not html.strip():
        raise ExtractionError("the page is empty")
    try:
        tree = lxml.html.document_fromstring(html, parser=lxml.html.HTMLParser(huge_tree=True))
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"cannot parse HTML: {exc}") from None
    title = _title(tree)
    extract_dom.clean(tree)
    text, blocks = _assemble(extract_dom.pieces(tree))
    method = "dom"
    if not text.strip():
        # All the DOM pass read looked like chrome: let trafilatura judge the raw page, and if it
        # finds nothing either, the page is its chrome (a short <div class="cookie-policy">).
        text, blocks = _assemble(_trafilatura_pieces(html, url))
        method = "trafilatura"
        if not text.strip():
            tree = lxml.html.document_fromstring(html, parser=lxml.html.HTMLParser(huge_tree=True))
            extract_dom.clean(tree, chrome=False)
            text, blocks = _assemble(extract_dom.pieces(tree))
            method = "dom-all"
    if not text.strip():
        raise ExtractionError("no readable text found on the page")
    return Extracted(text, blocks, title, method)


def _text_pieces(text: str) -> list[tuple[str, str]]:
    # Blank lines end a paragraph; a line that opens a list item, heading or table row starts a
    # new block; any other line continues the paragraph that hard wrapping cut. A short line
    # without end punctuation ("10. Termination") is a heading unless the next line carries on
    # in lowercase ("We collect your name and / your email address").
    # Linear: a paragraph is kept as a list of lines and joined once; whether it still reads as a
    # heading is judged only while it is short (a heading has at most 10 words after its number).
    # Re-joining and re-judging the whole paragraph per line took 11 s on 100 KB of "word" lines.
    pieces: list[tuple[str, str]] = []
    lines: list[str] = []
    words = 0
    heading = False

    def close():
        if lines:
            pieces.append(("text", " ".join(lines)))
            lines.clear()

    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            close()
            continue
        starts_block = bool(LINE_START.match(stripped))
        if lines and not starts_block and (not heading or stripped[0].islower()):
            lines.append(stripped)
        else:
            close()
            lines.append(stripped)
            words = 0
        words += len(stripped.split())
        heading = words <= HEADING_WORDS and guess_kind(" ".join(lines)) == "heading"
    close()
    return pieces


def extract_text(text: str) -> Extracted:
    joined, blocks = _assemble(_text_pieces(text))
    if not joined.strip():
        raise ExtractionError("the text is empty")
    return Extracted(joined, blocks, "", "text")
