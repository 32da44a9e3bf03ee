"""The known vendors (rules/vendors.yaml): who runs a host, and whether a URL is one of its policies."""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import yaml

KEYS = {"id", "name", "domains", "terms", "privacy", "confirmed"}
DOC_TYPES = ("terms", "privacy")  # order matters: a page listed as both is reported as terms
ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# A bare registrable domain: lowercase labels, at least two of them. No scheme, port or path.
DOMAIN_RE = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]*[a-z0-9]$")


class VendorError(ValueError):
    """A vendors file that cannot be used; the message names the file, the vendor and the key."""

    def __init__(self, path: Path | str, where: str, key: str, problem: str):
        super().__init__(f"{path}: {where}: {key}: {problem}")
        self.path, self.where, self.key, self.problem = str(path), where, key, problem


@dataclass(frozen=True, slots=True)
class Vendor:
    id: str
    name: str
    domains: tuple[str, ...]
    terms: tuple[str, ...]
    privacy: tuple[str, ...]
    # False until its URLs were fetched and read as a policy (tools/build_vendors.py); each watcher
    # records its own successes in confirmed_urls.py. Not sent to the extension: the badge needs none.
    confirmed: bool = False

    def to_json(self) -> dict:
        return {"id": self.id, "name": self.name, "domains": list(self.domains),
                "terms": list(self.terms), "privacy": list(self.privacy)}


def normalize_host(host: str | None) -> str | None:
    """The host as we compare it, or None when it can never be a vendor's (IP, localhost, junk)."""
    h = (host or "").strip().lower().rstrip(".")
    if not h or h.startswith("["):  # empty, or a bracketed IPv6 literal
        return None
    if h.count(":") == 1:  # host:port; more colons is a bare IPv6 address
        h = h.split(":")[0].rstrip(".")
    try:
        ipaddress.ip_address(h)
        return None  # an address names a machine, not a vendor
    except ValueError:
        pass
    if h == "localhost" or h.endswith(".localhost") or ".." in h or h.startswith("."):
        return None
    return h[4:] if h.startswith("www.") else h


def _split(url: str):
    """urlsplit that accepts a scheme-less "zoom.us/terms" and never raises; None if not web."""
    url = (url or "").strip()
    if "://" not in url:
        url = "//" + url  # otherwise urlsplit reads the host as a path
    try:
        parts = urlsplit(url)
        parts.hostname  # noqa: B018 - raises on malformed brackets
    except ValueError:
        return None
    return parts if parts.scheme in ("", "http", "https") else None


def _url_key(parts) -> tuple[str, frozenset]:
    """(host+path, query params) without scheme, www., fragment and trailing slash.

    Lowercased: policy URLs differ in case in the wild (/TOS, /tos) and a false match only labels a
    page as a policy. The query is kept apart: most of it is locale or tracking noise, but a few
    vendors (Amazon's nodeId, Uber's name=) tell their documents apart only by it.
    """
    host = normalize_host(parts.hostname) or ""
    path = parts.path.rstrip("/").lower()
    return host + path, frozenset((k.lower(), v.lower()) for k, v in parse_qsl(parts.query))


class Vendors:
    def __init__(self, items: list[Vendor], version: str):
        self.version, self.items = version, items
        self._by_id = {v.id: v for v in items}
        self._by_domain = {d: v for v in items for d in v.domains}
        # vendor id -> url key -> [(doc_type, query params)], in file order, terms first
        self._docs: dict[str, dict[str, list[tuple[str, frozenset]]]] = {}
        for v in items:
            index = self._docs.setdefault(v.id, {})
            for doc_type in DOC_TYPES:
                for url in getattr(v, doc_type):
                    key, params = _url_key(_split(url))
                    index.setdefault(key, []).append((doc_type, params))

    def __len__(self) -> int:
        return len(self.items)

    def get(self, vendor_id: str) -> Vendor | None:
        return self._by_id.get(vendor_id)

    def for_host(self, host: str | None) -> Vendor | None:
        h = normalize_host(host)
        if h is None:
            return None
        labels = h.split(".")
        # help.zoom.us -> zoom.us; never the bare TLD. Whole labels only, so notzoom.us and
        # zoom.us.evil.com stay unknown.
        for i in range(len(labels) - 1):
            vendor = self._by_domain.get(".".join(labels[i:]))
            if vendor:
                return vendor
        return None

    def for_url(self, url: str | None) -> tuple[Vendor | None, str | None]:
        """(vendor of the URL's host, "terms" | "privacy" | None when it is not one of its policies)."""
        parts = _split(url or "")
        vendor = self.for_host(parts.hostname) if parts else None
        if vendor is None:
            return None, None
        key, params = _url_key(parts)
        candidates = self._docs[vendor.id].get(key, [])
        if len({t for t, _ in candidates}) == 1:
            return vendor, candidates[0][0]  # one document at this path: the query is noise
        # Several documents share the path: the one whose listed query the URL carries.
        for doc_type, wanted in candidates:
            if wanted <= params:
                return vendor, doc_type
        return vendor, None

    def to_json(self) -> dict:
        return {"version": self.version, "vendors": [v.to_json() for v in self.items]}


