"""`./dev try`: the clausewatch server and a Chromium with the extension loaded, in one command.

Starts `clausewatch serve` (port 8787, or a free one when 8787 is taken by something else),
opens Debian's Chromium with a throw-away profile and the unpacked extension, shows a sample
terms page, and stops the server when Chromium closes.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SAMPLE = REPO / "tests" / "fixtures" / "zoom_terms_v1.html"
CHROMIUMS = ("/usr/lib/chromium/chromium", "/usr/bin/chromium", "/usr/bin/chromium-browser")
DEFAULT_PORT = 8787


def say(message: str) -> None:
    print(f"clausewatch try: {message}", flush=True)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/api/health", timeout=1) as r:
            return r.status == 200 and json.load(r).get("status") == "ok"
    except (OSError, ValueError):
        return False


def start_server(port: int) -> subprocess.Popen:
    exe = Path(sys.executable).with_name("clausewatch")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "clausewatch"]
    proc = subprocess.Popen(cmd + ["serve", "--port", str(port)])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while not healthy(base):
        if proc.poll() is not None:
            sys.exit(f"clausewatch try: the server exited with status {proc.returncode}")
        if time.monotonic() > deadline:
            proc.terminate()
            sys.exit("clausewatch try: the server did not start within 60 seconds")
        time.sleep(0.2)
    return proc


def extension_copy(server: str, tmp: Path) -> Path:
    """The extension as is, or a copy whose default address is `server` (same key, same id)."""
    if server == f"http://127.0.0.1:{DEFAULT_PORT}":
        return HERE
    copy = tmp / "extension"
    shutil.copytree(HERE, copy, ignore=shutil.ignore_patterns("node_modules", "test", "tools", "try.py"))
    settings = copy / "src" / "shared" / "settings.js"
    settings.write_text(settings.read_text().replace(f"http://127.0.0.1:{DEFAULT_PORT}", server))
    return copy


def serve_sample() -> str:
    """The sample terms page on a loopback port of its own (the extension may read loopback pages)."""
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    handler = functools.partial(Quiet, directory=str(SAMPLE.parent))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}/{SAMPLE.name}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, help=f"server port (default {DEFAULT_PORT}, or a free one)")
    parser.add_argument("--chromium", help="the Chromium binary to run")
    parser.add_argument("--headless", action="store_true", help="no window: only check that it all starts")
    args = parser.parse_args()

    chromium = args.chromium or next((c for c in CHROMIUMS if Path(c).is_file()), None)
    if not chromium:
        sys.exit("clausewatch try: no Chromium found; install Debian's chromium (apt-get install chromium)")
    if not args.headless and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        sys.exit("clausewatch try: no display (DISPLAY is not set); run it in a desktop session, or pass --headless")

    port = args.port or DEFAULT_PORT
    server_proc = None
    base = f"http://127.0.0.1:{port}"
    if healthy(base):
        say(f"a clausewatch server is already running at {base}; using it")
    else:
        if not port_free(port):
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            say(f"port {args.port or DEFAULT_PORT} is taken by another program; using {port}")
        say(f"starting the server: clausewatch serve --port {port}")
        server_proc = start_server(port)
        say(f"server ready at {base}")

    with tempfile.TemporaryDirectory(prefix="clausewatch-try-") as tmp:
        ext = extension_copy(base, Path(tmp))
        sample = serve_sample()
        cmd = [chromium, f"--user-data-dir={Path(tmp) / 'profile'}", "--no-first-run", "--no-default-browser-check",
               f"--disable-extensions-except={ext}", f"--load-extension={ext}", sample]
        if args.headless:
            cmd[1:1] = ["--headless", "--disable-gpu", "--dump-dom"]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            cmd.insert(1, "--no-sandbox")  # Chromium refuses to start as root with its sandbox
            say("running as root: Chromium needs --no-sandbox, so it gets it")
        say(f"opening Chromium ({chromium}) with the extension from {ext}, a temporary profile,")
        say(f"and a sample terms page: {sample}")
        say("click the clausewatch icon in the toolbar (pin it from the puzzle-piece menu) to highlight the page")
        try:
            browser = subprocess.run(cmd, stdout=subprocess.DEVNULL if args.headless else None)
            say(f"Chromium closed (status {browser.returncode})")
        except KeyboardInterrupt:
            say("interrupted")
        finally:
            if server_proc is not None:
                say("stopping the server")
                server_proc.terminate()
                try:
                    server_proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server_proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
