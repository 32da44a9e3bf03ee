"""The wheel, installed outside the checkout, serves, analyses and checks with what it carries."""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from conftest import FIXTURES, REPO

pytestmark = pytest.mark.slow

CHECKOUT_RULES = REPO / "rules"


def checkout_rule_files() -> dict[str, bytes]:
    return {p.relative_to(CHECKOUT_RULES).as_posix(): p.read_bytes() for p in CHECKOUT_RULES.rglob("*.yaml")}


def pinned_origin() -> str:
    from clausewatch.settings import extension_id_from_key
    key = json.loads((REPO / "extension" / "manifest.json").read_text(encoding="utf-8"))["key"]
    return f"chrome-extension://{extension_id_from_key(key)}"


def test_the_wheel_carries_the_checkout_rules_model_and_extension_manifest(installed_clausewatch):
    with zipfile.ZipFile(installed_clausewatch.wheel) as z:
        names = set(z.namelist())
        shipped = {n.removeprefix("clausewatch/data/rules/"): z.read(n) for n in names
                   if n.startswith("clausewatch/data/rules/")}
        manifest = z.read("clausewatch/data/extension-manifest.json")
    assert shipped == checkout_rule_files()  # every rule and vendors.yaml, byte for byte, nothing stale
    assert "vendors.yaml" in shipped
    assert manifest == (REPO / "extension" / "manifest.json").read_bytes()
    detector = {p.name for p in (REPO / "server" / "clausewatch" / "core" / "detector").iterdir()}
    assert {f"clausewatch/core/detector/{n}" for n in detector} <= names
    assert {"clausewatch/__init__.py", "clausewatch/web/templates/report.html", "clausewatch/web/static/report.css"} <= names


def test_the_installed_package_reads_its_own_data_not_the_checkout(installed_clausewatch):
    run = subprocess.run([str(installed_clausewatch.bin / "python"), "-c", "from clausewatch import resources as r; "
                          "print(r.PACKAGE); print(r.rules_dir()); print(r.extension_manifest())"],
                         cwd=installed_clausewatch.home, env=installed_clausewatch.env(),
                         capture_output=True, text=True, check=True)
    package, *data = map(Path, run.stdout.split())
    assert installed_clausewatch.venv in package.parents, run.stdout
    for path in data:
        assert path.exists() and package in path.parents, run.stdout


def test_rules_check_passes_in_the_installed_copy(installed_clausewatch):
    run = installed_clausewatch.run("rules", "check")
    assert run.returncode == 0, run.stdout + run.stderr
    rules = len([n for n in checkout_rule_files() if n != "vendors.yaml"])
    assert run.stdout.strip().splitlines()[-1].startswith(f"{rules} rules,")
    assert run.stdout.strip().endswith(" 0 problems")


def test_the_installed_cli_analyses_a_page_from_an_empty_directory(installed_clausewatch):
    run = installed_clausewatch.run("analyze", "-", "--json", input=(FIXTURES / "zoom_terms_v1.html").read_text())
    assert run.returncode == 0, run.stderr
    categories = {f["category"] for f in json.loads(run.stdout)["findings"]}
    assert {"ai_training", "content_license"} <= categories


def test_the_installed_server_analyses_with_the_shipped_rules_and_model(installed_clausewatch):
    with installed_clausewatch.serve() as server:
        status, health = server.request("/api/health", origin=None)
        assert status == 200 and health["model"] is True
        assert health["rules"] == len(checkout_rule_files()) - 1  # every rule file but vendors.yaml
        assert health["vendors"] > 0
        page = {"url": "https://zoom.us/terms", "html": (FIXTURES / "zoom_terms_v1.html").read_text()}
        status, body = server.request("/api/analyze", page, origin=pinned_origin())
        assert status == 200, body
        by_category = {f["category"]: f for f in body["findings"]}
        assert by_category["ai_training"]["severity"] == "critical"
        assert by_category["content_license"]["rule"]  # a shipped rule marked the phrase
        assert body["vendor"]["id"] == "zoom"  # the shipped vendor list
        # The pinned id is what lets the extension in; another extension is still refused.
        status, _ = server.request("/api/analyze", page, origin="chrome-extension://abcdefghijklmnopabcdefghijklmnop")
        assert status == 403
