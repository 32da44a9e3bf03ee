"""The JSON API through Flask's test client: analysis, bad input, history."""

from __future__ import annotations

import json

import pytest

from conftest import FIXTURES

ZOOM = (FIXTURES / "zoom_terms_2023.html").read_text(encoding="utf-8")


def post(client, ext, body, **kw):
    return client.post("/api/analyze", data=json.dumps(body), content_type="application/json", headers=ext, **kw)


def test_zoom_clause_gives_ai_training_and_licence(client, ext):
    r = post(client, ext, {"url": "https://meetly.example/terms", "html": ZOOM})
    assert r.status_code == 200, r.get_json()
    data = r.get_json()
    by_category = {f["category"]: f for f in data["findings"]}
    assert by_category["ai_training"]["severity"] == "critical"
    assert "training and tuning of algorithms and models" in by_category["ai_training"]["quote"]
    assert by_category["content_license"]["severity"] == "high"
    assert "perpetual, worldwide" in by_category["content_license"]["quote"]
    assert data["grade"]["grade"] in "CDE"
    assert data["report_url"].endswith("/report/" + data["report_id"])
    assert data["document"]["words"] > 100 and len(data["document"]["content_hash"]) == 64


def test_finding_offsets_point_into_the_extracted_text(client, ext, app):
    data = post(client, ext, {"url": "https://meetly.example/terms", "html": ZOOM}).get_json()
    text = app.extensions["clausewatch"].store.version(report_id=data["report_id"])["text"]
    for f in data["findings"]:
        assert text[f["start"]:f["end"]] == f["quote"]
        assert text[f["match_start"]:f["match_end"]] == f["match"]
        assert f["start"] <= f["match_start"] < f["match_end"] <= f["end"]


def test_plain_text_is_accepted(client, ext):
    r = post(client, ext, {"url": "", "text": "Any dispute shall be settled by binding arbitration.\n"
                                              "We may sell your personal information to data brokers."})
    assert r.status_code == 200
    assert {"arbitration", "data_sale"} <= {f["category"] for f in r.get_json()["findings"]}


def test_same_text_twice_is_one_version_and_a_change_is_reported(client, ext, app):
    url = "https://meetly.example/terms"
    first = post(client, ext, {"url": url, "text": "These terms are governed by the laws of Delaware."}).get_json()
    again = post(client, ext, {"url": url, "text": "These terms are governed by the laws of Delaware.  "}).get_json()
    assert again["report_id"] == first["report_id"]
    assert again["changes"] is None
    changed = post(client, ext, {"url": url, "text": "These terms are governed by the laws of Delaware. "
                                                     "We may sell your personal information."}).get_json()
    assert changed["report_id"] != first["report_id"]
    assert [f["category"] for f in changed["changes"]["added"]] == ["data_sale"]
    history = client.get("/api/history", headers=ext).get_json()["documents"]
    assert len(history) == 1 and len(history[0]["versions"]) == 2


BAD = [
    # (raw body, content type, status, error code)
    (b"{not json", "application/json", 400, "bad_json"),
    (b"", "application/json", 400, "empty_body"),
    (b"   \n", "application/json", 400, "empty_body"),
    (b"\xff\xfe\x00binary\x89PNG", "application/json", 400, "bad_encoding"),
    (b"[1, 2, 3]", "application/json", 400, "bad_json"),
    (b'"just a string"', "application/json", 400, "bad_json"),
    (b"[" * 50000 + b"]" * 50000, "application/json", 400, "bad_json"),
    (b'{"url": 5, "html": "<p>x</p>"}', "application/json", 400, "bad_field"),
    (b'{"url": "https://a.example", "html": {"nested": 1}}', "application/json", 400, "bad_field"),
    (b'{"url": "https://a.example"}', "application/json", 400, "missing_field"),
    (b'{"html": "<p>a</p>", "text": "b"}', "application/json", 400, "missing_field"),
    (b'{"html": "<html><body><script>var a=1</script></body></html>"}', "application/json", 422, "no_text"),
    (b'{"text": "   "}', "application/json", 422, "no_text"),
    (b'{"html": "<p>arbitration</p>"}', "text/plain", 415, "unsupported_media_type"),
    (b"html=%3Cp%3Ex%3C%2Fp%3E", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
]


@pytest.mark.parametrize("raw,ctype,status,code", BAD, ids=[b[3] + str(i) for i, b in enumerate(BAD)])
def test_bad_requests_get_a_json_error(client, ext, raw, ctype, status, code):
    r = client.post("/api/analyze", data=raw, content_type=ctype, headers=ext)
    assert r.status_code == status
    assert r.get_json()["error"]["code"] == code
    assert r.get_json()["error"]["message"]


def test_oversized_body_is_refused(client, ext, settings):
    body = json.dumps({"html": "<p>" + "a" * settings.max_body_bytes + "</p>"})
    r = client.post("/api/analyze", data=body, content_type="application/json", headers=ext)
    assert r.status_code == 413
    assert r.get_json()["error"]["code"] == "payload_too_large"


def test_health_needs_no_origin_and_unknown_routes_are_json(client, ext):
    assert client.get("/api/health").get_json()["status"] == "ok"
    r = client.get("/api/nothing-here", headers=ext)
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "not_found"
    r = client.put("/api/analyze", headers=ext)
    assert r.status_code == 405 and r.get_json()["error"]["code"] == "method_not_allowed"


def test_history_can_be_deleted_whole_or_by_document(client, ext):
    post(client, ext, {"url": "https://a.example/terms", "text": "We may sell your personal information."})
    post(client, ext, {"url": "https://b.example/terms", "text": "We may sell your personal information."})
    docs = client.get("/api/history", headers=ext).get_json()["documents"]
    assert len(docs) == 2
    r = client.delete(f"/api/history?document={docs[0]['id']}", headers=ext)
    assert r.get_json() == {"deleted": 1}
    assert len(client.get("/api/history", headers=ext).get_json()["documents"]) == 1
    assert client.delete("/api/history", headers=ext).get_json() == {"deleted": 1}
    assert client.get("/api/history", headers=ext).get_json()["documents"] == []
