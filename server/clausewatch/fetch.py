"""A small HTTP client for the vendor watcher: GET one policy page, with caps on size, time, redirects
and concurrency. (trafilatura.fetch_url refuses loopback, and tests serve vendors from one.)"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import regex

USER_AGENT = ("clausewatch/0.1 (local terms-of-service watcher; fetches a vendor's published terms "
              "and privacy policy at most daily)")
MAX_BYTES = 5 * 1024 * 1024
TIMEOUT = 20.0
MAX_REDIRECTS = 5
CONCURRENCY = 3
TEXT_TYPES = ("text/html", "application/xhtml+xml", "text/plain")
HTML_START = regex.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)\b", regex.IGNORECASE | regex.DOTALL)
CHARSET_META = regex.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", regex.IGNORECASE)

# At most a few requests at a time, whoever asks (the schedule, an on-demand request, the CLI).
_slots = threading.BoundedSemaphore(CONCURRENCY)


class FetchError(RuntimeError):
    """The page could not be fetched within the caps; the message says why."""


@dataclass(frozen=True, slots=True)
class Fetched:
    url: str          # as asked
    final_url: str    # after redirects
    status: int
    content_type: str
    text: str


def _decode(body: bytes, content_type: str) -> str:
    charset = None
    for part in content_type.split(";")[1:]:
        name, _, value = part.strip().partition("=")
        if name.lower() == "charset" and value:
            charset = value.strip("\"' ")
    if charset is None:
        m = CHARSET_META.search(body[:4096])
        charset = m.group(1).decode("ascii") if m else "utf-8"
    try:
        return body.decode(charset, errors="replace")
    except LookupError:
        return body.decode("utf-8", errors="replace")


def _is_local(host: str) -> bool:
    """Whether a host is (or resolves to) this machine or a private network."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        addresses = {ipaddress.ip_address(host.strip("[]"))}
    except ValueError:
        try:
            addresses = {ipaddress.ip_address(info[4][0].split("%")[0])
                         for info in socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)}
        except (OSError, ValueError):
            return False  # unresolvable: the request itself will fail
    return any(not a.is_global for a in addresses)


def _one_request(url: str, deadline: float, max_bytes: int, timeout: float):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"refused {url!r}: only http and https URLs are fetched")
    remaining = max(0.1, min(timeout, deadline - time.monotonic()))
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=remaining,
                                           context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=remaining)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    response = None
    try:
        conn.request("GET", path, headers={"User-Agent": USER_AGENT, "Accept": "text/html,text/plain;q=0.8",
                                           "Accept-Encoding": "identity", "Connection": "close"})
        response = conn.getresponse()
        if response.status in (301, 302, 303, 307, 308):
            return response.status, response.getheader("Location"), "", b""
        length = response.getheader("Content-Length")
        if length and length.isdigit() and int(length) > max_bytes:
            raise FetchError(f"{url}: {int(length)} bytes is over the {max_bytes}-byte cap")
        chunks, size = [], 0
        while True:
            if time.monotonic() > deadline:
                raise FetchError(f"{url}: took longer than {timeout:g} s")
            chunk = response.read1(64 * 1024)  # what has arrived: a slow drip cannot outlast the deadline
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise FetchError(f"{url}: more than the {max_bytes}-byte cap")
            chunks.append(chunk)
        return response.status, None, response.getheader("Content-Type") or "", b"".join(chunks)
    finally:
        # A "Connection: close" response owns the socket once getresponse() returns: close both.
        if response is not None:
            response.close()
        conn.close()


def fetch(url: str, *, timeout: float = TIMEOUT, max_bytes: int = MAX_BYTES,
          max_redirects: int = MAX_REDIRECTS) -> Fetched:
    """GET `url` and return its text. Redirects are followed to http(s) only and at most
    `max_redirects` times; `timeout` bounds the whole fetch, redirects included."""
    deadline = time.monotonic() + timeout
    current = url
    with _slots:
        for _ in range(max_redirects + 1):
            try:
                status, location, content_type, body = _one_request(current, deadline, max_bytes, timeout)
            except TimeoutError:
                raise FetchError(f"{current}: no answer within {timeout:g} s") from None
            except (OSError, http.client.HTTPException, ValueError) as exc:
                raise FetchError(f"{current}: {exc.__class__.__name__}: {exc}") from None
            if location is None:
                break
            if not location:
                raise FetchError(f"{current}: redirect ({status}) without a Location")
            target = urljoin(current, location)
            # A public policy page may not bounce the watcher onto this machine or the home network
            # (a router's admin page, another local server). Vendors listed on loopback (tests) may.
            target_host = urlsplit(target).hostname or ""
            if target_host and _is_local(target_host) and not _is_local(urlsplit(url).hostname or ""):
                raise FetchError(f"{current}: refused a redirect from a public site to a local address ({target})")
            current = target
        else:
            raise FetchError(f"{url}: more than {max_redirects} redirects")
    if status != 200:
        raise FetchError(f"{current}: HTTP {status}")
    mime = content_type.split(";")[0].strip().lower()
    # Some servers label every file application/octet-stream; a body that opens like HTML is one.
    sniffed_html = mime == "application/octet-stream" and HTML_START.match(body[:1024])
    if mime and mime not in TEXT_TYPES and not sniffed_html:
        raise FetchError(f"{current}: {mime} is not a web page")
    return Fetched(url, current, status, content_type, _decode(body, content_type))
