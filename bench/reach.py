"""How many findings can the user reach in one click? Measured in Chromium with the extension.

    PYTHONPATH=server python bench/reach.py [--every N]     # writes bench/reach.md

For each page: open it, let the popup analyse it (as a user's click does), then for every finding
send the popup's own "scroll-to" message and check that the finding's first mark is visible and in
the viewport afterwards. Reached = placed on the page, and visible after that one click (opening a
collapsed section counts). Pages: our own accordion page (tests/fixtures/hidden/) and the real pages
of ../shared/data/pages (every Nth with --every, for a shorter run).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
from e2e.conftest import CHROMIUM, EXTENSION, Pages, Server, extension_id, wait_for  # noqa: E402

SHARED = REPO.parent / "shared" / "data" / "pages"
OUT = REPO / "bench" / "reach.md"
IN_VIEW = """(id) => {
    const m = [...document.querySelectorAll('mark.cw-mark[data-cw-findings]')]
        .find((x) => x.dataset.cwFindings.split(' ').includes(id));
    if (!m) return false;
    const r = m.getBoundingClientRect();
    return m.checkVisibility() && r.height > 0 && r.top >= 0 && r.bottom <= innerHeight;
}"""


def measure_page(ctx, sw, ext_id, url) -> dict:
    page = ctx.new_page()
    page.emulate_media(reduced_motion="reduce")  # scrolling is instant, so "in view" is read at once
    popup = None
    try:
        page.goto(url, wait_until="load", timeout=30000)
        tab_id = wait_for(lambda: sw.evaluate(
            "async (u) => (await chrome.tabs.query({})).find((t) => t.url === u)?.id ?? null", url))
        popup = ctx.new_page()
        popup.goto(f"chrome-extension://{ext_id}/src/popup/popup.html?tabId={tab_id}")
        popup.wait_for_selector("body[data-state=result], body[data-state=status], body[data-state=error]",
                                timeout=90000)
        items = popup.locator("li.finding").evaluate_all(
            "els => els.map((e) => ({id: e.dataset.id, missing: e.classList.contains('missing')}))")
        reached = hidden_before = 0
        for item in items:
            if item["missing"]:
                continue
            hidden_before += 0 if page.evaluate(IN_VIEW.replace("r.top >= 0 && r.bottom <= innerHeight", "true"),
                                                item["id"]) else 1
            sw.evaluate("([t, id]) => chrome.tabs.sendMessage(t, {type: 'scroll-to', id}, {frameId: 0})",
                        [tab_id, item["id"]])
            reached += 1 if page.evaluate(IN_VIEW, item["id"]) else 0
        return {"url": url, "state": popup.locator("body").get_attribute("data-state"), "findings": len(items),
                "missing": sum(i["missing"] for i in items), "hidden_before": hidden_before, "reached": reached}
    finally:
        for p in (page, popup):
            if p is not None:
                p.close()


def main() -> int:
    args = argparse.ArgumentParser()
    args.add_argument("--every", type=int, default=1, help="measure every Nth real page")
    opts = args.parse_args()
    from playwright.sync_api import sync_playwright
    pages = Pages()
    tmp = Path(tempfile.mkdtemp(prefix="cw-reach-"))
    server = Server(tmp / "data", tmp / "config", tmp / "server.log", REPO / "rules" / "vendors.yaml")
    own = [pages.add("/own/accordion.html", (REPO / "tests" / "fixtures" / "hidden" / "accordion.html").read_bytes())]
    real = []
    if (SHARED / "index.jsonl").is_file():
        rows = [json.loads(line) for line in (SHARED / "index.jsonl").read_text().splitlines() if line.strip()]
        for i, row in enumerate(rows[::opts.every]):
            real.append(pages.add(f"/real/{i}.html", (SHARED.parent / row["path"]).read_bytes()))
    results = {"own": [], "real": []}
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                str(tmp / "profile"), executable_path=CHROMIUM, headless=True, viewport={"width": 1200, "height": 800},
                args=["--disable-gpu", "--no-first-run", "--disable-sync", "--disable-background-networking",
                      "--disable-component-update", "--disable-quic",
                      "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
                      f"--disable-extensions-except={EXTENSION}", f"--load-extension={EXTENSION}"])
            sw = ctx.service_workers[0] if ctx.service_workers else ctx.wait_for_event("serviceworker", timeout=15000)
            server.wait()
            sw.evaluate("(s) => chrome.storage.local.set({server: s})", server.base)
            for kind, urls in (("own", own), ("real", real)):
                for url in urls:
                    try:
                        results[kind].append(measure_page(ctx, sw, extension_id(), url))
                    except Exception as exc:  # noqa: BLE001 - one page's failure is a row, not the end
                        results[kind].append({"url": url, "state": f"failed: {type(exc).__name__}", "findings": 0,
                                              "missing": 0, "hidden_before": 0, "reached": 0})
                    print(kind, results[kind][-1], flush=True)
            ctx.close()
    finally:
        server.stop()
        pages.close()
    write(results, opts.every)
    return 0


def write(results, every) -> None:
    lines = ["# Findings reachable in one click", "",
             f"`PYTHONPATH=server python bench/reach.py{' --every ' + str(every) if every > 1 else ''}` wrote this file.",
             "Reached: the finding is placed on the page, and after one click on it in the popup its clause is"
             " visible and in the viewport (a collapsed section it sits in was opened).", "",
             "| pages | pages graded | findings | placed | hidden until the click | reached in one click | share |",
             "|---|---|---|---|---|---|---|"]
    for kind, rows in results.items():
        total = sum(r["findings"] for r in rows)
        placed = total - sum(r["missing"] for r in rows)
        reached = sum(r["reached"] for r in rows)
        share = f"{reached / total:.1%}" if total else "n/a"
        label = "our accordion page" if kind == "own" else f"real pages (every {every})" if every > 1 else "real pages"
        lines.append(f"| {label} ({len(rows)}) | {sum(r['state'] == 'result' for r in rows)} | {total} | {placed} | "
                     f"{sum(r['hidden_before'] for r in rows)} | {reached} | {share} |")
    failed = [r for rows in results.values() for r in rows if str(r["state"]).startswith("failed")]
    lines += ["", f"Pages that failed to load or analyse: {len(failed)}.", ""]
    OUT.write_text("\n".join(lines), encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    sys.exit(main())
