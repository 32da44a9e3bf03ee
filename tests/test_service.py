"""`clausewatch service`: the systemd unit and launchd agent it writes, checked by what reads them
(systemd-analyze, plistlib, the command line itself serving /api/health), and install/uninstall/status
under a temporary HOME. No test here can reach the real user's service manager or home."""

from __future__ import annotations

import configparser
import os
import plistlib
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from clausewatch.cli import service
from live_server import LiveServer, free_port
from test_server_process import request

CLAUSEWATCH = Path(sys.executable).with_name("clausewatch")
# Directory names systemd must read back exactly: a space, a specifier, a variable, both at once.
ODD_DIRS = ["plain", "with space", "100%h", "$HOME", "a $b %c"]


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A temporary HOME, and a user-manager address that leads nowhere, so systemctl --user
    cannot touch the real user's services."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path / "no-runtime"))
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    return home


def _exe_in(tmp_path: Path, dirname: str) -> Path:
    """The real clausewatch script, reached through a directory with an awkward name."""
    if not CLAUSEWATCH.exists():
        pytest.skip("no clausewatch script beside this Python (pip install -e server)")
    where = tmp_path / dirname
    where.mkdir(parents=True)
    (where / "clausewatch").symlink_to(CLAUSEWATCH)
    return where / "clausewatch"


def _unit_sections(text: str) -> configparser.ConfigParser:
    unit = configparser.ConfigParser(interpolation=None, strict=True)
    unit.optionxform = str  # systemd keys are case-sensitive
    unit.read_string(text)
    return unit


def _systemd_verify(tmp_path: Path, unit: Path) -> subprocess.CompletedProcess:
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    runtime = tmp_path / "runtime"  # verify needs one, even without a user manager
    runtime.mkdir(mode=0o700)
    return subprocess.run(["systemd-analyze", "--user", "verify", str(unit)], capture_output=True, text=True,
                          env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)}, timeout=120)


@pytest.mark.parametrize("word,quoted", [
    ("serve", '"serve"'),
    ("/a b/c", '"/a b/c"'),
    ("100%", '"100%%"'),
    ("$HOME", '"$$HOME"'),
    ('say "hi"', '"say \\"hi\\""'),
    ("back\\slash", '"back\\\\slash"'),
])
def test_systemd_quoting_follows_its_rules(word, quoted):
    assert service.systemd_quote(word) == quoted
    assert service.systemd_words(quoted) == [word]


def test_environment_values_keep_their_dollars():
    assert service.systemd_quote("A=$x %y", expand_dollar=False) == '"A=$x %%y"'


@pytest.mark.parametrize("path", ["relative/clausewatch", '/opt/"quoted"/clausewatch', "/opt/back\\slash/cw",
                                  "/opt/new\nline/cw"])
def test_a_path_systemd_cannot_run_is_refused(path):
    with pytest.raises(service.ServiceError):
        service.systemd_unit([path, "serve"], {})


@pytest.mark.parametrize("dirname", ODD_DIRS)
def test_the_unit_parses_and_runs_the_real_clausewatch(tmp_path, dirname):
    exe = _exe_in(tmp_path, dirname)
    argv = service.server_command(exe, 8787, tmp_path / dirname / "data")
    env = {"CLAUSEWATCH_USER_RULES_DIR": str(tmp_path / dirname / "rules"), "CLAUSEWATCH_WATCH": "0"}
    unit = _unit_sections(service.systemd_unit(argv, env))
    words = service.systemd_words(unit["Service"]["ExecStart"])
    assert words == argv
    assert os.access(words[0], os.X_OK) and Path(words[0]).resolve() == CLAUSEWATCH.resolve()
    assert service.systemd_words(unit["Service"]["Environment"]) == [f"{k}={v}" for k, v in env.items()]
    assert unit["Service"]["Restart"] == "on-failure"
    assert unit["Install"]["WantedBy"] == "default.target"  # the user's login, not the machine's boot


@pytest.mark.parametrize("dirname", ODD_DIRS)
def test_systemd_analyze_accepts_the_unit(tmp_path, dirname):
    exe = _exe_in(tmp_path, dirname)
    path = tmp_path / service.UNIT_NAME
    path.write_text(service.systemd_unit(service.server_command(exe, 8787, tmp_path / "d a t a"), {"X": "1 %"}))
    done = _systemd_verify(tmp_path, path)
    # verify also checks that the executable exists, so a path read back wrongly fails here.
    assert done.returncode == 0 and done.stderr == "" and done.stdout == "", done.stderr + done.stdout


def test_a_path_systemd_analyze_would_refuse_is_caught_by_it(tmp_path):
    """The check above can fail: the same unit naming a missing executable does not verify."""
    path = tmp_path / service.UNIT_NAME
    path.write_text(service.systemd_unit(service.server_command(tmp_path / "no such" / "clausewatch", 1, tmp_path), {}))
    done = _systemd_verify(tmp_path, path)
    assert done.returncode != 0 and "no such/clausewatch" in done.stderr


