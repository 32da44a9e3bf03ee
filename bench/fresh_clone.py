"""Fresh clones of this repository running the README's test command, side by side.

Issue 13 asks that `./dev test` on a fresh clone passes twice in a row on a loaded machine, run
beside a second copy of itself. This clones HEAD twice into a temporary folder (each beside a link
to ../shared, as CI lays it out), runs `CI=true bash .ci/run` in both at once, then the fast subset
(`./dev test -m "not browser and not slow"`) in the first clone alone, and writes what each took and
what pytest said to bench/fresh_clone.md.

    python3 bench/fresh_clone.py            # about 25 minutes on two cores
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
SUMMARY = re.compile(r"^=+ (.*(?:passed|failed|error).*) in [\d.]+s.*=+$", re.M)
FAILED = re.compile(r"^(?:FAILED|ERROR) \S+", re.M)  # the clones' logs go with their temporary folder


def clone(into: Path) -> Path:
    into.mkdir(parents=True)
    subprocess.run(["git", "clone", "-q", str(REPO), str(into / "main")], check=True)
    if SHARED.exists():
        (into / "shared").symlink_to(SHARED)
    return into / "main"


def start(checkout: Path, argv: list[str], log: Path) -> tuple[subprocess.Popen, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAUSEWATCH_", "PYTHONPATH", "VIRTUAL_ENV"))}
    env["CI"] = "true"
    out = open(log, "w", encoding="utf-8")
    return subprocess.Popen(argv, cwd=checkout, env=env, stdout=out, stderr=subprocess.STDOUT), time.monotonic()


def finish(proc: subprocess.Popen, started: float, log: Path) -> dict:
    rc = proc.wait()
    text = log.read_text(encoding="utf-8", errors="replace")
    said = SUMMARY.findall(text)
    return {"rc": rc, "minutes": (time.monotonic() - started) / 60, "pytest": said[-1] if said else "(no summary)",
            "failed": FAILED.findall(text)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=REPO / "bench" / "fresh_clone.md")
    args = ap.parse_args()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True).stdout.strip()
    load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
    with tempfile.TemporaryDirectory(prefix="cw-fresh-") as tmp:
        checkouts = [clone(Path(tmp) / f"copy{n}") for n in (1, 2)]
        runs = [start(c, ["bash", ".ci/run"], c.parent / "ci.log") for c in checkouts]
        side_by_side = [finish(p, t, c.parent / "ci.log") for (p, t), c in zip(runs, checkouts)]
        fast_log = checkouts[0].parent / "fast.log"
        fast = finish(*start(checkouts[0], ["./dev", "test", "-m", "not browser and not slow"], fast_log), fast_log)
    lines = [
        "# Fresh clones running the test command",
        "",
        f"Written by `python3 bench/fresh_clone.py` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, commit {commit};"
        " do not edit by hand.",
        f"Two clones of that commit ran `CI=true bash .ci/run` (`./dev test`: a new `.venv`, then every test)"
        f" at the same time, on {os.cpu_count()} cores (load average {load} at the start). Then the first clone"
        " ran the fast subset alone, its venv already set up.",
        "",
        "| run | exit status | minutes, set-up included | pytest said |",
        "|---|---:|---:|---|",
    ]
    for n, r in enumerate(side_by_side, 1):
        lines.append(f"| clone {n}: `.ci/run`, beside the other | {r['rc']} | {r['minutes']:.1f} | {r['pytest']} |")
    lines.append(f"| clone 1: `./dev test -m \"not browser and not slow\"`, alone | {fast['rc']} | {fast['minutes']:.1f} |"
                 f" {fast['pytest']} |")
    failures = [(name, f) for name, r in (("clone 1", side_by_side[0]), ("clone 2", side_by_side[1]),
                                          ("the fast subset", fast)) for f in r["failed"]]
    if failures:
        lines += ["", "What failed:", ""] + [f"- {name}: `{f}`" for name, f in failures]
    lines.append("")
    args.out.write_text("\n".join(lines), encoding="utf-8")
    print(args.out.read_text(encoding="utf-8"))
    sys.exit(max(r["rc"] for r in (*side_by_side, fast)))


if __name__ == "__main__":
    main()
