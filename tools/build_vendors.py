"""Build rules/vendors.yaml from the curated list and the Open Terms Archive declarations.

    /work/main/.venv/bin/python tools/build_vendors.py [--shared ../shared/data] [--check]

Sources, in order of trust:
1. tools/vendors_curated.yaml: vendors checked by hand (their ids, domains and canonical URLs win),
   and `popular`, the most visited domains in order, which decides the order of the output.
2. Open Terms Archive declarations (shared/data/vendors/ota_declarations/*.json, ODC-BY 1.0): the
   "Terms of Service" and "Privacy Policy" fetch URLs of each service. A service becomes a vendor
   when its URLs sit on domains no earlier vendor claims; its domains are those of its URLs, plus
   the ToS;DR service domains (shared/data/tosdr/points_dev.jsonl, field `urls`) that share one.

Every generated entry carries `confirmed: false` until someone fetches its URLs successfully; the
watcher records that on each machine (vendors/confirmed_urls.py), and a curated entry may say `confirmed: true`.
`--check` exits 1 when rules/vendors.yaml is not what this script would write (for CI).
"""

from __future__ import annotations

import argparse
import glob
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server"))
from clausewatch.vendors.catalog import _split, _url_key  # noqa: E402 - the loader's own idea of "the same page"
CURATED = REPO / "tools" / "vendors_curated.yaml"
OUT = REPO / "rules" / "vendors.yaml"
DOC_KEYS = {"terms": ("Terms of Service",), "privacy": ("Privacy Policy",)}
# Second-level labels under which a registrable domain has three labels (example.co.uk).
SECOND_LEVEL = {"co", "com", "org", "net", "ac", "gov", "edu", "ne", "or", "go", "gv"}
# Hosts that serve other companies' documents: never a vendor's own domain.
HOSTING = {"github.com", "githubusercontent.com", "github.io", "notion.site", "iubenda.com", "termly.io",
           "medium.com", "gitbook.io", "zendesk.com", "freshdesk.com", "helpscoutdocs.com", "amazonaws.com",
           "cloudfront.net", "webflow.io", "squarespace.com", "wixsite.com", "azurewebsites.net",
           "sharepoint.com", "docs.google.com", "google.com", "apple.com", "microsoft.com", "tosdr.org",
           "opentermsarchive.org", "archive.org", "privacypolicies.com", "termsfeed.com", "ghost.io",
           "herokuapp.com", "netlify.app", "vercel.app", "intercom.help", "readme.io", "hubspot.com"}
SLUG = re.compile(r"[^a-z0-9]+")


def registrable(host: str) -> str | None:
    labels = (host or "").lower().rstrip(".").split(".")
    if len(labels) < 2 or not all(labels):
        return None
    n = 3 if len(labels) >= 3 and labels[-2] in SECOND_LEVEL and len(labels[-1]) == 2 else 2
    return ".".join(labels[-n:])


def slug(name: str) -> str:
    return SLUG.sub("-", name.lower().replace("+", "plus").replace("&", "and")).strip("-")


def fetch_urls(doc) -> list[str]:
    if isinstance(doc, list):  # history files keep lists of past versions; declarations do not
        return []
    if "combine" in doc:
        return [c["fetch"] for c in doc["combine"] if isinstance(c, dict) and c.get("fetch")]
    return [doc["fetch"]] if isinstance(doc.get("fetch"), str) else []


def ota_services(directory: Path) -> list[dict]:
    out = []
    for path in sorted(glob.glob(str(directory / "*.json"))):
        if path.endswith(".history.json"):
            continue
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        docs = {key: [u for t in types for u in fetch_urls(data["terms"].get(t, {}))]
                for key, types in DOC_KEYS.items()}
        docs = {k: [u for u in v if urlsplit(u).scheme in ("http", "https")] for k, v in docs.items()}
        if docs["terms"] or docs["privacy"]:
            out.append({"name": data.get("name") or Path(path).stem, **docs})
    return out


def tosdr_domains(path: Path) -> tuple[list[set[str]], dict[str, int]]:
    """The domain sets of ToS;DR services, and how many points each domain's service has (a rough
    measure of how much attention a service gets, used to order vendors after the popular ones)."""
    services: dict[str, set[str]] = {}
    points: dict[str, int] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        domains = {d for u in row.get("urls") or [] if (d := registrable(urlsplit(u if "//" in u else "//" + u).hostname or ""))}
        services.setdefault(row["doc"], set()).update(domains)
        for d in domains:
            points[d] = points.get(d, 0) + 1
    return list(services.values()), points


