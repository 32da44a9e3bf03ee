"""A hostile page in real Chromium: every load serves fresh random look-alike text (so every click
is a new version to analyse and diff against the last), and the user clicks it three times through
the extension. Each click gets an answer in the popup (a result, or a clear error), and the server
stays responsive: /api/health answers after every click."""

from __future__ import annotations

import json
import random
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

VOCAB = ("we may share your personal data with our partners and affiliates for any purpose including "
         "advertising analytics research security fraud prevention legal compliance").split()


def random_terms(rng: random.Random) -> bytes:
    paragraphs = "".join("<p>" + " ".join(rng.choice(VOCAB) for _ in range(200)) + ".</p>" for _ in range(200))
    return f"<html><head><title>Terms</title></head><body><h1>Terms</h1>{paragraphs}</body></html>".encode()


@pytest.fixture
def hostile_site():
    rng = random.Random(14)
    loads = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path != "/terms":  # the favicon
                self.send_error(404)
                return
            body = random_terms(rng)
            loads.append(len(body))
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/terms", loads
    server.shutdown()
    server.server_close()


def health(server: str) -> dict:
    with urllib.request.urlopen(server + "/api/health", timeout=15) as r:  # a hang guard, not a timing
        return json.load(r)


def test_three_clicks_on_a_page_of_fresh_random_text_leave_the_server_responsive(browser, hostile_site,
                                                                                fresh_pages):
    url, loads = hostile_site
    page, tab_id = browser.open(url)
    fresh_pages.append(page)
    states = []
    for click in range(3):
        if click:
            page.reload(wait_until="domcontentloaded")
        popup = browser.popup(tab_id)
        fresh_pages.append(popup)
        popup.wait_for_selector("body[data-state=result], body[data-state=error]", timeout=60000)
        states.append(popup.locator("body").get_attribute("data-state"))
        popup.close()
        assert health(browser.server)["status"] == "ok"
    assert len(loads) == 3  # three different versions were served
    # Each version costs about a second of CPU to diff against the last (bench/adversarial.md), inside
    # the request's budget: all three are answered with a result.
    assert states == ["result"] * 3, states
    # What was analysed is in the history as versions of one document.
    req = urllib.request.Request(browser.server + "/api/history",
                                 headers={"Origin": f"chrome-extension://{browser.ext_id}"})
    with urllib.request.urlopen(req, timeout=15) as r:
        mine = [d for d in json.load(r)["documents"] if d["url"] == url]
    assert len(mine) == 1 and len(mine[0]["versions"]) == states.count("result")
