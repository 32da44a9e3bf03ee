"""What `clausewatch analyze` reads: a file, standard input or an http(s) URL, refused in one line
when it cannot be a page (missing, a directory, binary, another scheme), never with a traceback."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ..core.pdf import looks_like_pdf

# Magic numbers of files people drop on a command by mistake; a NUL byte catches most others.
BINARY_MAGIC = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x1f\x8b", b"\x7fELF", b"BZh",
                b"\xfd7zXZ", b"7z\xbc\xaf", b"RIFF", b"OggS", b"ID3", b"MZ")
SNIFF = 8192


class InputError(ValueError):
    """One line for the user: what was given and why it cannot be analysed."""


@dataclass(frozen=True, slots=True)
class Source:
    text: str | None     # the page (HTML or plain text), or None for a PDF
    pdf: bytes | None
    url: str             # what the document is filed under ("" for stdin)
    name: str            # what to call it in messages


def _is_binary(head: bytes) -> bool:
    if head.startswith(BINARY_MAGIC) or b"\x00" in head:
        return True
    # Text in any single-byte or UTF-8 encoding has few control bytes other than tab and newlines.
    control = sum(b < 32 and b not in (9, 10, 12, 13) for b in head)
    return control > len(head) * 0.05


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # A saved page in Windows-1252 or Latin-1 is still a page; one of them decodes every byte.
        return data.decode("cp1252", errors="replace")


def from_bytes(data: bytes, url: str, name: str) -> Source:
    if not data.strip():
        raise InputError(f"{name} is empty")
    if looks_like_pdf(data[:1024]):
        return Source(None, data, url, name)
    if _is_binary(data[:SNIFF]):
        raise InputError(f"{name} is not text (it looks like binary data): give a saved web page, "
                         "a PDF or a text file")
    return Source(_decode(data), None, url, name)


def _fetch(url: str) -> Source:
    from ..vendors.fetch import FetchError, fetch
    try:
        page = fetch(url)
    except FetchError as exc:
        raise InputError(f"cannot fetch {url}: {exc}") from None
    if not page.text.strip():
        raise InputError(f"{url} answered with an empty page")
    return Source(page.text, None, url, url)


def read_source(source: str) -> Source:
    """The document named by `source`: '-' (stdin), an http(s) URL or a file path."""
    if source == "-":
        return from_bytes(sys.stdin.buffer.read(), "", "standard input")
    if "://" in source:
        scheme = urlsplit(source).scheme.lower()
        if scheme not in ("http", "https"):
            raise InputError(f"{source}: only http:// and https:// URLs are fetched "
                             "(for a file on this computer, give its path)")
        return _fetch(source)
    path = Path(source)
    try:
        if path.is_dir():
            raise InputError(f"{source} is a directory, not a file")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{source}: no such file") from None
    except PermissionError:
        raise InputError(f"{source}: permission denied") from None
    except OSError as exc:
        raise InputError(f"{source}: cannot read it ({exc.strerror or exc})") from None
    return from_bytes(data, path.resolve().as_uri(), source)
