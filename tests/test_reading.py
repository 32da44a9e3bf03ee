"""A long page is read over several requests, each within the model's per-request token budget
(issue 14: one request costs bounded CPU, whatever the page): the answer says "reading" with its
progress until the whole page is read, and only the whole reading is graded and stored."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from clausewatch.cli import main as cli
from conftest import FIXTURES
from live_server import LiveServer
from test_watch import vendor_site, vendors_file, watched  # noqa: F401  (fixtures)

PAGE = (FIXTURES / "zoom_terms_2023.html").read_text(encoding="utf-8")


def whole_reading(path) -> list[tuple]:
    """The same page through the CLI, which reads a page whole in one go."""
    run = CliRunner().invoke(cli, ["analyze", str(path), "--json"])
    assert run.exit_code in (0, 1), run.output
    return sorted((f["category"], f["severity"], f["quote"]) for f in json.loads(run.output)["findings"])


@pytest.fixture
def small_budget_server(tmp_path):
    # 150 tokens: two or three clauses per request, so the Zoom fixture (12 clauses) takes several.
    server = LiveServer(tmp_path, CLAUSEWATCH_MODEL_TOKENS="150")
    yield server
    server.stop()


def test_a_page_longer_than_the_budget_is_read_on_over_requests_and_graded_once_whole(small_budget_server, tmp_path):
    server = small_budget_server
    if not server.request("/api/health", origin=None)[1]["model"]:
        pytest.skip("the model's files are not here: the rules alone have no token budget")
    body = {"url": "https://zoom.example/terms", "html": PAGE, "title": "Terms"}
    answers = []
    for _ in range(64):
        status, answer = server.request("/api/analyze", body)
        assert status == 200, answer
        answers.append(answer)
        if answer["status"] != "reading":
            break
    partial, final = answers[:-1], answers[-1]
    assert len(partial) >= 2, "the fixture should need several requests at 150 tokens"
    for answer in partial:
        # No grade and no findings from a part: a grade of half a page would be a wrong colour.
        assert answer["grade"] is None and answer["findings"] == [] and "report_id" not in answer
        assert 0 < answer["progress"]["read"] < answer["progress"]["of"]
    reads = [a["progress"]["read"] for a in partial]
    assert reads == sorted(set(reads)), f"each request must read on: {reads}"
    assert final["status"] == "analysed" and final["grade"] is not None and final["report_id"]

    (tmp_path / "page.html").write_text(PAGE, encoding="utf-8")
    got = sorted((f["category"], f["severity"], f["quote"]) for f in final["findings"])
    assert got == whole_reading(tmp_path / "page.html")

    # Only the whole reading went into the history: one document, one version.
    status, history = server.request("/api/history")
    assert status == 200 and len(history["documents"]) == 1
    assert len(history["documents"][0]["versions"]) == 1, history


def test_the_watcher_reads_a_long_policy_whole(watched, vendor_site):  # noqa: F811
    app, services = watched
    services.analyzer.model_budget = 100  # a clause or two per round
    outcomes = services.watcher.run_round(["meetly"])
    assert sorted(o.status for o in outcomes) == ["first", "first"], [o.error for o in outcomes]
