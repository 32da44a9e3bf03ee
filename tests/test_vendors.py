"""The known-vendor list: host and URL matching, validation errors, and the real rules/vendors.yaml."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from clausewatch.vendors.catalog import VendorError, load_vendors

REAL = Path(__file__).resolve().parents[1] / "rules" / "vendors.yaml"

# A small list of our own so the matching tests do not move when the real list is edited.
SAMPLE = """
vendors:
  - id: zoom
    name: Zoom
    domains: [zoom.us, zoom.com]
    terms: [https://zoom.us/terms]
    privacy: [https://zoom.us/privacy]
  - id: google
    name: Google
    domains: [google.com, google.co.uk]
    terms: ['https://policies.google.com/terms?hl=en-GB&gl=IE']
    privacy: ['https://policies.google.com/privacy?hl=en-GB&gl=IE']
  - id: amazon
    name: Amazon
    domains: [amazon.com]
    terms: ['https://www.amazon.com/gp/help/customer/display.html?nodeId=201909000']
    privacy: ['https://www.amazon.com/gp/help/customer/display.html?nodeId=GX7NJQ4ZB8MHFRNJ']
  - id: signal
    name: Signal
    domains: [signal.org]
    terms: [https://signal.org/legal/]
    privacy: [https://signal.org/legal/]
  - id: quiet
    name: Known by domain only
    domains: [quiet.example]
"""


@pytest.fixture(scope="module")
def vendors(tmp_path_factory):
    path = tmp_path_factory.mktemp("vendors") / "vendors.yaml"
    path.write_text(SAMPLE)
    return load_vendors(path)


@pytest.mark.parametrize("host, expected", [
    ("zoom.us", "zoom"),
    ("zoom.com", "zoom"),
    ("www.zoom.us", "zoom"),
    ("us02web.zoom.us", "zoom"),                # a subdomain belongs to its parent
    ("a.b.c.zoom.us", "zoom"),
    ("ZOOM.US", "zoom"),
    ("Www.Zoom.Us", "zoom"),
    ("zoom.us.", "zoom"),                       # fully qualified, trailing dot
    ("www.zoom.us.", "zoom"),
    ("zoom.us:443", "zoom"),
    ("zoom.us.:8443", "zoom"),
    ("  zoom.us  ", "zoom"),
    ("policies.google.com", "google"),
    ("mail.google.co.uk", "google"),
    ("quiet.example", "quiet"),
    ("zoom.us.evil.com", None),                 # look-alikes: the vendor's name as a prefix
    ("zoom.us-evil.com", None),
    ("notzoom.us", None),                       # ... or as a suffix of another label
    ("evilzoom.us", None),
    ("zoom.usa", None),
    ("zoom", None),
    ("us", None),                               # a bare TLD is never a vendor
    ("co.uk", None),
    ("evil.co.uk", None),                       # shares only the public suffix with google.co.uk
    ("google.co", None),
    ("127.0.0.1", None),
    ("127.0.0.1:8080", None),
    ("10.0.0.1", None),
    ("[::1]:8080", None),
    ("::1", None),
    ("localhost", None),
    ("localhost:5000", None),
    ("zoom.localhost", None),
    ("", None),
    ("   ", None),
    (".", None),
    (None, None),
    ("zoom..us", None),
    (".zoom.us", None),
])
def test_for_host(vendors, host, expected):
    vendor = vendors.for_host(host)
    assert (vendor.id if vendor else None) == expected


@pytest.mark.parametrize("url, vendor_id, doc_type", [
    ("https://zoom.us/terms", "zoom", "terms"),
    ("http://zoom.us/terms", "zoom", "terms"),              # scheme ignored
    ("https://www.zoom.us/terms/", "zoom", "terms"),        # www. and trailing slash ignored
    ("https://zoom.us/terms?utm_source=x#section-10", "zoom", "terms"),  # query and fragment
    ("https://ZOOM.US/Terms", "zoom", "terms"),
    ("https://zoom.us:443/privacy", "zoom", "privacy"),
    ("zoom.us/privacy", "zoom", "privacy"),                 # scheme-less, as a user might paste
    ("https://zoom.us/", "zoom", None),                     # the vendor's site, not a policy
    ("https://zoom.us/terms/archive", "zoom", None),
    ("https://explore.zoom.us/terms", "zoom", None),        # same vendor, different page
    ("https://zoom.com/terms", "zoom", None),               # policy URLs are exact, not per-domain
    ("https://policies.google.com/terms", "google", "terms"),
    ("https://policies.google.com/terms?hl=fr", "google", "terms"),  # locale is noise here
    ("https://policies.google.com/privacy?hl=de&gl=DE", "google", "privacy"),
    # Amazon's two documents share a path: the nodeId tells them apart, whatever else is there.
    ("https://www.amazon.com/gp/help/customer/display.html?nodeId=201909000", "amazon", "terms"),
    ("https://www.amazon.com/gp/help/customer/display.html?ie=UTF8&nodeId=GX7NJQ4ZB8MHFRNJ&ref_=f",
     "amazon", "privacy"),
    ("https://www.amazon.com/gp/help/customer/display.html?nodeId=508510", "amazon", None),
    ("https://www.amazon.com/gp/help/customer/display.html", "amazon", None),
    ("https://signal.org/legal/", "signal", "terms"),       # one page holding both: terms wins
    ("https://zoom.us.evil.com/terms", None, None),
    ("https://notzoom.us/terms", None, None),
    ("https://evil.com/zoom.us/terms", None, None),         # the vendor in the path is not the host
    ("https://evil.com/?u=https://zoom.us/terms", None, None),
    ("https://zoom.us@evil.com/terms", None, None),         # userinfo is not the host
    ("http://127.0.0.1:8000/terms", None, None),
    ("file:///home/me/zoom.us/terms", None, None),
    ("chrome://settings", None, None),
    ("about:blank", None, None),
    ("http://[::1/terms", None, None),                      # malformed: no crash
    ("", None, None),
    (None, None, None),
])
def test_for_url(vendors, url, vendor_id, doc_type):
    vendor, got = vendors.for_url(url)
    assert ((vendor.id if vendor else None), got) == (vendor_id, doc_type)


def test_get_items_and_json(vendors, tmp_path):
    assert vendors.get("zoom").name == "Zoom"
    assert vendors.get("nope") is None
    assert [v.id for v in vendors.items] == ["zoom", "google", "amazon", "signal", "quiet"]
    quiet = vendors.get("quiet")
    assert quiet.terms == () and quiet.privacy == ()        # terms and privacy are optional
    with pytest.raises(AttributeError):
        quiet.name = "changed"                              # frozen: shared across requests
    data = vendors.to_json()
    assert set(data) == {"version", "vendors"}
    assert data["vendors"][0] == {"id": "zoom", "name": "Zoom", "domains": ["zoom.us", "zoom.com"],
                                  "terms": ["https://zoom.us/terms"], "privacy": ["https://zoom.us/privacy"]}
    # The version is a short hash of the content: same file, same version; one byte more, another.
    same, other = tmp_path / "a.yaml", tmp_path / "b.yaml"
    same.write_text(SAMPLE)
    other.write_text(SAMPLE + "\n# edited\n")
    assert load_vendors(same).version == vendors.version
    assert load_vendors(other).version != vendors.version
    assert 8 <= len(vendors.version) <= 16 and vendors.version.isalnum()


def _entry(**over) -> dict:
    entry = {"id": "zoom", "name": "Zoom", "domains": ["zoom.us"], "terms": ["https://zoom.us/terms"],
             "privacy": ["https://zoom.us/privacy"]}
    entry.update(over)
    return {k: v for k, v in entry.items() if v is not ...}


GOOD = _entry()
OTHER = {"id": "meta", "name": "Meta", "domains": ["facebook.com"]}


@pytest.mark.parametrize("vendors_value, where, key", [
    ([_entry(id=...)], "vendors[0]", "id"),
    ([_entry(id="Zoom")], "vendors[0]", "id"),
    ([_entry(id="zoom us")], "vendors[0]", "id"),
    ([_entry(id=7)], "vendors[0]", "id"),
    ([_entry(name=...)], "vendors[0] (zoom)", "name"),
    ([_entry(name="  ")], "vendors[0] (zoom)", "name"),
    ([_entry(domains=...)], "vendors[0] (zoom)", "domains"),
    ([_entry(domains=[])], "vendors[0] (zoom)", "domains"),
    ([_entry(domains="zoom.us")], "vendors[0] (zoom)", "domains"),
    ([_entry(domains=["https://zoom.us"])], "vendors[0] (zoom)", "domains"),
    ([_entry(domains=["www.zoom.us"])], "vendors[0] (zoom)", "domains"),
    ([_entry(domains=["Zoom.us"])], "vendors[0] (zoom)", "domains"),
    ([_entry(domains=["zoom.us/terms"])], "vendors[0] (zoom)", "domains"),
    ([_entry(domains=["us"])], "vendors[0] (zoom)", "domains"),
    ([_entry(domains=["127.0.0.1"])], "vendors[0] (zoom)", "domains"),
    ([_entry(terms=["ftp://zoom.us/terms"])], "vendors[0] (zoom)", "terms"),
    ([_entry(terms=["javascript:alert(1)"])], "vendors[0] (zoom)", "terms"),
    ([_entry(terms=["zoom.us/terms"])], "vendors[0] (zoom)", "terms"),
    ([_entry(terms=["https:///terms"])], "vendors[0] (zoom)", "terms"),
    ([_entry(terms="https://zoom.us/terms")], "vendors[0] (zoom)", "terms"),
    ([_entry(privacy=["file:///etc/passwd"])], "vendors[0] (zoom)", "privacy"),
    ([_entry(privacy=[""])], "vendors[0] (zoom)", "privacy"),
    ([_entry(privcy=["https://zoom.us/privacy"])], "vendors[0] (zoom)", "privcy"),  # a typo
    ([GOOD, OTHER, _entry(domains=["zoom.com"])], "vendors[2] (zoom)", "id"),        # duplicate id
    ([GOOD, dict(OTHER, domains=["facebook.com", "zoom.us"])], "vendors[1] (meta)", "domains"),
    (["zoom"], "vendors[0]", "-"),
    ("zoom", "file", "vendors"),
    (None, "file", "vendors"),
])
def test_validation_errors_name_the_file_vendor_and_key(tmp_path, vendors_value, where, key):
    import yaml
    path = tmp_path / "vendors.yaml"
    path.write_text(yaml.safe_dump({"vendors": vendors_value}))
    with pytest.raises(VendorError) as err:
        load_vendors(path)
    assert (err.value.where, err.value.key) == (where, key)
    assert str(err.value).startswith(f"{path}: {where}: {key}: ")


@pytest.mark.parametrize("text, key", [
    ("vendors: [\n  - id: zoom", "yaml"),     # not YAML at all
    ("", "vendors"),                         # empty file
    ("- id: zoom\n", "vendors"),             # a bare list, no 'vendors' key
])
def test_unreadable_files(tmp_path, text, key):
    path = tmp_path / "vendors.yaml"
    path.write_text(text)
    with pytest.raises(VendorError) as err:
        load_vendors(path)
    assert err.value.key == key and str(path) in str(err.value)


def test_duplicate_domain_names_both_vendors(tmp_path):
    path = tmp_path / "vendors.yaml"
    path.write_text(textwrap.dedent("""
        vendors:
          - {id: zoom, name: Zoom, domains: [zoom.us]}
          - {id: fake, name: Fake, domains: [fake.example, zoom.us]}
    """))
    with pytest.raises(VendorError, match=r"vendors\[1\] \(fake\): domains: 'zoom.us' is already claimed by 'zoom'"):
        load_vendors(path)


# ---- the real list -------------------------------------------------------------------------------

MUST_HAVE = ["zoom", "google", "meta", "microsoft", "amazon", "apple", "tiktok", "x", "linkedin", "slack",
             "dropbox", "spotify", "reddit", "discord", "openai", "anthropic", "netflix", "paypal", "uber",
             "airbnb"]


@pytest.fixture(scope="module")
def real():
    return load_vendors(REAL)


def test_real_list_loads_with_enough_vendors(real):
    assert len(real.items) >= 60


@pytest.mark.parametrize("vendor_id", MUST_HAVE)
def test_real_list_has_the_big_vendors_with_both_documents(real, vendor_id):
    vendor = real.get(vendor_id)
    assert vendor is not None
    assert vendor.terms and vendor.privacy


@pytest.mark.parametrize("host, vendor_id", [
    ("zoom.us", "zoom"), ("us02web.zoom.us", "zoom"), ("www.google.com", "google"), ("mail.google.com", "google"),
    ("www.youtube.com", "youtube"), ("www.facebook.com", "meta"), ("www.instagram.com", "instagram"),
    ("web.whatsapp.com", "whatsapp"), ("twitter.com", "x"), ("x.com", "x"), ("chatgpt.com", "openai"),
    ("claude.ai", "anthropic"), ("app.slack.com", "slack"), ("www.amazon.co.uk", "amazon"),
    ("old.reddit.com", "reddit"), ("x.ai", "xai"), ("zoom.us.evil.com", None), ("notzoom.us", None),
])
def test_real_hosts(real, host, vendor_id):
    vendor = real.get(vendor_id) if vendor_id else None
    assert real.for_host(host) is vendor


def test_every_listed_policy_url_is_recognised_as_what_it_is(real):
    # Otherwise a user who opens the page would never get the vendor's badge updated: a policy URL
    # on a domain no vendor claims, or two documents one cannot tell apart.
    wrong = [(v.id, doc_type, url, real.for_url(url))
             for v in real.items for doc_type in ("terms", "privacy") for url in getattr(v, doc_type)
             if real.for_url(url)[1] != doc_type]
    assert wrong == []


def test_real_json_is_what_the_extension_expects(real):
    data = real.to_json()
    assert data["version"] == real.version
    assert len(data["vendors"]) == len(real.items)
    for v in data["vendors"]:
        assert set(v) == {"id", "name", "domains", "terms", "privacy"}
        assert all(isinstance(x, list) for x in (v["domains"], v["terms"], v["privacy"]))
