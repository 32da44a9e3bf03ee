"""Every bad input to the real `clausewatch` process: one line on stderr, a non-zero exit, no traceback.

Run as a subprocess so that what is checked is what a person sees: click's own handling, the exit
status and the streams, not a CliRunner's imitation of them.
"""

from __future__ import annotations

import base64
import json
import os
import random
import socket
import subprocess
import sys

import pytest

from conftest import FIXTURES, REPO


def closed_port() -> int:
    """A loopback port nobody listens on: connections to it are refused at once."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def busy_port():
    """A port another program holds, as a second server would."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


@pytest.fixture
def files(tmp_path):
    rng = random.Random(12)
    blob = bytes(rng.randrange(256) for _ in range(4096))
    paths = {
        "binary": blob,
        "png": b"\x89PNG\r\n\x1a\n" + blob,
        "garbage": base64.b64encode(blob) * 3,          # text, but no language and no policy
        "mash": b"asdf qwer zxcv uiop hjkl " * 200,       # keyboard mashing
        "empty": b"",
        "spaces": b" \n\t\n",
    }
    for name, data in paths.items():
        (tmp_path / name).write_bytes(data)
    return tmp_path


def run(args, env_extra=None, stdin=b""):
    env = {**os.environ, "PYTHONPATH": str(REPO / "server"), "CLAUSEWATCH_WATCH": "0", **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "clausewatch", *args], input=stdin, capture_output=True,
                          env=env, timeout=120)


# (id, argv with {tmp}/{closed}/{busy} filled in, exit status, words the one stderr line must hold)
ERRORS = [
    ("missing-file", ["analyze", "{tmp}/nope.html"], 1, "no such file"),
    ("directory", ["analyze", "{tmp}"], 1, "is a directory"),
    ("unreachable-url", ["analyze", "http://127.0.0.1:{closed}/terms"], 1, "cannot fetch"),
    ("ftp-url", ["analyze", "ftp://127.0.0.1/terms"], 1, "only http:// and https://"),
    ("file-url", ["analyze", "file:///etc/passwd"], 1, "only http:// and https://"),
    ("binary-file", ["analyze", "{tmp}/binary"], 1, "is not text"),
    ("png-file", ["analyze", "{tmp}/png"], 1, "is not text"),
    ("empty-file", ["analyze", "{tmp}/empty"], 1, "is empty"),
    ("blank-file", ["analyze", "{tmp}/spaces"], 1, "is empty"),
    ("base64-garbage", ["analyze", "{tmp}/garbage"], 3, "doesn't look like terms or a privacy policy"),
    ("keyboard-mash", ["analyze", "{tmp}/mash", "--text"], 3, "doesn't look like terms or a privacy policy"),
    ("home-page", ["analyze", str(FIXTURES / "not_policies" / "home.html")], 3, "doesn't look like terms"),
    ("bad-severity", ["analyze", "x", "--min-severity", "huge"], 2, "'huge' is not one of"),
    ("limit-zero", ["analyze", "x", "--limit", "0"], 2, "--limit"),
    ("port-too-big", ["serve", "--port", "99999"], 2, "99999 is not in the range"),
    ("port-zero", ["serve", "--port", "0"], 2, "0 is not in the range"),
    ("port-busy", ["serve", "--port", "{busy}"], 1, "cannot listen on 127.0.0.1:{busy}"),
    ("env-port-out-of-range", ["serve"], 1, "port 70000 is out of range"),
    ("unknown-command", ["analyse", "x"], 2, "No such command 'analyse'"),
    ("unknown-vendor", ["watch", "nosuchvendor"], 1, "unknown vendor: nosuchvendor"),
]
ENV = {"env-port-out-of-range": {"CLAUSEWATCH_PORT": "70000"}}


@pytest.mark.parametrize("case,argv,status,says", ERRORS, ids=[e[0] for e in ERRORS])
def test_bad_input_gets_one_line_and_a_status(case, argv, status, says, files, busy_port, tmp_path):
    fill = lambda s: s.format(tmp=files, closed=closed_port(), busy=busy_port)
    env = {"CLAUSEWATCH_DATA_DIR": str(tmp_path / "data"), **ENV.get(case, {})}
    out = run([fill(a) for a in argv], env)
    err = out.stderr.decode()
    assert out.returncode == status, err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip() and not line.startswith(("Usage:", "Try "))]
    assert len(lines) == 1, err
    assert fill(says) in lines[0]
    assert "grade" not in out.stdout.decode()  # above all, never "grade A" for junk


def test_the_served_port_is_still_free_after_a_refused_start(tmp_path):
    # --port 99999 must be refused, not mapped to 99999 % 65536 = 34463 or any other port.
    port = 99999 % 65536
    assert run(["serve", "--port", "99999"], {"CLAUSEWATCH_DATA_DIR": str(tmp_path)}).returncode == 2
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # would raise if a server had been left listening there


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_help_at_the_top_and_on_commands(flag):
    top = run([flag])
    assert top.returncode == 0 and b"analyze" in top.stdout and b"Exit status" in top.stdout
    sub = run(["analyze", flag])
    assert sub.returncode == 0 and b"--min-severity" in sub.stdout and b"--limit" in sub.stdout


def test_version():
    out = run(["--version"])
    assert out.returncode == 0 and out.stdout.decode().startswith("clausewatch ")


@pytest.mark.parametrize("argv", [["history", "--json"], ["history", "zoom", "--json"]])
def test_json_is_json_even_when_there_is_nothing(argv, tmp_path):
    out = run(argv, {"CLAUSEWATCH_DATA_DIR": str(tmp_path)})
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == []


def test_a_page_that_is_not_graded_is_still_json_with_json(files):
    out = run(["analyze", f"{files}/garbage", "--json"])
    assert out.returncode == 3
    data = json.loads(out.stdout)
    assert data["grade"] is None and data["findings"] == [] and data["status"] != "analysed"
