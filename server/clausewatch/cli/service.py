"""Start at login: a systemd user unit (Linux) or a launchd agent (macOS) that runs `clausewatch serve`.

The unit files are rendered by pure functions; `install`, `uninstall` and `status` write them under
a home directory the caller names and, unless told not to, ask the user's service manager to load
them. Both are per-user: the server runs as the user who installed it, never as a system service.
"""

from __future__ import annotations

import os
import plistlib
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

UNIT_NAME = "clausewatch.service"
AGENT_LABEL = "org.clausewatch.server"
KINDS = ("systemd", "launchd")
# Set by the command line instead (--port, --data-dir), so the unit has one source for each.
GIVEN_AS_OPTIONS = ("CLAUSEWATCH_PORT", "CLAUSEWATCH_DATA_DIR")
# systemd refuses to run an executable whose path holds these, however it is quoted.
EXEC_PATH_REFUSED = re.compile(r"[\"'\\\x00-\x1f\x7f]")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# `serve` exits 2 on bad usage or broken built-in rules: restarting cannot help either.
NO_RESTART_STATUS = 2


class ServiceError(Exception):
    """Cannot render, write or load the service; the message says why, in one line."""


@dataclass(frozen=True)
class Status:
    installed: bool
    running: bool | None   # None: the service manager could not be asked
    port: int | None
    path: Path


def default_kind(platform: str = sys.platform) -> str:
    if platform == "darwin":
        return "launchd"
    if platform.startswith("linux"):
        return "systemd"
    raise ServiceError(f"no service manager support on {platform}: on Windows, start `clausewatch serve` "
                       "from a shortcut in shell:startup or a Task Scheduler task (see the README)")


def clausewatch_executable() -> Path:
    """The `clausewatch` script of this installation: next to this Python (a venv, pipx), else on PATH."""
    beside = Path(sys.executable).with_name("clausewatch")
    found = beside if os.access(beside, os.X_OK) else shutil.which("clausewatch")
    if not found:
        raise ServiceError("cannot find the `clausewatch` command of this installation "
                           "(install the package with pip or pipx first)")
    return Path(os.path.normpath(os.path.abspath(found)))


def server_command(executable: Path, port: int, data_dir: Path, watch: bool = True) -> list[str]:
    argv = [str(executable), "serve", "--port", str(port), "--data-dir", str(Path(data_dir).absolute())]
    return argv if watch else [*argv, "--no-watch"]


def settings_env(environ: dict[str, str], user_rules_dir: Path) -> dict[str, str]:
    """The settings a service must keep: a login session's environment is not this shell's."""
    env = {k: v for k, v in environ.items() if k.startswith("CLAUSEWATCH_") and k not in GIVEN_AS_OPTIONS}
    env["CLAUSEWATCH_USER_RULES_DIR"] = str(Path(user_rules_dir).absolute())
    return dict(sorted(env.items()))


# systemd: https://www.freedesktop.org/software/systemd/man/systemd.service.html#Command%20lines
def _check_text(text: str) -> str:
    if CONTROL.search(text):
        raise ServiceError(f"a service cannot carry control characters: {text!r}")
    return text


def systemd_quote(word: str, *, expand_dollar: bool = True) -> str:
    """One double-quoted word: `%` is a specifier, `$` an environment variable (ExecStart only)."""
    escaped = _check_text(word).replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%")
    return '"' + (escaped.replace("$", "$$") if expand_dollar else escaped) + '"'


def systemd_exec_line(argv: list[str]) -> str:
    path, *args = argv
    if not os.path.isabs(path) or EXEC_PATH_REFUSED.search(path):
        raise ServiceError(f"systemd cannot run {path!r}: it needs an absolute path without quotes or "
                           "backslashes (install clausewatch somewhere else)")
    # Neither `$` nor backslashes are processed in the executable's path, only specifiers.
    return " ".join(['"' + path.replace("%", "%%") + '"', *(systemd_quote(a) for a in args)])


def systemd_words(line: str) -> list[str]:
    """The words of an ExecStart= or Environment= line that systemd_exec_line/systemd_quote wrote."""
    words = re.findall(r'"((?:[^"\\]|\\.)*)"', line)
    unescape = {"%%": "%", "$$": "$"}
    return [re.sub(r"\\(.)|%%|\$\$", lambda m: m.group(1) or unescape[m.group(0)], w) for w in words]


def systemd_unit(argv: list[str], env: dict[str, str]) -> str:
    lines = ["[Unit]", "Description=clausewatch: the local analyzer the browser extension talks to", "",
             "[Service]", "Type=simple", f"ExecStart={systemd_exec_line(argv)}"]
    if env:
        lines.append("Environment=" + " ".join(systemd_quote(f"{k}={v}", expand_dollar=False) for k, v in env.items()))
    lines += ["Restart=on-failure", "RestartSec=5", f"RestartPreventExitStatus={NO_RESTART_STATUS}", "",
              "[Install]", "WantedBy=default.target", ""]
    return "\n".join(lines)