def test_the_plist_round_trips_through_plistlib(tmp_path):
    argv = service.server_command(Path("/Applications/My Tools/clausewatch"), 9000, tmp_path / "a & <b>", watch=False)
    env = {"CLAUSEWATCH_USER_RULES_DIR": "/Users/me/rules & more"}
    agent = plistlib.loads(service.launchd_plist(argv, env, tmp_path / "server.log"))
    assert agent["Label"] == service.AGENT_LABEL
    assert agent["ProgramArguments"] == ["/Applications/My Tools/clausewatch", "serve", "--port", "9000",
                                         "--data-dir", str(tmp_path / "a & <b>"), "--no-watch"]
    assert agent["EnvironmentVariables"] == env
    assert agent["RunAtLoad"] is True and agent["KeepAlive"] == {"SuccessfulExit": False}


@pytest.mark.parametrize("kind", service.KINDS)
def test_install_then_uninstall_leaves_nothing_behind(home, kind, tmp_path):
    before = sorted(p for p in home.rglob("*") if not p.is_dir())
    argv = service.server_command(_exe_in(tmp_path, "bin"), 8790, tmp_path / "data")
    assert service.status(kind, home).installed is False
    path = service.install(kind, home, argv, {}, start=False)
    assert path == service.service_path(kind, home) and path.is_relative_to(home)
    state = service.status(kind, home)
    assert state.installed and state.port == 8790
    assert service.installed_command(kind, path) == argv
    assert service.uninstall(kind, home, stop=False) is True
    assert service.uninstall(kind, home, stop=False) is False
    assert sorted(p for p in home.rglob("*") if not p.is_dir()) == before
    assert service.status(kind, home).installed is False


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(CLAUSEWATCH), "service", *args], capture_output=True, text=True, timeout=120)


def test_the_command_installs_serves_reports_and_uninstalls(home, tmp_path):
    if service.default_kind() != "systemd":
        pytest.skip("the command's own service manager here is not systemd")
    port = free_port()
    assert _cli("status").returncode == 4
    # Without a user manager to ask, install says what it wrote and fails: nothing was started.
    done = _cli("install", "--port", str(port), "--no-watch")
    assert done.returncode == 1 and "wrote" in done.stderr and "systemctl --user" in done.stderr
    unit_path = service.service_path("systemd", home)
    unit = _unit_sections(unit_path.read_text(encoding="utf-8"))
    done = _cli("status")
    assert done.returncode == 3 and f"port: {port}" in done.stdout and "running: no" in done.stdout
    # What systemd would run: the unit's command line with the unit's environment and little else.
    env = dict(w.split("=", 1) for w in service.systemd_words(unit["Service"].get("Environment", "")))
    env.update(HOME=str(home), PATH=os.defpath, LANG="C.UTF-8")
    server = LiveServer.running(tmp_path, service.systemd_words(unit["Service"]["ExecStart"]), env, port)
    try:
        assert server.request("/api/health", origin=None)[0] == 200
        data_dir = Path(os.environ["XDG_DATA_HOME"]) / "clausewatch"  # the shell's, pinned in the unit
        assert (data_dir / "history.sqlite3").is_file()
        done = _cli("status")
        assert done.returncode == 0 and "running: yes" in done.stdout
    finally:
        server.stop()
    assert _cli("uninstall", "--file-only").returncode == 0
    assert not unit_path.exists()
    assert _cli("status").returncode == 4


def _user_systemd() -> bool:
    if shutil.which("systemctl") is None:
        return False
    # The real environment, not the isolated one: this is the only test that uses the user manager.
    return subprocess.run(["systemctl", "--user", "show-environment"], capture_output=True, timeout=30).returncode == 0


@pytest.mark.skipif(not _user_systemd(), reason="no systemd user manager here (systemctl --user cannot connect)")
def test_systemd_runs_the_unit_and_it_answers(tmp_path):
    # A unit of its own name, linked from tmp: the user's own clausewatch.service is never touched.
    name = f"clausewatch-test-{uuid.uuid4().hex[:8]}.service"
    port = free_port()
    argv = service.server_command(_exe_in(tmp_path, "with space"), port, tmp_path / "data", watch=False)
    path = tmp_path / name
    path.write_text(service.systemd_unit(argv, {"CLAUSEWATCH_USER_RULES_DIR": str(tmp_path / "rules")}))
    subprocess.run(["systemctl", "--user", "link", str(path)], check=True, timeout=60)
    try:
        subprocess.run(["systemctl", "--user", "start", name], check=True, timeout=60)
        deadline = time.monotonic() + 60  # a hang guard: start-up on a busy machine
        status = None
        while status != 200 and time.monotonic() < deadline:
            try:
                status = request(port, "/api/health", origin=None)[0]
            except OSError:
                time.sleep(0.2)
        assert status == 200
        active = subprocess.run(["systemctl", "--user", "is-active", name], capture_output=True, text=True, timeout=60)
        assert active.stdout.strip() == "active"
    finally:
        subprocess.run(["systemctl", "--user", "stop", name], timeout=60)
        subprocess.run(["systemctl", "--user", "disable", name], timeout=60)
