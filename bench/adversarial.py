"""What hostile pages cost the server: CPU per request and per KB, and how long /api/health waits.

Starts a real `clausewatch serve` on a free loopback port (its own data and config folders),
sends each adversarial shape of issue 14 over HTTP, and reads the CPU time the server's whole
process tree (the extraction workers included) spent on that request from /proc. Writes the
figures to bench/adversarial.md.

    python bench/adversarial.py [--out bench/adversarial.md]

Linux only (/proc). Everything stays on 127.0.0.1; every loop is bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXT_ID = "abcdefghijklmnopabcdefghijklmnop"
ORIGIN = f"chrome-extension://{EXT_ID}"
TICK = os.sysconf("SC_CLK_TCK")
VOCAB = ("we may share your personal data with our partners and affiliates for any purpose including "
         "advertising analytics research security fraud prevention legal compliance").split()


def lookalike(seed: int, change: float, n: int = 250, words: int = 250) -> str:
    base, rng = random.Random(1), random.Random(seed)
    paras = []
    for _ in range(n):
        w = [base.choice(VOCAB) for _ in range(words)]
        paras.append(" ".join(rng.choice(VOCAB) if rng.random() < change else x for x in w) + ".")
    return "\n\n".join(paras)


def shapes() -> list[tuple[str, dict]]:
    """(name, request body). Each shape was quadratic or worse somewhere before issue 14."""
    return [
        ("text: 400 KB of 'word' lines", {"text": "word\n" * 80_000}),
        ("text: 1 MB of 'word' lines", {"text": "word\n" * 199_000}),
        ("text: 400 KB of 'Inc. '", {"text": "Inc. " * 80_000}),
        ("text: 400 KB of '1. ' list markers", {"text": "1. " * 130_000}),
        ("text: 400 KB of one clause repeated", {"text": "We may sell your data.\n\n" * 16_000}),
        ("text: 1 MB of sentences that all match", {"text": "We may sell your data to anyone. " * 30_000}),
        ("text: 1 MB, one word", {"text": "x" * 999_000}),
        ("html: 400 KB of <p>word</p>", {"html": "<html><body>" + "<p>word</p>" * 36_000 + "</body></html>"}),
        ("html: 400 KB of <br>-separated words", {"html": "<html><body><p>" + "word<br>" * 50_000 + "</p></body></html>"}),
        ("html: 10,000 nested <div>", {"html": "<div>" * 10_000 + "We may sell your data." + "</div>" * 10_000}),
        ("html: 5 MB of paragraphs", {"html": "<html><body>" + "<p>We may sell your data. Any dispute goes to "
                                      "arbitration.</p>" * 80_000 + "</body></html>"}),
        ("diff: 250 look-alike paragraphs, v1", {"text": lookalike(2, 0.0), "url": "https://lookalike.example/terms"}),
        ("diff: 250 look-alike paragraphs, v2 (30% reworded)", {"text": lookalike(3, 0.3),
                                                                  "url": "https://lookalike.example/terms"}),
        ("diff: 550 look-alike paragraphs (1 MB), v1", {"text": lookalike(4, 0.0, n=550),
                                                         "url": "https://big-lookalike.example/terms"}),
        ("diff: 550 look-alike paragraphs (1 MB), v2", {"text": lookalike(5, 0.3, n=550),
                                                         "url": "https://big-lookalike.example/terms"}),
        ("diff: 1 MB one word, v1", {"text": "x" * 999_000, "url": "https://swap.example/terms"}),
        ("diff: then 1 MB of 'word' lines, v2", {"text": "word\n" * 199_000, "url": "https://swap.example/terms"}),
    ]


class Server:
    def __init__(self, tmp: Path):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CLAUSEWATCH_")}
        env.update({"CLAUSEWATCH_DATA_DIR": str(tmp / "data"), "XDG_CONFIG_HOME": str(tmp / "config"),
                    "CLAUSEWATCH_EXTENSION_IDS": EXT_ID})
        exe = Path(sys.executable).with_name("clausewatch")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "clausewatch"]
        self.proc = subprocess.Popen(cmd + ["serve", "--port", str(self.port), "--no-watch"], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(600):  # 60 s at most
            try:
                if self.get("/api/health")[1].get("ready"):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        raise SystemExit("the server did not start")

    def cpu(self) -> float:
        """CPU seconds of the server and its children (the extraction workers), from /proc."""
        total, todo = 0.0, [self.proc.pid]
        children = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_bytes().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append((int(stat.parent.name), fields))
        seen = set()
        while todo:
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            try:
                fields = Path(f"/proc/{pid}/stat").read_bytes().rsplit(b")", 1)[1].split()
                # utime, stime, and the children that already ended (cutime, cstime): killed workers.
                total += sum(int(f) for f in fields[11:15]) / TICK
            except OSError:
                pass
            todo += [child for child, _ in children.get(pid, [])]
        return total

    def get(self, path: str, timeout: float = 120):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers={"Origin": ORIGIN})
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read())

    def post(self, body: dict, timeout: float = 300):
        data = json.dumps(body).encode()
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/api/analyze", data=data,
                                     headers={"Origin": ORIGIN, "Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}")

    def report(self, report_id: str):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}/report/{report_id}",
                                     headers={"Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"})
        with urllib.request.urlopen(req, timeout=120) as r:
            return r.status, r.read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)


def measure(server: Server) -> tuple[list[dict], dict]:
    rows = []
    for k, (name, body) in enumerate(shapes()):
        body = {"url": f"https://hostile.example/{k}", **body}  # each its own document, but the diff pairs
        size = len(json.dumps(body).encode())
        # As the extension does: the same request again while the answer says "reading" (the
        # model's per-request token budget). The bar is per request; the total is the click's.
        costs, t0 = [], time.monotonic()
        while True:
            cpu0 = server.cpu()
            status, answer = server.post(body)
            costs.append(server.cpu() - cpu0)
            if status != 200 or answer.get("status") != "reading" or len(costs) >= 64:
                break
        cpu, wall = max(costs), time.monotonic() - t0
        code = answer.get("error", {}).get("code", "") if status != 200 else ""
        extra = ""
        if status == 200 and answer.get("changes"):
            c = answer["changes"]
            extra = f"{len(c['changed'])} changed, {len(c['added'])} added, complete: {c.get('complete')}"
        rows.append({"name": name, "kb": size / 1024, "status": f"{status} {code}".strip(), "cpu": cpu,
                     "requests": len(costs), "total": sum(costs), "wall": wall, "note": extra})
        if name.startswith("diff") and status == 200 and answer.get("changes"):
            cpu0, t0 = server.cpu(), time.monotonic()
            rstatus, _ = server.report(answer["report_id"])
            cpu = server.cpu() - cpu0
            rows.append({"name": "reader view of that v2", "kb": 0, "status": str(rstatus), "cpu": cpu,
                         "requests": 1, "total": cpu, "wall": time.monotonic() - t0, "note": "the stored diff, read back"})
    # Ten hostile requests at once, and /api/health asked meanwhile.
    text = "word\n" * 80_000
    with ThreadPoolExecutor(10) as pool:
        futures = [pool.submit(server.post, {"text": text + str(i), "url": f"https://h.example/{i}"}) for i in range(10)]
        time.sleep(0.3)
        t0 = time.monotonic()
        server.get("/api/health")
        health = time.monotonic() - t0
        t1 = time.monotonic()
        statuses = [f.result()[0] for f in futures]
        all_done = time.monotonic() - t1 + (t1 - t0)
    return rows, {"health_s": health, "statuses": statuses, "ten_s": all_done}


def write(rows: list[dict], load: dict, out: Path, loadavg: str) -> None:
    worst = max(rows, key=lambda r: r["cpu"])
    lines = [
        "# Adversarial inputs: what one hostile request costs",
        "",
        "Written by `bench/adversarial.py` (issue 14); do not edit by hand. Each row is one input sent over",
        "HTTP to a real `clausewatch serve` on loopback, again while the answer says \"reading\" (the model",
        "reads at most CLAUSEWATCH_MODEL_TOKENS tokens per request), as the extension does. CPU is the",
        "server's whole process tree (the extraction workers included), read from /proc before and after",
        "each request: the costliest request, and all requests of the input together; wall time is the",
        "client's, for all of them.",
        f"Machine load average when measured: {loadavg} (2 cores, shared with other work).",
        "",
        "| input | KB sent | answer | requests | CPU s, costliest request | CPU ms / KB | CPU s, all requests | wall s | note |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        per_kb = f"{1000 * r['cpu'] / r['kb']:.2f}" if r["kb"] else ""
        lines.append(f"| {r['name']} | {r['kb']:.0f} | {r['status']} | {r['requests']} | {r['cpu']:.2f} | {per_kb} | "
                     f"{r['total']:.2f} | {r['wall']:.2f} | {r['note']} |")
    lines += [
        "",
        f"Worst: **{worst['cpu']:.2f} s of CPU** in one request ({worst['name']}); the bar is 2 s per request.",
        "",
        f"Ten requests of 400 KB of 'word' lines at once: `/api/health` answered in {load['health_s']:.2f} s "
        f"while they ran; the ten got {sorted(load['statuses'])} within {load['ten_s']:.1f} s.",
        "",
        "Before issue 14 (figures from the issue): 400 KB of short lines took 153 s, ten at once made",
        "`/api/health` wait 46 s, and the v2 of 250 look-alike paragraphs took 64-81 s (its reader view 69 s).",
        "",
    ]
    out.write_text("\n".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=REPO / "bench" / "adversarial.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = Server(Path(tmp))
        try:
            server.post({"url": "https://warm.example/", "text": "We may sell your data."})  # warm: the first request starts nothing new
            rows, load = measure(server)
        finally:
            server.stop()
    loadavg = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    write(rows, load, args.out, loadavg)
    print(args.out.read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