def launchd_plist(argv: list[str], env: dict[str, str], log_path: Path) -> bytes:
    for word in [*argv, *env.values()]:
        _check_text(word)
    agent = {"Label": AGENT_LABEL, "ProgramArguments": list(argv), "EnvironmentVariables": dict(env),
             "RunAtLoad": True, "KeepAlive": {"SuccessfulExit": False},  # restart on failure only
             "StandardOutPath": str(log_path), "StandardErrorPath": str(log_path)}
    return plistlib.dumps(agent)


def service_path(kind: str, home: Path) -> Path:
    if kind == "systemd":
        return home / ".config" / "systemd" / "user" / UNIT_NAME
    return home / "Library" / "LaunchAgents" / f"{AGENT_LABEL}.plist"


def log_path(home: Path) -> Path:
    return home / "Library" / "Logs" / "clausewatch" / "server.log"


def render(kind: str, home: Path, argv: list[str], env: dict[str, str]) -> bytes:
    if kind == "systemd":
        return systemd_unit(argv, env).encode("utf-8")
    return launchd_plist(argv, env, log_path(home))


def installed_command(kind: str, path: Path) -> list[str]:
    if kind == "launchd":
        try:
            return plistlib.loads(path.read_bytes())["ProgramArguments"]
        except (ValueError, KeyError, TypeError) as exc:  # InvalidFileException is a ValueError
            raise ServiceError(f"{path} is not a launchd agent we can read: {exc}") from None
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("ExecStart="):
            return systemd_words(line)
    raise ServiceError(f"{path} has no ExecStart= line")


def _port_of(argv: list[str]) -> int | None:
    try:
        return int(argv[argv.index("--port") + 1])
    except (ValueError, IndexError):
        return None


def _manager(kind: str, *args: str) -> subprocess.CompletedProcess:
    """systemctl --user or launchctl, for this user; ServiceError when it is missing."""
    tool = "systemctl" if kind == "systemd" else "launchctl"
    if shutil.which(tool) is None:
        raise ServiceError(f"{tool} is not installed here")
    cmd = [tool, "--user", *args] if kind == "systemd" else [tool, *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60)


def _manage(kind: str, *args: str) -> None:
    done = _manager(kind, *args)
    if done.returncode != 0:
        tool = "systemctl --user" if kind == "systemd" else "launchctl"
        why = (done.stderr or done.stdout).strip().splitlines() or [f"exit status {done.returncode}"]
        raise ServiceError(f"`{tool} {' '.join(args)}` failed: {why[-1]}")


def _gui_target() -> str:
    return f"gui/{os.getuid()}"


def install(kind: str, home: Path, argv: list[str], env: dict[str, str], *, start: bool = True) -> Path:
    """Write the unit (replacing an older one), then enable and (re)start it when `start`."""
    path = service_path(kind, home)
    content = render(kind, home, argv, env)
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "launchd":
        log_path(home).parent.mkdir(parents=True, exist_ok=True)  # launchd opens the log, never its folder
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(content)
    tmp.replace(path)  # never a half-written unit for the manager to read
    try:
        if start and kind == "systemd":
            _manage(kind, "daemon-reload")
            _manage(kind, "enable", UNIT_NAME)
            _manage(kind, "restart", UNIT_NAME)  # a reinstall must run the new command line
        elif start:
            _manager(kind, "bootout", f"{_gui_target()}/{AGENT_LABEL}")  # not loaded yet: nothing to do
            _manage(kind, "bootstrap", _gui_target(), str(path))
    except ServiceError as exc:
        raise ServiceError(f"wrote {path}, but {exc}") from None
    return path


def uninstall(kind: str, home: Path, *, stop: bool = True) -> bool:
    """Stop and disable the service, then remove its file; False when there was none."""
    path = service_path(kind, home)
    if not path.exists():
        return False
    if stop and kind == "systemd":
        _manage(kind, "disable", "--now", UNIT_NAME)
    elif stop:
        _manager(kind, "bootout", f"{_gui_target()}/{AGENT_LABEL}")  # already unloaded is fine
    path.unlink()
    if stop and kind == "systemd":
        _manage(kind, "daemon-reload")
    return True


def _running(kind: str) -> bool | None:
    try:
        if kind == "systemd":
            done = _manager(kind, "is-active", UNIT_NAME)
            state = done.stdout.strip()
            return None if not state else state in ("active", "reloading")
        done = _manager(kind, "print", f"{_gui_target()}/{AGENT_LABEL}")
        return done.returncode == 0 and "state = running" in done.stdout
    except (ServiceError, subprocess.TimeoutExpired):
        return None


def status(kind: str, home: Path) -> Status:
    path = service_path(kind, home)
    if not path.exists():
        return Status(False, False, None, path)
    return Status(True, _running(kind), _port_of(installed_command(kind, path)), path)
