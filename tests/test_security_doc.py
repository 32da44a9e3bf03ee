"""SECURITY.md names the tests that hold each claim: every test file and test name it cites exists,
so a renamed or deleted test cannot leave a claim standing on nothing."""

from __future__ import annotations

import re

from conftest import REPO

DOC = (REPO / "SECURITY.md").read_text(encoding="utf-8")
TESTS = {p: p.read_text(encoding="utf-8") for p in (REPO / "tests").rglob("test_*.py")}


def test_every_cited_test_file_exists():
    cited = set(re.findall(r"\((tests/[\w/]+\.py)\)", DOC))
    assert cited, "SECURITY.md cites no test file"
    assert sorted(c for c in cited if not (REPO / c).is_file()) == []


def test_every_cited_test_name_is_a_test():
    names = set(re.findall(r"`(test_\w+)`", DOC))
    defined = {n for text in TESTS.values() for n in re.findall(r"^def (test_\w+)", text, re.MULTILINE)}
    assert len(names) >= 20
    assert sorted(names - defined) == []


def test_every_hardening_test_file_is_cited():
    for name in ("test_adversarial.py", "test_user_rules_hostile.py", "test_edges.py", "test_delete_is_gone.py",
                 "test_fetch_addresses.py", "test_slowloris.py", "e2e/test_hostile_page.py"):
        assert f"tests/{name}" in DOC, name
