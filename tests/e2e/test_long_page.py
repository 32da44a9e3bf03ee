"""A page longer than one request's model budget (issue 14): the extension asks again while the
server answers "reading", and the user sees one whole, graded result with its marks."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from .conftest import FIXTURES, wait_for
from .test_extension import analyse, groups_on_page

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from live_server import LiveServer  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture
def small_budget_server(browser, tmp_path):
    # 150 tokens per request: the Zoom fixture's 12 clauses take several requests.
    server = LiveServer(tmp_path, CLAUSEWATCH_MODEL_TOKENS="150", CLAUSEWATCH_EXTENSION_IDS=browser.ext_id)
    browser.set_server(f"http://127.0.0.1:{server.port}")
    yield server
    browser.set_server(browser.server)
    server.stop()


def test_a_page_read_over_several_requests_is_marked_and_graded_whole(browser, pages, small_budget_server,
                                                                        fresh_pages):
    server = small_budget_server
    html = (FIXTURES / "zoom_terms_v1.html").read_text(encoding="utf-8")
    if not server.request("/api/health", origin=None)[1]["model"]:
        pytest.skip("the model's files are not here: the rules alone have no token budget")
    url = pages.add("/long/terms.html", html)
    # The server really answers in parts for this page: the first request reads only some of it.
    status, first = server.request("/api/analyze", {"url": "https://other.example/t", "html": html},
                                   origin=f"chrome-extension://{browser.ext_id}")
    assert status == 200 and first["status"] == "reading", first

    page, popup, tab_id = analyse(browser, url, fresh_pages)
    assert popup.locator("body").get_attribute("data-state") == "result", popup.locator("body").inner_text()
    result = browser.tab_state(tab_id)["analysis"]["result"]
    assert result["status"] == "analysed" and result["grade"] is not None
    assert {"ai_training", "content_license"} & {f["category"] for f in result["findings"]}
    wait_for(lambda: len(groups_on_page(page)) > 0, message="marks on the page")
    assert popup.locator("li.finding").count() == len(result["findings"])
