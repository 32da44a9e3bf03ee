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


# Failures of the network itself, not of a page that answered: a FetchError keeps one as its
# __context__ (the watcher tells an outage from a page that fails on its own by it).
NETWORK_ERRORS = (OSError, http.client.HTTPException)


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


def _resolve(host: str, port: int) -> list:
    """The host's addresses, resolved once per request (an IP literal is its own address)."""
    try:
        return [ipaddress.ip_address(host.strip("[]"))]
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise FetchError(f"{host}: cannot resolve ({exc.__class__.__name__})") from None
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


def _public(address) -> bool:
    """Not this machine, a private or link-local network (169.254.169.254: cloud metadata), nor a
    reserved range; an IPv4 address written as IPv6 (::ffff:127.0.0.1) is judged as IPv4."""
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_global


def _is_local(host: str) -> bool:
    """Whether a host is (or resolves to) this machine or a private network."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return any(not _public(a) for a in _resolve(host, 80))
    except FetchError:
        return False  # unresolvable: the request itself will fail


def _address_for(host: str, port: int, allow_private: bool) -> str:
    """The one address this request connects to, checked first: the HTTP client never resolves
    the name again, so DNS rebinding between the check and the connection has nothing to swap."""
    if host == "localhost" or host.endswith(".localhost"):
        addresses = [ipaddress.ip_address("127.0.0.1")]
    else:
        addresses = _resolve(host, port)
    allowed = [a for a in addresses if allow_private or _public(a)]
    if not allowed:
        raise FetchError(f"refused {host}: it resolves to a local, private or reserved address "
                         f"({', '.join(map(str, addresses[:3]))})")
    return str(allowed[0])


def _one_request(url: str, deadline: float, max_bytes: int, timeout: float, allow_private: bool = False):
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(f"refused {url!r}: only http and https URLs are fetched")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    address = _address_for(parts.hostname, port, allow_private)
    remaining = max(0.1, min(timeout, deadline - time.monotonic()))
    if parts.scheme == "https":
        # The name stays the connection's host: TLS checks the certificate for it (server_hostname)
        # and the Host header carries it. Only the TCP connection goes to the checked address.
        conn = http.client.HTTPSConnection(parts.hostname, parts.port, timeout=remaining,
                                           context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=remaining)
    conn._create_connection = lambda _addr, t=None, source=None: socket.create_connection((address, port), t, source)
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
          max_redirects: int = MAX_REDIRECTS, allow_private: bool = False) -> Fetched:
    """GET `url` and return its text. Redirects are followed to http(s) only and at most
    `max_redirects` times; `timeout` bounds the whole fetch, redirects included. Every hop must
    resolve to a public address and is connected to at that address, unless `allow_private`
    (settings.fetch_allow_private: tests that serve vendors on loopback opt in)."""
    deadline = time.monotonic() + timeout
    current = url
    with _slots:
        for _ in range(max_redirects + 1):
            try:
                status, location, content_type, body = _one_request(current, deadline, max_bytes, timeout,
                                                                     allow_private=allow_private)
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
            # (a router's admin page, another local server).
            # Said early here; the connection itself is refused anyway (_address_for).
            target_host = urlsplit(target).hostname or ""
            if target_host and not allow_private and _is_local(target_host):
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


def reachable(targets, timeout: float) -> bool:
    """Whether a TCP connection opens to any of `targets` ((host, port) pairs, tried in order);
    nothing is sent and the first that answers is enough. The watcher's probe before a big round:
    the network code stays in this module (tests/test_privacy.py)."""
    for host, port in targets:
        try:
            socket.create_connection((host, port), timeout=timeout).close()
            return True
        except OSError:
            continue
    return False


def bind_error(host: str, port: int) -> OSError | None:
    """Why nothing could listen on host:port now (another program holds it, say), or None when
    it is free: `clausewatch serve` asks before loading the rules. The socket is closed again."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError as exc:
            return exc
    return None