def _strings(path, where, key, value, required: bool) -> list[str]:
    if value is None and not required:
        return []
    if not isinstance(value, list) or not all(isinstance(s, str) and s.strip() for s in value):
        raise VendorError(path, where, key, "must be a list of non-empty strings")
    if required and not value:
        raise VendorError(path, where, key, "must not be empty")
    return [s.strip() for s in value]


def _vendor(path, i: int, raw) -> Vendor:
    where = f"vendors[{i}]"
    if not isinstance(raw, dict):
        raise VendorError(path, where, "-", "must be a mapping with id, name, domains, terms, privacy")
    vid = raw.get("id")
    if not isinstance(vid, str) or not ID_RE.match(vid):
        raise VendorError(path, where, "id", "missing, or not a lowercase slug like 'zoom' or 'epic-games'")
    where = f"vendors[{i}] ({vid})"
    unknown = sorted(set(raw) - KEYS)
    if unknown:  # a typo such as "privcy" would otherwise drop the URLs silently
        raise VendorError(path, where, unknown[0], f"unknown key; expected {', '.join(sorted(KEYS))}")
    name = raw.get("name")
    if not isinstance(name, str) or not name.strip():
        raise VendorError(path, where, "name", "missing or empty")
    domains = _strings(path, where, "domains", raw.get("domains"), required=True)
    for d in domains:
        if d.startswith("www.") or not DOMAIN_RE.match(d):
            raise VendorError(path, where, "domains", f"{d!r} is not a bare lowercase domain like 'zoom.us'")
    docs = {}
    for key in DOC_TYPES:
        docs[key] = _strings(path, where, key, raw.get(key), required=False)
        for url in docs[key]:
            parts = _split(url)
            if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
                raise VendorError(path, where, key, f"{url!r} is not an http(s) URL")
    confirmed = raw.get("confirmed", False)
    if not isinstance(confirmed, bool):
        raise VendorError(path, where, "confirmed", "must be true or false")
    return Vendor(vid, name.strip(), tuple(domains), tuple(docs["terms"]), tuple(docs["privacy"]), confirmed)


def load_vendors(path: Path | str) -> Vendors:
    raw_bytes = Path(path).read_bytes()
    # The extension caches the list under this: it changes exactly when the file does.
    version = hashlib.sha256(raw_bytes).hexdigest()[:12]
    try:
        # libyaml's loader when PyYAML has it: 444 vendors load in a fraction of the pure-Python time
        # (bench/vendors.md).
        data = yaml.load(raw_bytes, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        raise VendorError(path, "file", "yaml", str(exc).replace("\n", " ")) from None
    if not isinstance(data, dict) or not isinstance(data.get("vendors"), list):
        raise VendorError(path, "file", "vendors", "the file must hold a mapping with a 'vendors' list")
    items: list[Vendor] = []
    ids: dict[str, int] = {}
    owner: dict[str, str] = {}
    for i, raw in enumerate(data["vendors"]):
        v = _vendor(path, i, raw)
        where = f"vendors[{i}] ({v.id})"
        if v.id in ids:
            raise VendorError(path, where, "id", f"duplicate of vendors[{ids[v.id]}]")
        ids[v.id] = i
        for d in v.domains:
            # One host, one badge: a domain under two vendors would make for_host depend on order.
            if d in owner:
                raise VendorError(path, where, "domains", f"{d!r} is already claimed by {owner[d]!r}")
            owner[d] = v.id
        items.append(v)
    return Vendors(items, version)
