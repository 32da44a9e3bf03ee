"""Tiny PDFs written by hand for the tests: a text PDF, an image-only PDF, and broken ones.

Hand-written so the tests need no PDF library of their own and every byte is known: one page per
list of lines, Helvetica, a correct xref table (pypdf reads it without repairs).
"""

from __future__ import annotations


def _escape(line: str) -> str:
    return line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _assemble(objects: list[bytes], info: int | None = None) -> bytes:
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    trailer = b"<< /Size %d /Root 1 0 R" % (len(objects) + 1) + (b" /Info %d 0 R" % info if info else b"") + b" >>"
    out += b"trailer\n" + trailer + b"\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def text_pdf(pages: list[list[str]], title: str = "") -> bytes:
    """One page per list of lines (ASCII/Latin-1 text), 12 pt Helvetica."""
    n = len(pages)
    page_ids = [4 + 2 * i for i in range(n)]
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [" + b" ".join(b"%d 0 R" % p for p in page_ids) + b"] /Count %d >>" % n,
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    for i, lines in enumerate(pages):
        ops = ["BT /F1 11 Tf 14 TL 50 800 Td"] + [f"({_escape(line)}) Tj T*" for line in lines] + ["ET"]
        stream = "\n".join(ops).encode("latin-1")
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >>"
                       b" /Contents %d 0 R >>" % (page_ids[i] + 1))
        objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    info = None
    if title:
        objects.append(b"<< /Title (" + _escape(title).encode("latin-1") + b") >>")
        info = len(objects)
    return _assemble(objects, info)


def image_pdf() -> bytes:
    """A 'scan': one page that draws a grey 2x2 image and has no text at all."""
    pixels = bytes([120, 130, 140, 150])
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>",
               b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /XObject << /Im1 5 0 R >> >>"
               b" /Contents 4 0 R >>"]
    stream = b"q 500 0 0 700 40 60 cm /Im1 Do Q"
    objects.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    objects.append(b"<< /Type /XObject /Subtype /Image /Width 2 /Height 2 /ColorSpace /DeviceGray"
                   b" /BitsPerComponent 8 /Length 4 >>\nstream\n" + pixels + b"\nendstream")
    return _assemble(objects)


def encrypted_pdf(plain: bytes, password: str = "secret") -> bytes:
    """The same PDF locked with a user password (RC4, which pypdf writes without extra libraries)."""
    from io import BytesIO
    from pypdf import PdfReader, PdfWriter
    writer = PdfWriter(clone_from=PdfReader(BytesIO(plain)))
    writer.encrypt(user_password=password, owner_password=password + "-owner", algorithm="RC4-128")
    out = BytesIO()
    writer.write(out)
    return out.getvalue()


def malformed_pdf() -> bytes:
    """A PDF header followed by nothing a reader can use."""
    return b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 9 0 R\n" + b"\x00\xff garbage " * 40


# Terms with clauses the rules know (content licence, AI training, changes, arbitration).
TERMS_LINES = [
    ["Terms of Service", "",
     "1. Acceptance. By using the Service you agree to these Terms of Service.",
     "If you do not agree to these terms, do not use the Service.",
     "2. Your content. You grant us a perpetual, worldwide, royalty-free, sublicensable",
     "and transferable license to use, copy and modify the content you upload.",
     "We may use your content for the purpose of machine learning and training",
     "artificial intelligence models.",
     "3. Changes. We may modify these Terms at any time without notice. Your continued",
     "use of the Service constitutes acceptance of the modified Terms."],
    ["4. Disputes. Any dispute arising out of these Terms shall be resolved by binding",
     "arbitration, and you waive your right to participate in a class action.",
     "5. Liability. To the maximum extent permitted by applicable law, we shall not be",
     "liable for any indirect or consequential damages or loss of data.",
     "6. Governing law. These Terms are governed by the laws of the State of Delaware."],
]


def terms_pdf() -> bytes:
    return text_pdf(TERMS_LINES, title="Terms of Service - Paperlane")