def build(shared: Path) -> tuple[list[dict], dict]:
    curated = yaml.safe_load(CURATED.read_text(encoding="utf-8"))
    rank = {d: i for i, d in enumerate(curated["popular"])}
    vendors = [dict(v, source="curated") for v in curated["vendors"]]
    owner = {d: v["id"] for v in vendors for d in v["domains"]}
    ids = {v["id"] for v in vendors}
    tosdr, points = tosdr_domains(shared / "tosdr" / "points_dev.jsonl")
    skipped = {"claimed": 0, "hosted elsewhere": 0, "duplicate id": 0}
    for service in ota_services(shared / "vendors" / "ota_declarations"):
        # Only URLs on the service's own domains: a page on a host another vendor claims (Google
        # Maps' terms on google.com) or on a document host would badge the wrong site.
        home = lambda u: registrable(urlsplit(u).hostname or "")
        own = lambda u: home(u) is not None and home(u) not in HOSTING and home(u) not in owner
        if not any(own(u) for u in service["terms"] + service["privacy"]):
            claimed = any(home(u) in owner for u in service["terms"] + service["privacy"])
            skipped["claimed" if claimed else "hosted elsewhere"] += 1
            continue
        service["terms"] = [u for u in service["terms"] if own(u)]
        # One page listed as both (LibraryThing, Overleaf): the loader reports it as terms, so say so.
        terms_keys = {_url_key(_split(u)) for u in service["terms"]}
        service["privacy"] = [u for u in service["privacy"] if own(u) and _url_key(_split(u)) not in terms_keys]
        urls = service["terms"] + service["privacy"]
        domains = {home(u) for u in urls}
        for extra in tosdr:  # the service's other domains, as ToS;DR lists them
            if extra & domains:
                domains |= {d for d in extra if d not in owner and d not in HOSTING}
        vid = slug(service["name"])
        if not vid or vid in ids:
            skipped["duplicate id"] += 1
            continue
        ids.add(vid)
        ordered = sorted(domains, key=lambda d: (d not in {registrable(urlsplit(u).hostname) for u in urls}, d))
        for d in ordered:
            owner[d] = vid
        vendors.append({"id": vid, "name": service["name"], "domains": ordered, "terms": service["terms"],
                        "privacy": service["privacy"], "source": "ota"})
    best = lambda v: min((rank[d] for d in v["domains"] if d in rank), default=len(rank))
    attention = lambda v: -max((points.get(d, 0) for d in v["domains"]), default=0)
    vendors.sort(key=lambda v: (best(v), attention(v), v["name"].lower()))
    return vendors, skipped


HEADER = """\
# Known vendors: who runs a site, and where its terms of service and privacy policy live.
# GENERATED by tools/build_vendors.py: edit tools/vendors_curated.yaml, then rebuild. Do not edit here.
#
# Keys: id (lowercase slug, stable: history is stored under it), name, domains (registrable domains;
# a subdomain matches its parent), terms and privacy (http(s) URLs), confirmed (false until one of
# us has fetched the URLs and read them as a policy; each watcher also records its own successes in
# vendor_urls.json beside the history). Most visited sites first.
#
# Sources: the curated list (hand-checked, canonical pages), then Open Terms Archive declarations
# (https://github.com/OpenTermsArchive, ODC-BY 1.0) for their "Terms of Service" and "Privacy
# Policy" documents, with service domains from ToS;DR (CC BY-SA). {count} vendors.

vendors:
"""


def render(vendors: list[dict]) -> str:
    flow = lambda xs: "[" + ", ".join(json.dumps(x) for x in xs) + "]"
    out = [HEADER.format(count=len(vendors))]
    for v in vendors:
        # One flow mapping per vendor: a quarter of the lines, and quicker to load than block style.
        fields = [f"id: {v['id']}", f"name: {json.dumps(v['name'])}", f"domains: {flow(v['domains'])}",
                  f"terms: {flow(v.get('terms') or [])}", f"privacy: {flow(v.get('privacy') or [])}",
                  f"confirmed: {'true' if v.get('confirmed') else 'false'}"]
        out.append("  - {" + ",\n     ".join(fields) + "}\n")
    return "".join(out)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--check", action="store_true", help="exit 1 if rules/vendors.yaml is stale")
    args = parser.parse_args(argv)
    vendors, skipped = build(args.shared)
    text = render(vendors)
    if args.check:
        return 0 if OUT.read_text(encoding="utf-8") == text else 1
    OUT.write_text(text, encoding="utf-8")
    sources = {s: sum(v["source"] == s for v in vendors) for s in ("curated", "ota")}
    print(f"{len(vendors)} vendors ({sources['curated']} curated, {sources['ota']} from OTA); OTA services "
          f"left out: " + ", ".join(f"{n} {why}" for why, n in skipped.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
