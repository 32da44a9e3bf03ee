"""Performance of clausewatch with its clause encoder (bars of issue 11): `./dev bench` or

    python bench/run.py [--quick] [--json PATH] [--plot PATH] [--only NAME,...]

Measures on ../shared/data (pages, terms_corpus) when present, else on tests/fixtures:
- ratio: per page, the full in-process POST /api/analyze (Flask test client) over trafilatura's
  extraction of the same page (the floor, same options as ours); the median of the ratios;
- http: POST /api/analyze over real HTTP to a `clausewatch serve` subprocess, 1,000 analyses of
  first-seen pages (p50, p95), the server's RSS (with its extraction workers) every 100;
- repeat: the same page again, unchanged (the content-hash cache and the store's UPDATE path);
- stages: where one analysis spends its time (extract, segment, detect: encoder + rules);
- cold: `clausewatch serve` started until /api/health says ready (rules and encoder loaded);
- length: analysis time of 10 KB .. 5 MB of text (and the PNG plot).
Every timing is taken after a warm-up; repeated figures are medians, with p95 where it matters.
The machine is shared and has 2 cores: the load average is written with the results.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server"))
SHARED = REPO.parent / "shared" / "data"
RESULTS = REPO / "bench" / "results"
PLOT = REPO / "bench" / "scaling.png"
SPEED = REPO / "bench" / "speed.md"
EXT_ID = "abcdefghijklmnopabcdefghijklmnop"  # a test extension id, allowed through the env
ORIGIN = f"chrome-extension://{EXT_ID}"
BARS = {"http_p50_ms": ("<=", 300), "http_p95_ms": ("<=", 1200), "repeat_p50_ms": ("<=", 10),
        "rss_mb_end": ("<=", 400), "cold_start_s": ("<=", 3.0)}
NOW = time.perf_counter
READING_ROUNDS = 64  # clausewatch.analyze.READING_ROUNDS, without importing the server here


# ---------------------------------------------------------------- helpers

def pct(values, q):
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def summary(values) -> dict:
    return {"n": len(values), "p50": statistics.median(values), "p95": pct(values, 95),
            "min": min(values), "max": max(values)}


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    mem = next((int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal")), None)
    return {"nproc": os.cpu_count(), "cpu": cpu, "memory_mb": mem, "platform": platform.platform(),
            "loadavg_start": os.getloadavg()}


def versions() -> dict:
    from importlib.metadata import version
    out = {"python": platform.python_version()}
    for name in ("clausewatch", "trafilatura", "regex", "flask", "lxml", "waitress", "onnxruntime", "tokenizers"):
        try:
            out[name] = version(name)
        except Exception:  # noqa: BLE001
            out[name] = None
    try:
        out["commit"] = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"],
                                       capture_output=True, text=True).stdout.strip()
    except OSError:
        out["commit"] = None
    return out


def load_pages(limit: int | None) -> list[tuple[str, str]]:
    """(name, html) of the real pages, else of the fixtures."""
    index = SHARED / "pages" / "index.jsonl"
    if index.is_file():
        rows = [json.loads(line) for line in index.read_text().splitlines() if line.strip()]
        pages = [(r["path"], (SHARED / r["path"]).read_text(encoding="utf-8", errors="replace")) for r in rows]
    else:
        pages = [(p.name, p.read_text(encoding="utf-8")) for p in sorted((REPO / "tests" / "fixtures").glob("*.html"))]
    return pages[:limit] if limit else pages


def load_texts(limit: int | None) -> list[str]:
    """Policy texts: terms_corpus, else the fixtures' extracted text."""
    index = SHARED / "terms_corpus" / "index.jsonl"
    if index.is_file():
        rows = [json.loads(line) for line in index.read_text().splitlines() if line.strip()]
        texts = [(SHARED / r["path"]).read_text(encoding="utf-8", errors="replace") for r in rows]
    else:
        from clausewatch.core.extract import extract_html
        texts = [extract_html(html).text for _, html in load_pages(None)]
    return texts[:limit] if limit else texts


def rss_kb(pid: int) -> int:
    """VmRSS of a process and of all its descendants (the extraction workers)."""
    total = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += rss_kb(int(child))
    except (OSError, ValueError):
        pass
    return total


