"""HTML -> policy text as blocks (headings, paragraphs, list items, table cells).

The only module that imports trafilatura, so its options are chosen in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import lxml.etree as etree
import lxml.html
import trafilatura
from trafilatura.settings import Extractor

from .segment import Block, guess_kind

# favor_recall: terms pages hide clauses in accordions and footers that the precision-minded
# default drops. Measured on shared/data/pages against reference_text (see bench/extraction.py).
OPTIONS = Extractor(output_format="xml", tables=True, comments=False, formatting=False, links=False,
                    images=False, recall=True, dedup=False)
BLOCK_TAGS = {"head": "heading", "p": "text", "item": "item", "cell": "cell", "quote": "text", "code": "text"}
# The simple pass keeps text of these, one block each, when trafilatura keeps too little.
HTML_BLOCKS = {"p", "li", "td", "th", "h1", "h2", "h3", "h4", "h5", "h6", "dd", "dt", "blockquote", "pre",
               "caption", "figcaption", "summary", "address"}
HTML_DROP = ("script", "style", "noscript", "template", "svg", "head", "iframe", "object", "canvas", "button",
             "select", "option", "form")
# When trafilatura keeps less than this share of the words the simple pass finds, its choice of
# "main content" has cut the policy short: use the simple pass instead.
MIN_SHARE = 0.6
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


def _trafilatura_pieces(html: str, url: str | None) -> list[tuple[str, str]]:
    xml = trafilatura.extract(html, url=url, options=OPTIONS)
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


def _simple_pieces(tree) -> list[tuple[str, str]]:
    for bad in tree.xpath("//" + " | //".join(HTML_DROP)):
        bad.drop_tree()
    pieces = []
    for el in tree.iter(*HTML_BLOCKS):
        # Only the innermost block element speaks, so nested blocks are not counted twice.
        if any(True for _ in el.iterdescendants(*HTML_BLOCKS)):
            continue
        kind = "heading" if el.tag[0] == "h" and el.tag[1:].isdigit() else "item" if el.tag == "li" else "text"
        pieces.append((kind, el.text_content()))
    return pieces


def _title(tree) -> str:
    found = tree.xpath("//title")
    return _norm(found[0].text_content())[:300] if found else ""


def extract_html(html: str, url: str | None = None) -> Extracted:
    try:
        tree = lxml.html.document_fromstring(html, parser=lxml.html.HTMLParser(huge_tree=True))
    except (etree.ParserError, ValueError) as exc:
        raise ExtractionError(f"cannot parse HTML: {exc}") from None
    title = _title(tree)
    text, blocks = _assemble(_trafilatura_pieces(html, url))
    simple_text, simple_blocks = _assemble(_simple_pieces(tree))
    method = "trafilatura"
    if len(text.split()) < MIN_SHARE * len(simple_text.split()):
        text, blocks, method = simple_text, simple_blocks, "simple"
    if not text.strip():
        raise ExtractionError("no readable text found on the page")
    return Extracted(text, blocks, title, method)


def _text_pieces(text: str) -> list[tuple[str, str]]:
    # Blank lines end a paragraph; a line that opens a list item, heading or table row starts a
    # new block; any other line continues the paragraph that hard wrapping cut.
    pieces: list[tuple[str, str]] = []
    joinable = False
    for line in text.splitlines():
        stripped = line.strip()
        if not stripped:
            joinable = False
            continue
        starts_block = bool(LINE_START.match(stripped))
        if joinable and not starts_block:
            pieces[-1] = ("text", pieces[-1][1] + " " + stripped)
        else:
            pieces.append(("text", stripped))
        joinable = not guess_kind(stripped) == "heading"
    return pieces


def extract_text(text: str) -> Extracted:
    joined, blocks = _assemble(_text_pieces(text))
    if not joined.strip():
        raise ExtractionError("the text is empty")
    return Extracted(joined, blocks, "", "text")
