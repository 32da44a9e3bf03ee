"""A web page in the same browser attacks the local server, in real Chromium: a page served on
another loopback port fetch()es the history, posts analyses (JSON, and text/plain in no-cors
mode), tries to delete the history, and submits forms to /api/analyze and /report/delete. It can
read nothing, and the history is byte for byte what it was.

A plain Chromium (no extension: nothing else talks to the server while the page attacks), run in
a thread of its own so it never meets the session's extension browser in this thread.
"""

from __future__ import annotations

import json
import threading
import urllib.request

import pytest

from .conftest import CHROMIUM, extension_id

sync_api = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.browser

ARGS = ["--disable-gpu", "--no-first-run", "--disable-sync", "--disable-background-networking",
        "--disable-component-update", "--disable-quic",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost"]


def in_chromium(work):
    """Run work(context) in a fresh headless Chromium on a thread of its own; return its result."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (/usr/lib/chromium/chromium)")
    out: dict = {}

    def run():
        try:
            with sync_api.sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
                try:
                    out["value"] = work(browser.new_context())
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            out["error"] = exc

    thread = threading.Thread(target=run, name="chromium")
    thread.start()
    thread.join(180)
    if "error" in out:
        raise out["error"]
    assert "value" in out, "Chromium did not finish in time"
    return out["value"]


def api(server: str, method: str, path: str, body: dict | None = None):
    origin = f"chrome-extension://{extension_id()}"
    req = urllib.request.Request(server + path, method=method, data=json.dumps(body).encode() if body else None,
                                 headers={"Origin": origin, "Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)


ATTACK = """<!doctype html><html><head><title>innocent page</title></head><body>
<h1>Nothing to see</h1>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe><iframe name="sink3"></iframe>
<form id="f1" method="post" action="SERVER/api/analyze" enctype="text/plain" target="sink1">
  <input name='{"url": "https://evil.example/x", "text": "We may sell your data.", "pad": "' value='"}'>
</form>
<form id="f2" method="post" action="SERVER/report/delete" target="sink2">
  <input name="document" value="DOCUMENT">
</form>
<form id="f3" method="post" action="SERVER/api/analyze" enctype="application/x-www-form-urlencoded" target="sink3">
  <input name="text" value="We may sell your data.">
</form>
<script>
const S = "SERVER";
window.results = {};
async function attempt(name, run) {
  try { results[name] = {ok: true, value: await run()}; }
  catch (e) { results[name] = {ok: false, error: String(e)}; }
}
const read = (r) => r.text().then((t) => ({status: r.status, type: r.type, text: t}));
const body = JSON.stringify({url: "https://evil.example/terms", text: "We may sell your personal data."});
window.done = (async () => {
  await attempt("read history", () => fetch(S + "/api/history").then(read));
  await attempt("read history no-cors", () => fetch(S + "/api/history", {mode: "no-cors"}).then(read));
  await attempt("read history with credentials", () => fetch(S + "/api/history", {credentials: "include"}).then(read));
  await attempt("read site", () => fetch(S + "/api/site?host=zoom.us").then(read));
  await attempt("read vendors", () => fetch(S + "/api/vendors").then(read));
  await attempt("read report", () => fetch("REPORT").then(read));
  await attempt("read report export", () => fetch("REPORT/export.json").then(read));
  await attempt("analyze json", () => fetch(S + "/api/analyze", {method: "POST", body,
    headers: {"Content-Type": "application/json"}}).then(read));
  await attempt("analyze text/plain no-cors", () => fetch(S + "/api/analyze", {method: "POST", mode: "no-cors",
    body, headers: {"Content-Type": "text/plain"}}).then(read));
  await attempt("analyze text/plain", () => fetch(S + "/api/analyze", {method: "POST", body,
    headers: {"Content-Type": "text/plain"}}).then(read));
  await attempt("seen text/plain no-cors", () => fetch(S + "/api/site/seen", {method: "POST", mode: "no-cors",
    body: JSON.stringify({host: "zoom.us"})}).then(read));
  await attempt("delete history", () => fetch(S + "/api/history", {method: "DELETE"}).then(read));
  await attempt("delete history no-cors", () => fetch(S + "/api/history", {method: "DELETE", mode: "no-cors"}).then(read));
  await attempt("delete via beacon", () => navigator.sendBeacon(S + "/report/delete", new Blob(["document=DOCUMENT"],
    {type: "application/x-www-form-urlencoded"})));
  for (const id of ["f1", "f2", "f3"]) document.getElementById(id).submit();
  return true;
})();
</script></body></html>"""


def test_a_page_on_another_loopback_port_reads_and_changes_nothing(server, pages):
    seeded = api(server, "POST", "/api/analyze", {"url": "https://victim.example/terms",
                                                  "text": "We may sell your personal information to data brokers."})
    history = api(server, "GET", "/api/history")
    document = next(d["id"] for d in history["documents"] if d["key"] == "victim.example/terms")
    before = json.dumps(history, sort_keys=True)
    assert pages.port != int(server.rsplit(":", 1)[1])
    url = pages.add("/attack.html", ATTACK.replace("SERVER", server).replace("DOCUMENT", str(document))
                    .replace("REPORT", seeded["report_url"]))

    def attack(ctx):
        page = ctx.new_page()
        seen = []  # every response from our server that reached this page or its frames
        page.on("response", lambda r: seen.append((r.request.method, r.url, r.status))
                if r.url.startswith(server) else None)
        page.goto(url, wait_until="load")
        page.wait_for_function("window.done !== undefined")
        page.evaluate("window.done")
        # Playwright's events arrive while it waits, so poll with its own wait, not time.sleep.
        for _ in range(150):
            if len({u for m, u, _ in seen if m == "POST"}) >= 2 and len([1 for m, _, _ in seen if m == "POST"]) >= 3:
                break
            page.wait_for_timeout(100)
        page.wait_for_timeout(300)
        frames = [f.content() if not f.is_detached() else "" for f in page.frames[1:]]
        return page.evaluate("window.results"), seen, frames

    results, seen, frames = in_chromium(attack)
    secret = seeded["report_id"]
    for name, result in results.items():
        dumped = json.dumps(result)
        assert secret not in dumped and "victim.example" not in dumped and "documents" not in dumped, name
        if result["ok"] and isinstance(result["value"], dict):
            # Opaque (no-cors) answers are all the page gets: status 0, no body.
            assert result["value"]["type"] == "opaque" and result["value"]["text"] == "", (name, result)
    assert not results["read history"]["ok"] and not results["analyze json"]["ok"]
    assert not results["delete history"]["ok"]
    # The form posts reached the server and were refused; the frames show nothing of ours.
    posts = [s for s in seen if s[0] == "POST"]
    assert {u.split(server)[1] for _, u, _ in posts} >= {"/api/analyze", "/report/delete"}
    assert all(status == 403 for _, _, status in seen), seen
    assert all(secret not in f for f in frames)
    # And nothing changed: no analysis stored, no document deleted, no seen mark moved.
    assert json.dumps(api(server, "GET", "/api/history"), sort_keys=True) == before


def test_a_page_cannot_frame_or_open_the_reader_view(server, pages):
    seeded = api(server, "POST", "/api/analyze", {"url": "https://victim2.example/terms",
                                                  "text": "Any dispute shall be resolved by binding arbitration."})
    report = seeded["report_url"]
    url = pages.add("/frame.html", f'<!doctype html><iframe id="f" src="{report}"></iframe>'
                                   f'<a id="l" href="{report}">open</a>')

    def attack(ctx):
        page = ctx.new_page()
        statuses = []
        page.on("response", lambda r: statuses.append(r.status) if r.url.startswith(report) else None)
        page.goto(url, wait_until="load")
        page.wait_for_timeout(500)
        framed = page.frames[1].content() if len(page.frames) > 1 else ""
        with page.expect_navigation():
            page.click("#l")  # a link from a web page: Sec-Fetch-Site cross-site/same-site
        return statuses, framed, page.content()

    statuses, framed, linked = in_chromium(attack)
    assert statuses and all(s == 403 for s in statuses), statuses
    assert seeded["report_id"] not in framed and "binding arbitration" not in framed
    assert "binding arbitration" not in linked and "forbidden_origin" in linked


def test_the_user_still_opens_the_reader_view(server):
    """The same report, typed or opened by the extension (Sec-Fetch-Site none), does open."""
    seeded = api(server, "POST", "/api/analyze", {"url": "https://victim3.example/terms",
                                                  "text": "Any dispute shall be resolved by binding arbitration."})

    def open_typed(ctx):
        page = ctx.new_page()
        response = page.goto(seeded["report_url"], wait_until="load")
        return response.status, page.inner_text("article")

    status, text = in_chromium(open_typed)
    assert status == 200 and "binding arbitration" in text