def own_rss_kb(pid: int) -> int:
    try:
        return next(int(line.split()[1]) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
                    if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return 0


# ---------------------------------------------------------------- in process

def make_app(data_dir: Path):
    from clausewatch.web.app import create_app
    from clausewatch.settings import Settings
    settings = Settings.from_env(data_dir=data_dir, watch=False)
    settings.extension_ids = [*settings.extension_ids, EXT_ID]
    settings.user_rules_dir = data_dir / "no-user-rules"
    return create_app(settings)


def bench_ratio(pages, repeats: int) -> dict:
    """Full /api/analyze in process over trafilatura alone, per page."""
    import trafilatura
    from clausewatch.core import extract
    options = getattr(extract, "OPTIONS", None)
    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
        app = make_app(Path(tmp))
        client = app.test_client()
        analyzer = app.extensions["clausewatch"].analyzer
        analyzer.detector.warm()
        rows, serial = [], 0

        def post(name, html):
            nonlocal serial
            serial += 1  # a new URL each time: a first visit, stored as a new document
            body = {"url": f"https://bench.invalid/{serial}/{name}", "html": html, "title": ""}
            for _ in range(READING_ROUNDS):  # as the extension does, while the answer says "reading"
                response = client.post("/api/analyze", headers={"Origin": ORIGIN}, json=body)
                if response.status_code != 200 or response.get_json()["status"] != "reading":
                    return response
            return response

        post(*pages[0])  # warm-up: workers started, caches of regex and trafilatura filled
        trafilatura.extract(pages[0][1], options=options)
        for name, html in pages:
            floor, full, status = [], [], None
            for _ in range(repeats):
                t = NOW()
                trafilatura.extract(html, url=f"https://bench.invalid/{name}", options=options)
                floor.append(NOW() - t)
                analyzer.cache.clear()
                analyzer.detector.encoder and analyzer.detector.encoder._cache.clear()  # a first visit
                t = NOW()
                status = post(name, html).status_code
                full.append(NOW() - t)
            f, a = statistics.median(floor), statistics.median(full)
            rows.append({"page": name, "bytes": len(html.encode()), "floor_ms": f * 1e3, "full_ms": a * 1e3,
                         "ratio": a / f if f > 0 else None, "status": status})
    ok = [r for r in rows if r["status"] == 200 and r["ratio"]]
    ratios = [r["ratio"] for r in ok]
    return {"pages": len(rows), "analysed": len(ok), "repeats": repeats,
            "ratio_median": statistics.median(ratios) if ratios else None,
            "ratio_p95": pct(ratios, 95) if ratios else None,
            "floor_ms": summary([r["floor_ms"] for r in ok]) if ok else None,
            "full_ms": summary([r["full_ms"] for r in ok]) if ok else None,
            "statuses": {str(s): sum(r["status"] == s for r in rows) for s in {r["status"] for r in rows}},
            "rows": rows}


def bench_stages(pages) -> dict:
    """Where the time of one analysis goes, stage by stage (in process, no worker)."""
    from clausewatch.core.extract import ExtractionError, extract_html
    from clausewatch.services import build_analyzer
    from clausewatch.settings import Settings
    analyzer = build_analyzer(Settings.from_env())
    analyzer.detector.warm()
    totals = {"extract_html": 0.0, "segment": 0.0, "detect": 0.0}
    for _, html in pages:
        try:
            stages = _timed_stages(analyzer, extract_html, html, "extract_html")
        except ExtractionError:
            continue
        for key, d in stages.items():
            totals[key] += d
    whole = sum(totals.values()) or 1
    return {k: {"s": v, "share": v / whole} for k, v in totals.items()}


def bench_length(texts, sizes, repeats: int) -> dict:
    """Analysis time of plain text of growing length (no cache, no caps), for linearity."""
    from clausewatch.services import build_analyzer
    from clausewatch.settings import Settings
    analyzer = build_analyzer(Settings.from_env())
    analyzer.detector.warm()
    analyzer.max_seconds = None
    pool = "\n\n".join(texts)
    while len(pool.encode()) < max(sizes):
        pool += "\n\n" + pool
    analyzer.analyze(text=pool[:20_000])
    rows = []
    for size in sizes:
        text = pool.encode()[:size].decode("utf-8", "ignore")
        times = []
        for _ in range(repeats if size <= 1_000_000 else 1):
            analyzer.cache.clear()
            if analyzer.detector.encoder is not None:
                analyzer.detector.encoder._cache.clear()
            t = NOW()
            analyzer.analyze(text=text)
            times.append(NOW() - t)
        rows.append({"bytes": size, "seconds": statistics.median(times), "ms_per_mb": statistics.median(times) / size * 1e9,
                     "stages_s": _stages_of_text(analyzer, text)})
    per_mb = [r["ms_per_mb"] for r in rows if r["bytes"] >= 100_000]
    return {"rows": rows, "ms_per_mb_spread": max(per_mb) / min(per_mb) if per_mb else None}


def _stages_of_text(analyzer, text: str) -> dict:
    """One analysis of `text`, stage by stage: which of them bends the line."""
    from clausewatch.core.extract import extract_text
    return _timed_stages(analyzer, extract_text, text, "extract_text")


def _timed_stages(analyzer, extract, content: str, first: str) -> dict:
    """Seconds spent in each stage of one analysis, the extraction named `first`."""
    from clausewatch.core.segment import segment
    t0 = NOW()
    ex = extract(content)
    t1 = NOW()
    clauses = segment(ex.text, ex.blocks)
    t2 = NOW()
    if analyzer.detector.encoder is not None:
        analyzer.detector.encoder._cache.clear()  # a first visit: every clause scored
    analyzer.detector.scan(ex.text, clauses)
    t3 = NOW()
    return {first: t1 - t0, "segment": t2 - t1, "detect": t3 - t2}


# ---------------------------------------------------------------- over HTTP

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(data_dir: Path):
    port = free_port()
    env = dict(os.environ, CLAUSEWATCH_EXTENSION_IDS=EXT_ID, CLAUSEWATCH_WATCH="0",
               CLAUSEWATCH_USER_RULES_DIR=str(data_dir / "no-user-rules"))
    exe = Path(sys.executable).with_name("clausewatch")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "clausewatch"]
    t = NOW()
    proc = subprocess.Popen([*cmd, "serve", "--port", str(port), "--data-dir", str(data_dir), "--no-watch"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"clausewatch serve exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/api/health")
            response = conn.getresponse()
            # Ready means the rules compiled and the encoder loaded: what the first page waits for.
            if response.status == 200 and json.loads(response.read()).get("ready"):
                conn.close()
                return proc, port, NOW() - t
        except OSError:
            pass
        if NOW() - t > 60:
            proc.kill()
            raise RuntimeError("clausewatch serve did not answer /api/health within 60 s")
        time.sleep(0.005)


def stop_server(proc) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def bench_cold(repeats: int) -> dict:
    times = []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
            proc, _, seconds = start_server(Path(tmp))
            stop_server(proc)
            times.append(seconds)
    return {"runs": times, "cold_start_s": statistics.median(times)}


def _post(conn, port, body: bytes):
    """The status of one analysis, asked again while the answer says "reading", as the extension does."""
    for _ in range(READING_ROUNDS):
        conn.request("POST", "/api/analyze", body=body, headers={
            "Content-Type": "application/json", "Origin": ORIGIN, "Host": f"127.0.0.1:{port}"})
        response = conn.getresponse()
        answer = response.read()
        if response.status != 200 or json.loads(answer).get("status") != "reading":
            break
    return response.status


def bench_http(pages, analyses: int, repeats: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
        proc, port, _ = start_server(Path(tmp))
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            bodies = [(name, html) for name, html in pages]
            _post(conn, port, json.dumps({"url": "https://bench.invalid/warm", "html": bodies[0][1]}).encode())
            latencies, statuses, rss = [], {}, [{"after": 0, "rss_mb": rss_kb(proc.pid) / 1024,
                                                 "server_mb": own_rss_kb(proc.pid) / 1024}]
            for i in range(analyses):
                name, html = bodies[i % len(bodies)]
                body = json.dumps({"url": f"https://bench.invalid/{i}/{name}", "html": html}).encode()
                t = NOW()
                status = _post(conn, port, body)
                latencies.append(NOW() - t)
                statuses[str(status)] = statuses.get(str(status), 0) + 1
                if (i + 1) % 100 == 0 or i + 1 == analyses:
                    rss.append({"after": i + 1, "rss_mb": rss_kb(proc.pid) / 1024,
                                "server_mb": own_rss_kb(proc.pid) / 1024})
            # The same page again, unchanged: same URL and content as a page already analysed.
            repeat = []
            for name, html in bodies[:min(len(bodies), 10)]:
                body = json.dumps({"url": f"https://bench.invalid/again/{name}", "html": html}).encode()
                _post(conn, port, body)
                for _ in range(repeats):
                    t = NOW()
                    _post(conn, port, body)
                    repeat.append(NOW() - t)
            conn.close()
        finally:
            stop_server(proc)
    ms = [x * 1e3 for x in latencies]
    # The first pass over the pages is the true first visit: no clause of them was scored yet.
    # Later passes send the same pages under new URLs, so the clause cache answers most clauses.
    first = ms[:len(bodies)]
    half = [r["rss_mb"] for r in rss if r["after"] >= analyses // 2]
    return {"analyses": analyses, "statuses": statuses, "latency_ms": summary(ms),
            "first_pass_ms": summary(first),
            "http_p50_ms": statistics.median(first), "http_p95_ms": pct(first, 95),
            "all_p50_ms": statistics.median(ms), "all_p95_ms": pct(ms, 95),
            "repeat_ms": summary([x * 1e3 for x in repeat]), "repeat_p50_ms": statistics.median(repeat) * 1e3,
            "rss": rss, "rss_mb_end": rss[-1]["rss_mb"],
            "rss_growth_mb_second_half": (half[-1] - half[0]) if len(half) > 1 else None}


def bench_repeat_in_process(pages, repeats: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="cw-bench-") as tmp:
        client = make_app(Path(tmp)).test_client()
        times = []
        for name, html in pages[:10]:
            body = {"url": f"https://bench.invalid/{name}", "html": html}
            client.post("/api/analyze", headers={"Origin": ORIGIN}, json=body)
            for _ in range(repeats):
                t = NOW()
                client.post("/api/analyze", headers={"Origin": ORIGIN}, json=body)
                times.append(NOW() - t)
    return {"repeat_ms": summary([x * 1e3 for x in times])}


# ---------------------------------------------------------------- report

def plot(length: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    xs = [r["bytes"] / 1e6 for r in length["rows"]]
    ys = [r["seconds"] for r in length["rows"]]
    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=110)
    ax.plot(xs, ys, "o-", label="whole analysis (extract_text, segment, detect, score)")
    for stage in ("segment", "detect"):
        stage_ys = [r.get("stages_s", {}).get(stage) for r in length["rows"]]
        if all(y is not None for y in stage_ys):
            ax.plot(xs, stage_ys, ".:", label=f"{stage} alone")
    if len(xs) > 1:
        k = ys[-1] / xs[-1]
        ax.plot([0, xs[-1]], [0, k * xs[-1]], "--", color="grey", label="linear through the largest")
    ax.set_xlabel("policy text (MB)")
    ax.set_ylabel("seconds")
    ax.set_title("clausewatch: analysis time against text length")
    ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def verdict(name: str, value) -> str:
    if value is None or name not in BARS:
        return ""
    op, bar = BARS[name]
    ok = value <= bar if op == "<=" else value >= bar
    return f"{op} {bar:g}  {'ok' if ok else 'MISSED'}"


def table(results: dict) -> str:
    lines = [f"{'figure':<44}{'value':>12}  bar"]

    def row(label, name, value, fmt="{:.2f}"):
        lines.append(f"{label:<44}{(fmt.format(value) if value is not None else '-'):>12}  {verdict(name, value)}")

    r = results
    if "ratio" in r:
        row("in-process analyze / trafilatura (median)", "ratio_median", r["ratio"]["ratio_median"])
        row("  ratio p95", "", r["ratio"]["ratio_p95"])
        row("  trafilatura alone, p50 ms", "", r["ratio"]["floor_ms"]["p50"], "{:.0f}")
        row("  full in-process analyze, p50 ms", "", r["ratio"]["full_ms"]["p50"], "{:.0f}")
    if "http" in r:
        row(f"HTTP first visit p50 ms ({r['http']['first_pass_ms']['n']} pages)", "http_p50_ms",
            r["http"]["http_p50_ms"], "{:.0f}")
        row("HTTP first visit p95 ms", "http_p95_ms", r["http"]["http_p95_ms"], "{:.0f}")
        row(f"  all {r['http']['analyses']} analyses p50 / p95 ms (new URLs, clauses cached)", "",
            r["http"]["all_p50_ms"], "{:.0f}")
        lines[-1] += f" / {r['http']['all_p95_ms']:.0f}"
        row("HTTP repeat of an unchanged page p50 ms", "repeat_p50_ms", r["http"]["repeat_p50_ms"], "{:.1f}")
        row("  repeat p95 ms", "", r["http"]["repeat_ms"]["p95"], "{:.1f}")
        row(f"RSS after {r['http']['analyses']} analyses MB (with workers)", "rss_mb_end", r["http"]["rss_mb_end"], "{:.0f}")
        row("  RSS growth over the second half MB", "", r["http"]["rss_growth_mb_second_half"], "{:+.1f}")
    if "repeat" in r:
        row("in-process repeat of an unchanged page p50 ms", "", r["repeat"]["repeat_ms"]["p50"], "{:.1f}")
    if "cold" in r:
        row("cold start until /api/health s", "cold_start_s", r["cold"]["cold_start_s"])
    if "length" in r:
        for x in r["length"]["rows"]:
            row(f"  text {x['bytes'] / 1e3:,.0f} KB: s (ms per MB)", "", x["seconds"], "{:.3f}")
            per_mb = "  ".join(f"{k} {v / x['bytes'] * 1e9:.0f}" for k, v in x.get("stages_s", {}).items())
            lines[-1] += f"  ({x['ms_per_mb']:.0f}; {per_mb})"
        row("length: spread of ms per MB, >= 100 KB", "", r["length"]["ms_per_mb_spread"])
    if "stages" in r:
        for k, v in ((k, v) for k, v in r["stages"].items() if isinstance(v, dict)):
            row(f"  stage share: {k}", "", v["share"] * 100, "{:.0f}%")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer pages, texts and repeats (a smoke run)")
    parser.add_argument("--json", type=Path, help="where to write the results (default bench/results/<time>.json)")
    parser.add_argument("--plot", type=Path, help=f"where to draw the length plot (default {PLOT.relative_to(REPO)}; "
                                                  "--quick draws only into bench/results)")
    parser.add_argument("--only", help="comma-separated: ratio,stages,http,repeat,cold,length")
    args = parser.parse_args(argv)
    q = args.quick
    wanted = set((args.only or "ratio,stages,http,repeat,cold,length").split(","))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    results: dict = {"when": stamp, "quick": q, "machine": machine(), "versions": versions(),
                     "data": "shared" if (SHARED / "pages" / "index.jsonl").is_file() else "fixtures"}
    pages = load_pages(30 if q else None)
    texts = load_texts(60 if q else None)
    steps = [
        ("ratio", lambda: bench_ratio(pages, 1 if q else 3)),
        ("stages", lambda: bench_stages(pages)),
        ("http", lambda: bench_http(pages, 150 if q else 1000, 5 if q else 20)),
        ("repeat", lambda: bench_repeat_in_process(pages, 5 if q else 20)),
        ("cold", lambda: bench_cold(2 if q else 5)),
        ("length", lambda: bench_length(texts, [10_000, 100_000, 500_000, 1_000_000] if q else
                                        [10_000, 50_000, 100_000, 500_000, 1_000_000, 2_000_000, 5_000_000],
                                        1 if q else 3)),
    ]
    for name, step in steps:
        if name not in wanted:
            continue
        t = NOW()
        print(f"bench: {name} ...", file=sys.stderr, flush=True)
        results[name] = step()
        results[name]["bench_seconds"] = NOW() - t
    results["machine"]["loadavg_end"] = os.getloadavg()
    out = args.json or RESULTS / f"{stamp}{'-quick' if q else ''}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    if "length" in results:
        target = args.plot or (RESULTS / f"{out.stem}-scaling.png" if q else PLOT)
        try:
            plot(results["length"], target)
            print(f"bench: plot in {target}", file=sys.stderr)
        except ImportError:
            print("bench: matplotlib is missing (pip install -r bench/requirements.txt); no plot", file=sys.stderr)
    m, v = results["machine"], results["versions"]
    print(f"clausewatch bench {stamp} on {m['nproc']} x {m['cpu']}, {m['memory_mb']} MB, load "
          f"{m['loadavg_start'][0]:.1f} -> {m['loadavg_end'][0]:.1f}; python {v['python']}, trafilatura "
          f"{v['trafilatura']}, regex {v['regex']}, flask {v['flask']}; data: {results['data']}, "
          f"{len(pages)} pages, {len(texts)} texts; commit {v['commit']}")
    print(table(results))
    print(f"bench: results in {out}", file=sys.stderr)
    if not q and args.json is None:
        # The full run is the one the docs quote: its table, as printed, with how it was made.
        SPEED.write_text(f"# Speed\n\nWritten by `./dev bench` (`bench/run.py`), {stamp}: {m['nproc']} x {m['cpu']}, "
                         f"load {m['loadavg_start'][0]:.1f} -> {m['loadavg_end'][0]:.1f}, commit {v['commit']}, "
                         f"{len(pages)} pages.\n\n```\n{table(results)}\n```\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
