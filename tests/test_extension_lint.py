"""The extension's static checks: `web-ext lint` (Firefox's linter) and its Node unit tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[1] / "extension"


def _node_tools():
    if not (shutil.which("node") and shutil.which("npm")):
        # ./dev test installs node first, so there (and in CI) a missing node is a failure, not a skip.
        if os.environ.get("CLAUSEWATCH_REQUIRE_NODE") == "1":
            pytest.fail("node/npm is not installed, though ./dev test installs them")
        pytest.skip("node/npm is not installed (./dev test installs them)")
    web_ext = EXTENSION / "node_modules" / ".bin" / "web-ext"
    if not web_ext.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=EXTENSION, check=True)
    return web_ext


def test_web_ext_lint_passes():
    web_ext = _node_tools()
    run = subprocess.run([str(web_ext), "lint", "--source-dir", str(EXTENSION), "--output", "json"],
                         capture_output=True, text=True, timeout=180)
    report = json.loads(run.stdout[run.stdout.index("{"):])
    assert run.returncode == 0 and report["errors"] == [], report["errors"]
    # The one expected warning: Firefox ignores background.service_worker, which Chrome needs.
    codes = {w["code"] for w in report["warnings"]}
    assert codes <= {"BACKGROUND_SERVICE_WORKER_IGNORED"}, report["warnings"]


def test_node_unit_tests_pass():
    _node_tools()
    run = subprocess.run(["node", "--test", "test/"], cwd=EXTENSION, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def test_manifest_pins_the_id_and_serves_both_browsers():
    manifest = json.loads((EXTENSION / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["manifest_version"] == 3 and manifest["key"]
    assert manifest["background"]["service_worker"] == manifest["background"]["scripts"][0]
    assert manifest["browser_specific_settings"]["gecko"]["id"]
    assert set(manifest["host_permissions"]) == {"http://127.0.0.1/*", "http://localhost/*"}
    assert set(manifest["permissions"]) == {"activeTab", "scripting", "storage", "tabs"}
