"""PDF bytes -> policy text, with pypdf (pure Python, BSD, maintained; no native code to crash).

In the server this runs inside the killable extraction worker (web/extraction_pool.py), because extract.py's
extract_html hands bytes to `extract_pdf`: a PDF built to make the parser spin is stopped at the
same time cap as an HTML page. Pages of text become blocks through the plain-text path, which
joins hard-wrapped lines back into paragraphs.

Three failures get their own code, because the user can do something different about each:
`pdf_encrypted` (open an unlocked copy), `pdf_no_text` (a scan: no text layer to read) and
`pdf_malformed` (a damaged file, or not a PDF).
"""

from __future__ import annotations

import logging
from io import BytesIO

from .extract import Extracted, ExtractionError, extract_text

MAGIC = b"%PDF-"
MAX_PAGES = 500  # far above any real policy; the time cap stops the rest


class PdfError(ExtractionError):
    code, status = "pdf_malformed", 422


class PdfEncrypted(PdfError):
    code = "pdf_encrypted"


class PdfNoText(PdfError):
    code = "pdf_no_text"


class PdfMalformed(PdfError):
    code = "pdf_malformed"


def looks_like_pdf(data: bytes) -> bool:
    # The header may follow a little junk; readers accept it within the first 1 KB.
    return MAGIC in data[:1024]


def extract_pdf(data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError, PyPdfError
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings may quote the file
    if not looks_like_pdf(data):
        raise PdfMalformed("This file is not a PDF.")
    try:
        reader = PdfReader(BytesIO(data), strict=False)
        if reader.is_encrypted:
            # An owner password alone (printing or copying locked) still opens with an empty user password.
            try:
                opened = reader.decrypt("")
            except (PyPdfError, NotImplementedError, ValueError):  # e.g. AES without a crypto library
                opened = 0
            if not opened:
                raise PdfEncrypted("This PDF is password-protected, so clausewatch cannot read its text. "
                                   "Open an unlocked copy and try again.")
        pages = reader.pages[:MAX_PAGES]
        texts = [page.extract_text() or "" for page in pages]
        title = _title(reader)
    except PdfError:
        raise
    except (PdfReadError, PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError,
            RecursionError, AssertionError, ZeroDivisionError):
        raise PdfMalformed("This PDF is damaged and cannot be read.") from None
    if not pages:
        raise PdfMalformed("This PDF has no pages.")
    text = "\n\n".join(t.strip() for t in texts if t.strip())
    if len(text.split()) < 5:
        raise PdfNoText("This PDF has no text layer (it is probably a scan or images of text), "
                        "so clausewatch cannot read it.")
    extracted = extract_text(text)
    return Extracted(extracted.text, extracted.blocks, title, "pdf")


def _title(reader) -> str:
    try:
        title = reader.metadata.title if reader.metadata else None
    except Exception:  # noqa: BLE001 - a broken info dictionary only costs the title
        return ""
    return " ".join(str(title).split())[:300] if title else ""


def read_pdf_file(source: str) -> bytes | None:
    """The bytes of `source` when it is a PDF file (by its .pdf name or its %PDF header), else None:
    `clausewatch analyze file.pdf` routes on this."""
    from pathlib import Path
    path = Path(source)
    if source == "-" or source.startswith(("http://", "https://")) or not path.is_file():
        return None
    with path.open("rb") as f:
        head = f.read(1024)
    if path.suffix.lower() != ".pdf" and not looks_like_pdf(head):
        return None
    return path.read_bytes()
