"""tools/build_vendors.py: the shipped vendors.yaml is what the script builds, big enough, ordered by
popularity, every entry marked until confirmed; run for real on ../shared/data."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml

from clausewatch.vendors.catalog import load_vendors
from conftest import REPO

SCRIPT = REPO / "tools" / "build_vendors.py"
REAL = REPO / "rules" / "vendors.yaml"


def test_the_shipped_list_is_what_the_script_builds(shared_data):
    out = subprocess.run([sys.executable, str(SCRIPT), "--check", "--shared", str(shared_data)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, "rules/vendors.yaml is stale: run tools/build_vendors.py"


def test_at_least_400_vendors_each_with_a_policy_url_and_a_confirmation_mark():
    vendors = load_vendors(REAL)
    assert len(vendors) >= 400
    raw = yaml.safe_load(REAL.read_text(encoding="utf-8"))["vendors"]
    assert all("confirmed" in v for v in raw)
    assert all(v.terms or v.privacy for v in vendors.items)


def test_most_visited_first():
    ids = [v.id for v in load_vendors(REAL).items]
    assert ids[:4] == ["google", "youtube", "meta", "instagram"]
    assert ids.index("walmart") < ids.index("librarything")


@pytest.mark.parametrize("host, vendor_id", [
    ("www.walmart.com", "walmart"), ("corporate.walmart.com", "walmart"), ("en.wikipedia.org", "wikipedia"),
    ("www.dropbox.com", "dropbox"), ("www.adobe.com", "adobe"), ("store.epicgames.com", "epic-games"),
    ("www.patreon.com", "patreon"), ("mystore.myshopify.com", None), ("www.etsy.com", "etsy"),
    ("policy.naver.com", "naver"), ("docs.roku.com", "roku"), ("www.librarything.com", "librarything"),
])
def test_new_and_big_vendors_are_found_by_host(host, vendor_id):
    found = load_vendors(REAL).for_host(host)
    assert (found.id if found else None) == vendor_id


@pytest.mark.parametrize("host, expected", [("google.co.uk", "google.co.uk"), ("a.b.example.com", "example.com"),
                                            ("shop.example.com.au", "example.com.au"), ("localhost", None)])
def test_registrable_domain(host, expected):
    sys.path.insert(0, str(REPO / "tools"))
    from build_vendors import registrable
    assert registrable(host) == expected


@pytest.mark.parametrize("value", ["yes", 1, "false"])
def test_confirmed_must_be_a_boolean(tmp_path, value):
    from clausewatch.vendors.catalog import VendorError
    path = tmp_path / "v.yaml"
    path.write_text(yaml.safe_dump({"vendors": [{"id": "a", "name": "A", "domains": ["a.example"],
                                                 "terms": ["https://a.example/t"], "confirmed": value}]}))
    with pytest.raises(VendorError, match="confirmed"):
        load_vendors(path)
