"""The reader view: findings marked inline, a list at the top, every piece of page text escaped."""

from __future__ import annotations

import json

from conftest import EXT_ORIGIN, FIXTURES

NAV = {"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"}
HOSTILE = ('<p>We may sell your personal information &lt;script&gt;window.pwned=1&lt;/script&gt; '
           '<b>&lt;/mark&gt;&lt;img src=x onerror="window.pwned=2"&gt;</b> to data brokers.</p>'
           '<p><a href="javascript:alert(1)">Any dispute shall be resolved by binding arbitration.</a></p>')


def analyse(client, html, url="https://a.example/terms"):
    r = client.post("/api/analyze", headers={"Origin": EXT_ORIGIN}, content_type="application/json",
                    data=json.dumps({"url": url, "html": html, "title": "<i>Terms</i>"}))
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def test_findings_are_marked_inline_with_a_list_and_the_grade(client):
    html = (FIXTURES / "zoom_terms_2023.html").read_text(encoding="utf-8")
    data = analyse(client, html)
    page = client.get("/report/" + data["report_id"], headers=NAV).get_data(as_text=True)
    assert f'class="grade grade-{data["grade"]["grade"]}"' in page
    for f in data["findings"]:
        sev = "protection" if f["polarity"] == "protection" else f["severity"]
        assert f'<mark id="c{f["start"]}" tabindex="0" class="sev-' in page
        assert f'href="#c{f["start"]}"' in page
        assert f["explanation"] in page.replace("&#39;", "'").replace("&#34;", '"')
        assert f"sev-{sev}" in page


def test_hostile_page_text_is_escaped(client):
    data = analyse(client, HOSTILE)
    page = client.get("/report/" + data["report_id"], headers=NAV).get_data(as_text=True)
    assert "<script>" not in page and "<img" not in page and "<i>Terms" not in page
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page
    assert "&lt;/mark&gt;&lt;img src=x onerror=" in page
    assert "javascript:" not in page.split("<article")[0]  # link targets never reach the page
    assert "script-src" not in page and "default-src 'none'" in client.get(
        "/report/" + data["report_id"], headers=NAV).headers["Content-Security-Policy"]


def test_unknown_report_is_a_404(client):
    r = client.get("/report/does-not-exist", headers=NAV)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"


def test_delete_button_removes_the_document(client, settings):
    data = analyse(client, HOSTILE)
    page = client.get("/report/" + data["report_id"], headers=NAV).get_data(as_text=True)
    document_id = page.split('name="document" value="')[1].split('"')[0]
    origin = {"Origin": f"http://127.0.0.1:{settings.port}"}
    r = client.post("/report/delete", data={"document": document_id}, headers=origin)
    assert r.status_code == 200 and "Deleted" in r.get_data(as_text=True)
    assert client.get("/report/" + data["report_id"], headers=NAV).status_code == 404
