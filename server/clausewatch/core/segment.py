"""Split extracted policy text into clauses: sentences that know legal abbreviations and lists."""

from __future__ import annotations

from dataclasses import dataclass

import regex

# Tokens that end in a period without ending a sentence. Compared lowercased, so "INC." and
# "U.S." in ALL-CAPS paragraphs are known too.
ABBREVIATIONS = frozenset("""
e.g i.e etc.al et.al inc ltd llc l.l.c co corp plc gmbh s.a n.v b.v pty u.s u.s.a u.k e.u
cf vs v mr mrs ms dr st jr sr approx dept incl viz
""".split())
# These only abbreviate before a number ("No. 5", "Art. 6 GDPR", "Jan. 1"): "the answer is no."
# and "San Francisco, CA." do end sentences.
NUMBER_ABBREVIATIONS = frozenset("""
no nos sec secs art arts para paras fig figs p pp ca vol
jan feb mar apr jun jul aug sep sept oct nov dec
""".split())

# A boundary: sentence punctuation (and closing quotes or brackets), whitespace, then something
# that starts a sentence. Tokenised corpora put a space before the period (" . "), so that counts too.
# Group "close" holds the closing quotes or brackets, which stay with the sentence they close.
BOUNDARY = regex.compile(r'(?<=[.!?])(?P<close>["\'\u201d\u2019)\]]*)\s+(?=["\'\u201c\u2018(\[]?[\p{Lu}\p{N}§])'
                         r'|(?<=\s[.!?])\s+(?=\S)')
WORD_WINDOW = 80
NUMBER = regex.compile(r"\d+(?:\.\d+)*")
INITIALS = regex.compile(r"(?:\p{L}\.)*\p{L}")
LIST_MARKER = regex.compile(r"^\s*(?:[-*\u2022\u25cf\u25aa\u2013]|\(?(?:\d{1,3}(?:\.\d{1,3})*|[a-z]|[ivxlc]{1,5})[.)])\s+",
                            regex.IGNORECASE)
TERMINAL = regex.compile(r"[.!?:;,]['\"\u201d\u2019)]*\s*$")
# Clauses longer than this are cut at the next "; " or space: one finding should not paint a page.
MAX_CLAUSE = 2000


@dataclass(frozen=True, slots=True)
class Clause:
    start: int
    end: int
    kind: str  # "heading", "item", "cell" or "text"


@dataclass(frozen=True, slots=True)
class Block:
    start: int
    end: int
    kind: str


def text_blocks(text: str) -> list[Block]:
    """Blocks of plain text: one per non-empty line, with a guessed kind."""
    blocks = []
    for m in regex.finditer(r"[^\n]+", text):
        line = m.group()
        stripped = line.strip()
        if not stripped:
            continue
        start = m.start() + len(line) - len(line.lstrip())
        end = m.start() + len(line.rstrip())
        blocks.append(Block(start, end, guess_kind(stripped)))
    return blocks


def guess_kind(line: str) -> str:
    marker = LIST_MARKER.match(line)
    if marker:
        # "10. Termination" is a numbered heading; "- your name" or "\u2022 Email" is a list item.
        numbered = marker.group().strip()[-1:] in ".)"
        rest = line[marker.end():]
        return "heading" if numbered and _looks_like_heading(rest) else "item"
    return "heading" if _looks_like_heading(line) else "text"


def _looks_like_heading(line: str) -> bool:
    words = line.split()
    return 0 < len(words) <= 10 and not TERMINAL.search(line)


def _is_abbreviation(text: str, cursor: int, pos: int, after: str) -> bool:
    """Whether the period before `pos` ends an abbreviation in the sentence that began at `cursor`.

    Only a window before `pos` is read: slicing the whole sentence so far made splitting
    quadratic on a page of "Inc. Inc. Inc. ..." (the sentence never ends, the slice keeps growing).
    """
    window_start = max(cursor, pos - WORD_WINDOW)
    tail = text[window_start:pos].rstrip()
    if not tail:
        return False
    # str.split in C, not a regex search per period: this runs once per period of the page.
    last = tail.split()[-1]
    word = last.rstrip(".!?\"')\u201d\u2019").lstrip("(\"'\u201c\u2018").lower()
    if word in ABBREVIATIONS:
        return True
    if word in NUMBER_ABBREVIATIONS:
        return after[:1].isdigit()
    # A list number that opens the clause ("2. We share ...") does not end it; a number that
    # closes a sentence ("... in Section 10.4. The", "... in 2023. We") does.
    if NUMBER.fullmatch(word):
        token_at = window_start + len(tail) - len(last)
        return token_at == cursor or (token_at - cursor <= WORD_WINDOW and not text[cursor:token_at].strip())
    # Initials ("J.", "A.B.") do not end sentences.
    return bool(INITIALS.fullmatch(word))


def split_sentences(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, cursor = [], start
    marker = LIST_MARKER.match(text, start, end)
    # The "1." of a list item is not a sentence of its own.
    search_from = marker.end() if marker else start
    for m in BOUNDARY.finditer(text, search_from, end):
        if text[m.start() - 1] == "." and _is_abbreviation(text, cursor, m.start(), text[m.end():m.end() + 1]):
            continue
        spans.append((cursor, m.end("close") if m.group("close") is not None else m.start()))
        cursor = m.end()
    spans.append((cursor, end))
    return [s for piece in spans for s in _cap(text, *piece) if s[1] > s[0]]


def _cap(text: str, start: int, end: int):
    while end - start > MAX_CLAUSE:
        cut = text.rfind("; ", start, start + MAX_CLAUSE)
        if cut <= start:
            cut = text.rfind(" ", start, start + MAX_CLAUSE)
        cut = cut + 1 if cut > start else start + MAX_CLAUSE
        yield start, cut
        start = cut
        while start < end and text[start].isspace():
            start += 1
    yield start, end


def segment(text: str, blocks: list[Block] | None = None) -> list[Clause]:
    """Clauses with offsets into `text`; headings stay clauses so the reader view can show them."""
    clauses = []
    for block in blocks if blocks is not None else text_blocks(text):
        if block.kind == "heading":
            clauses.append(Clause(block.start, block.end, "heading"))
            continue
        for s, e in split_sentences(text, block.start, block.end):
            s, e = _trim(text, s, e)
            if e > s:
                clauses.append(Clause(s, e, block.kind))
    return clauses


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    return s, e
