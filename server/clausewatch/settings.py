"""Settings with embedded defaults; environment variables override them (documented in the README).

`Settings.from_env` is the one place that reads the environment; everything else is handed the
values it needs. The core keeps plain defaults of its own for library use (bench, evaluation),
and tests/test_layout.py checks that these defaults equal them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

from . import resources

APP = "clausewatch"


def extension_id_from_key(key_b64: str) -> str:
    """Chrome's id for an unpacked extension with a pinned `key`: sha256 of the key, hex in a..p."""
    digest = hashlib.sha256(base64.b64decode(key_b64)).hexdigest()[:32]
    return "".join(chr(ord("a") + int(c, 16)) for c in digest)


def pinned_extension_ids() -> list[str]:
    manifest = resources.extension_manifest()
    try:
        key = json.loads(manifest.read_text(encoding="utf-8")).get("key")
    except (OSError, ValueError):
        return []
    return [extension_id_from_key(key)] if key else []


def _env_list(name: str) -> list[str]:
    return [v.strip() for v in os.environ.get(name, "").split(",") if v.strip()]


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() not in ("0", "false", "no", "off", "")


def clausewatch_environment() -> dict[str, str]:
    """The CLAUSEWATCH_* variables of this process, as given (a service keeps them for its logins)."""
    return {k: v for k, v in os.environ.items() if k.startswith("CLAUSEWATCH_")}


# Numeric overrides: (variable, field, type).
NUMBERS = [("CLAUSEWATCH_REQUEST_CPU_SECONDS", "request_cpu_seconds", float),
           ("CLAUSEWATCH_EXTRACT_SECONDS", "extract_seconds", float),
           ("CLAUSEWATCH_MAX_TEXT_CHARS", "max_text_chars", int),
           ("CLAUSEWATCH_MAX_CLAUSES", "max_clauses", int),
           ("CLAUSEWATCH_MODEL_MAX_CLAUSES", "model_max_clauses", int),
           ("CLAUSEWATCH_MODEL_TOKENS", "model_tokens", int),
           ("CLAUSEWATCH_MODEL_THREADS", "model_threads", int)]


@dataclass
class Settings:
    host: str = "127.0.0.1"
    port: int = 8787
    data_dir: Path = field(default_factory=lambda: Path(platformdirs.user_data_dir(APP)))
    rules_dir: Path = field(default_factory=resources.rules_dir)
    user_rules_dir: Path = field(default_factory=lambda: Path(platformdirs.user_config_dir(APP)) / "rules")
    max_body_bytes: int = 8 * 1024 * 1024
    analysis_seconds: float = 10.0
    extension_ids: list[str] = field(default_factory=pinned_extension_ids)
    allow_firefox: bool = True
    watch: bool = True
    watch_hours: float = 24.0
    vendors_file: Path | None = None     # None: rules_dir / "vendors.yaml"
    fetch_timeout: float = 20.0          # seconds for one policy page, redirects included
    fetch_max_bytes: int = 5 * 1024 * 1024
    # The watcher fetches public addresses only; tests that serve vendors on loopback opt in.
    fetch_allow_private: bool = False
    threads: int = 8
    # What one analysis may cost (core/budget.py, web/extraction_pool.py) and what the model reads.
    request_cpu_seconds: float = 1.0
    extract_seconds: float = 8.0
    max_text_chars: int = 1_000_000
    max_clauses: int = 20_000
    model_max_clauses: int = 1000
    # Tokens the model reads per request (ClauseEncoder.cost: a clause's tokens + 16), about 0.5 s of
    # CPU here on a quiet machine. About 5 in 6 real pages fit in one request; a longer one is read
    # over a few (the answer says "reading" and the extension asks again), each within this bound.
    model_tokens: int = 8000
    model_threads: int = 2
    use_model: bool = True

    @property
    def db_path(self) -> Path:
        return self.data_dir / "history.sqlite3"

    @property
    def vendors_path(self) -> Path:
        return self.vendors_file or self.rules_dir / "vendors.yaml"

    @classmethod
    def from_env(cls, **overrides) -> "Settings":
        s = cls()
        env = os.environ
        if "CLAUSEWATCH_PORT" in env:
            s.port = int(env["CLAUSEWATCH_PORT"])
        if "CLAUSEWATCH_DATA_DIR" in env:
            s.data_dir = Path(env["CLAUSEWATCH_DATA_DIR"])
        if "CLAUSEWATCH_RULES_DIR" in env:
            s.rules_dir = Path(env["CLAUSEWATCH_RULES_DIR"])
        if "CLAUSEWATCH_USER_RULES_DIR" in env:
            s.user_rules_dir = Path(env["CLAUSEWATCH_USER_RULES_DIR"])
        if "CLAUSEWATCH_MAX_BODY_MB" in env:
            s.max_body_bytes = int(float(env["CLAUSEWATCH_MAX_BODY_MB"]) * 1024 * 1024)
        s.extension_ids = s.extension_ids + _env_list("CLAUSEWATCH_EXTENSION_IDS")
        s.watch = _env_bool("CLAUSEWATCH_WATCH", s.watch)
        if "CLAUSEWATCH_WATCH_HOURS" in env:
            s.watch_hours = float(env["CLAUSEWATCH_WATCH_HOURS"])
        s.fetch_allow_private = _env_bool("CLAUSEWATCH_FETCH_ALLOW_PRIVATE", s.fetch_allow_private)
        if "CLAUSEWATCH_VENDORS_FILE" in env:
            s.vendors_file = Path(env["CLAUSEWATCH_VENDORS_FILE"])
        for name, key, kind in NUMBERS:
            if name in env:
                setattr(s, key, kind(env[name]))
        # Any value turns the model off, "0" included: it has always read that way.
        s.use_model = not env.get("CLAUSEWATCH_NO_MODEL")
        for key, value in overrides.items():
            if value is not None:
                setattr(s, key, value)
        return s
