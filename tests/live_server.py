"""`clausewatch serve` as a real process on loopback, for tests that need real HTTP and real sockets
(hostile load, slow clients, framing). Each test gets its own port, data and config directories."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from conftest import TEST_EXTENSION_ID

ORIGIN = f"chrome-extension://{TEST_EXTENSION_ID}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def stop_process(proc: subprocess.Popen, timeout: float = 15) -> None:
    """Ask it to end (a server or a browser flushes and cleans up), kill it if it will not."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class LiveServer:
    """exe, cwd and base_env run another install than the tests' own (tests/installed.py: the wheel)."""

    def __init__(self, tmp: Path, exe: Path | None = None, cwd: Path | None = None,
                 base_env: dict[str, str] | None = None, **env_overrides: str):
        self.data_dir = tmp / "data"
        env = {k: v for k, v in (os.environ if base_env is None else base_env).items() if not k.startswith("CLAUSEWATCH_")}
        env.update({"CLAUSEWATCH_DATA_DIR": str(self.data_dir), "XDG_CONFIG_HOME": str(tmp / "config"),
                    "CLAUSEWATCH_EXTENSION_IDS": TEST_EXTENSION_ID, **env_overrides})
        exe = exe or Path(sys.executable).with_name("clausewatch")
        cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "clausewatch"]
        port = free_port()
        self._start(tmp, cmd + ["serve", "--port", str(port), "--no-watch"], env, port, cwd)

    @classmethod
    def running(cls, tmp: Path, argv: list[str], env: dict[str, str], port: int) -> "LiveServer":
        """Any command line that serves on `port` (a service's), with exactly this environment."""
        server = cls.__new__(cls)
        server._start(tmp, argv, env, port)
        return server

    def _start(self, tmp: Path, argv: list[str], env: dict[str, str], port: int, cwd: Path | None = None) -> None:
        self.port = port
        self.log_path = tmp / "server.log"
        self._log = open(self.log_path, "w+", encoding="utf-8")
        self.proc = subprocess.Popen(argv, env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=cwd)
        deadline = time.monotonic() + 60  # a hang guard: start-up on a busy machine
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"clausewatch serve exited: {self.log()}")
            try:
                status, body = self.request("/api/health", origin=None, timeout=2)
                if status == 200 and body.get("ready", True):
                    return
            except OSError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError("the server did not become ready: " + self.log())

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def request(self, path: str, body=None, origin: str | None = ORIGIN, method: str | None = None,
                timeout: float = 60, headers: dict | None = None):
        """(status, parsed JSON) of one request; JSON errors too."""
        h = {"Content-Type": "application/json", **(headers or {})}
        if origin:
            h["Origin"] = origin
        data = body if isinstance(body, bytes) else json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", data=data, headers=h, method=method)
        try:
            with urllib.request.urlopen(req, timeout=timeout) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            raw = e.read()
            return e.code, json.loads(raw) if raw[:1] == b"{" else {"raw": raw.decode("latin-1")}

    def analyze(self, body: dict, timeout: float = 60):
        """(status, JSON) of POST /api/analyze, asked again while the answer says "reading", as
        the extension does (the model's per-request token budget, tests/test_reading.py)."""
        for _ in range(64):
            status, answer = self.request("/api/analyze", body, timeout=timeout)
            if status != 200 or answer.get("status") != "reading":
                break
        return status, answer

    def stop(self) -> None:
        stop_process(self.proc)
        self._log.close()
