"""clausewatch as a user installs it: the wheel built from this checkout, in a fresh venv outside
the checkout, run from an empty directory with no PYTHONPATH, so nothing can reach the checkout.

CLAUSEWATCH_TEST_PYTHON picks the interpreter of that venv (default: the one running the tests);
it is how the Python versions pyproject.toml declares are checked.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def build_wheel(out_dir: Path) -> Path:
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out_dir), str(REPO / "server")],
                   check=True)
    (wheel,) = out_dir.glob("clausewatch-*.whl")
    return wheel


@dataclass
class Installed:
    wheel: Path
    venv: Path
    home: Path  # the empty directory every command runs in; data and config live under it

    @property
    def bin(self) -> Path:
        return self.venv / "bin"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("CLAUSEWATCH_") and k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
        env.update(XDG_DATA_HOME=str(self.home / ".data"), XDG_CONFIG_HOME=str(self.home / ".config"),
                   PATH=f"{self.bin}{os.pathsep}{env.get('PATH', '')}")
        return env

    def run(self, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(self.bin / "clausewatch"), *args], cwd=self.home, env=self.env(),
                              input=input, capture_output=True, text=True, timeout=300)

    @contextlib.contextmanager
    def serve(self):
        """`clausewatch serve` of this install, ready, on a free port, accepting only its pinned id."""
        from live_server import LiveServer  # here: live_server imports conftest, which imports this module
        tmp = self.home.parent / f"serve-{time.monotonic_ns()}"
        tmp.mkdir()
        server = LiveServer(tmp, exe=self.bin / "clausewatch", cwd=self.home, base_env=self.env(),
                            CLAUSEWATCH_EXTENSION_IDS="")
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def installed_clausewatch(tmp_path_factory) -> Installed:
    """Built and installed once per session; the unit tests and the e2e test share it."""
    root = tmp_path_factory.mktemp("installed")
    wheel = build_wheel(root / "dist")
    python = os.environ.get("CLAUSEWATCH_TEST_PYTHON", sys.executable)
    home = root / "empty"
    home.mkdir()
    installed = Installed(wheel, root / "venv", home)
    # Without PYTHONPATH: pip would take the checkout's clausewatch.egg-info for an installed copy.
    env = installed.env()
    subprocess.run([python, "-m", "venv", str(installed.venv)], check=True, env=env)  # never --system-site-packages
    # This pip drives the install, so the venv's own (perhaps older) pip never resolves anything.
    subprocess.run([sys.executable, "-m", "pip", "--python", str(installed.bin / "python"), "install", "-q",
                    str(wheel)], check=True, env=env)
    return installed
