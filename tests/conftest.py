"""Fixtures shared by the whole suite: isolated settings, the app, its client, the shared data."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """../shared/data when it is there; tests that need it skip on a bare clone."""
    if not (SHARED_DATA / "README.md").is_file():
        pytest.skip("../shared/data is absent")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _isolated_dirs(tmp_path, monkeypatch):
    # platformdirs honours XDG_*: every test gets its own data and config directory, so the
    # history a test writes is a real SQLite file under the platformdirs data dir, never the user's.
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    for name in ("CLAUSEWATCH_DATA_DIR", "CLAUSEWATCH_PORT", "CLAUSEWATCH_RULES_DIR", "CLAUSEWATCH_USER_RULES_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def analyzer():
    from clausewatch.analyze import Analyzer
    from clausewatch.config import Settings
    return Analyzer.from_settings(Settings())
