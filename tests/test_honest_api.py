"""Statuses and PDF errors of POST /api/analyze, over real HTTP to `clausewatch serve`.

A page we cannot read (not English) or that is not terms gets 200, no grade, no findings and a
status; a PDF is read in the server's extraction worker, and each way a PDF can fail has its code.
"""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

import pdfgen
from conftest import FIXTURES, TEST_EXTENSION_ID

ORIGIN = f"chrome-extension://{TEST_EXTENSION_ID}"
LANGS = FIXTURES / "languages"
NOT_POLICIES = FIXTURES / "not_policies"
# Words that belong to the model's inside, never to what a user reads.
INTERNALS = ("p=", "n-gram", "ngram", "probabilit", "statistical check", "drove it", "logit")


def _call(port, path, body=None, headers=None, method=None):
    h = {"Content-Type": "application/json", "Origin": ORIGIN, **(headers or {})}
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, headers=h, method=method)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def post(port, body):
    status, raw = _call(port, "/api/analyze", body)
    return status, json.loads(raw)


def reader_view(port, url) -> tuple[int, str]:
    # As the user's own navigation from the popup: the guard lets exactly this through.
    path = url.split(f"127.0.0.1:{port}", 1)[1]
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}",
                                 headers={"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.status, r.read().decode("utf-8")


@pytest.fixture(scope="module")
def port(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("honest")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "XDG_DATA_HOME": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "config"),
           "CLAUSEWATCH_EXTENSION_IDS": TEST_EXTENSION_ID}
    exe = Path(sys.executable).with_name("clausewatch")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "clausewatch"]
    proc = subprocess.Popen(cmd + ["serve", "--port", str(port), "--no-watch"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 30
    while True:
        try:
            if _call(port, "/api/health")[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            proc.kill()
            pytest.fail("server did not start: " + proc.stdout.read())
        time.sleep(0.05)
    yield port
    proc.terminate()
    proc.wait(timeout=10)
    proc.stdout.close()


@pytest.mark.parametrize("name, code, language_name", [
    ("de_terms.html", "de", "German"),
    ("fr_privacy.html", "fr", "French"),
    ("it_terms.html", "it", "Italian"),
])
def test_pages_in_other_languages_get_no_grade_and_say_which_language(port, name, code, language_name):
    status, data = post(port, {"url": f"https://example.{code}/terms", "html": (LANGS / name).read_text("utf-8")})
    assert status == 200
    assert data["grade"] is None and data["findings"] == [] and data["changes"] is None
    assert data["status"] == "unsupported_language"
    assert data["language"] == code and data["document"]["language"] == code
    assert data["message"] == f"clausewatch reads English terms for now; this page is in {language_name}"
    code_, page = reader_view(port, data["report_url"])
    assert code_ == 200 and f"this page is in {language_name}" in page
    # Not graded, so not kept: the history holds only what was analysed.
    assert all(d["url"] != f"https://example.{code}/terms" for d in json.loads(_call(port, "/api/history")[1])["documents"])


def test_an_english_policy_with_a_french_paragraph_is_graded(port):
    status, data = post(port, {"url": "https://maplecrest.example/privacy",
                               "html": (LANGS / "en_with_french.html").read_text("utf-8")})
    assert status == 200 and data["status"] == "analysed" and data["message"] is None
    assert data["grade"]["grade"] in "ABCDE" and data["document"]["language"] == "en"
    assert data["findings"]


@pytest.mark.parametrize("name", sorted(p.name for p in NOT_POLICIES.glob("*.html")))
def test_pages_that_are_not_terms_get_no_grade(port, name):
    status, data = post(port, {"url": f"https://shop.example/{name}", "html": (NOT_POLICIES / name).read_text("utf-8")})
    assert status == 200
    assert (data["status"], data["grade"], data["findings"]) == ("not_a_policy", None, [])
    assert data["message"] == "This page doesn't look like terms or a privacy policy"
    assert data["policy_check"]["is_policy"] is False and data["policy_check"]["reason"]


def test_a_vendor_page_that_is_not_terms_never_touches_the_vendors_grade(port):
    html = (FIXTURES / "zoom_terms_v1.html").read_text("utf-8")
    status, terms = post(port, {"url": "https://zoom.us/terms", "html": html})
    assert status == 200 and terms["vendor"] == {"id": "zoom", "name": "Zoom", "doc_type": "terms"}
    before = json.loads(_call(port, "/api/site?host=zoom.us")[1])
    status, home = post(port, {"url": "https://zoom.us/", "html": (NOT_POLICIES / "home.html").read_text("utf-8")})
    assert home["status"] == "not_a_policy" and home["vendor"]["doc_type"] is None
    after = json.loads(_call(port, "/api/site?host=zoom.us")[1])
    assert after["status"] == "analysed" and after["grade"] == before["grade"] == {
        "grade": terms["grade"]["grade"], "meaning": terms["grade"]["meaning"]}
    assert [d["url"] for d in after["documents"]] == ["https://zoom.us/terms"]


def test_a_terms_pdf_is_analysed_and_has_a_reader_view(port):
    pdf = base64.b64encode(pdfgen.terms_pdf()).decode()
    status, data = post(port, {"url": "https://paperlane.example/terms.pdf", "pdf": pdf})
    assert status == 200, data
    assert data["status"] == "analysed" and data["document"]["extraction"] == "pdf"
    assert data["document"]["title"] == "Terms of Service - Paperlane"
    categories = {f["category"] for f in data["findings"]}
    assert {"ai_training", "content_license", "arbitration"} <= categories, categories
    # Every number the popup shows is the server's: the grade counts match the findings.
    g = data["grade"]
    assert g["risks"] == sum(1 for f in data["findings"] if f["polarity"] == "risk")
    assert g["protections"] == sum(1 for f in data["findings"] if f["polarity"] == "protection")
    _, page = reader_view(port, data["report_url"])
    assert "perpetual, worldwide" in page and 'class="grade grade-' in page


@pytest.mark.parametrize("make, code, words", [
    (lambda: pdfgen.encrypted_pdf(pdfgen.terms_pdf()), "pdf_encrypted", "password-protected"),
    (pdfgen.image_pdf, "pdf_no_text", "no text layer"),
    (pdfgen.malformed_pdf, "pdf_malformed", "damaged"),
    (lambda: pdfgen.terms_pdf()[:400], "pdf_malformed", "damaged"),
    (lambda: b"<html>not a pdf</html>", "pdf_malformed", "not a PDF"),
])
def test_pdfs_that_cannot_be_read_get_their_own_error(port, make, code, words):
    status, data = post(port, {"url": "https://x.example/t.pdf", "pdf": base64.b64encode(make()).decode()})
    assert status == 422
    assert data["error"]["code"] == code and words in data["error"]["message"]


@pytest.mark.parametrize("body, code", [
    ({"pdf": "%%% not base64 %%%"}, "bad_field"),
    ({"pdf": 12}, "bad_field"),
    ({"pdf": base64.b64encode(b"%PDF-1.4").decode(), "html": "<p>x</p>"}, "missing_field"),
])
def test_bad_pdf_requests_are_refused_with_json(port, body, code):
    status, data = post(port, {"url": "https://x.example/t.pdf", **body})
    assert status == 400 and data["error"]["code"] == code


def test_a_pdf_past_the_body_cap_is_refused_before_it_is_read(port):
    # Just past the 8 MB cap (waitress itself drops bodies more than 1 KB beyond it, unanswered).
    big = "A" * (8 * 1024 * 1024 + 200)
    status, raw = _call(port, "/api/analyze", {"url": "https://x.example/big.pdf", "pdf": big})
    assert status == 413 and json.loads(raw)["error"]["code"] == "payload_too_large"


def test_the_pdf_guard_is_the_same_as_for_pages(port):
    pdf = base64.b64encode(pdfgen.terms_pdf()).decode()
    status, raw = _call(port, "/api/analyze", {"url": "https://x.example/t.pdf", "pdf": pdf},
                        headers={"Origin": "https://evil.example"})
    assert status == 403


def test_finding_explanations_are_plain_words(port):
    for fixture in ("zoom_terms_v1.html", "zoom_terms_2023.html"):
        _, data = post(port, {"url": f"https://meetly.example/{fixture}", "html": (FIXTURES / fixture).read_text("utf-8")})
        for f in data["findings"]:
            text = f"{f['title']} {f['explanation']}".lower()
            assert not any(word in text for word in INTERNALS), f
