"""Fixtures shared by the whole suite: isolated settings, the app, its client, the shared data."""

from __future__ import annotations

from pathlib import Path

import pytest

from installed import installed_clausewatch  # noqa: F401 - a session fixture: the e2e tests share it

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
    from clausewatch.services import build_analyzer
    from clausewatch.settings import Settings
    # from_env: CLAUSEWATCH_NO_MODEL=1 runs the suite on the rules alone.
    return build_analyzer(Settings.from_env())


TEST_EXTENSION_ID = "abcdefghijklmnopabcdefghijklmnop"
EXT_ORIGIN = f"chrome-extension://{TEST_EXTENSION_ID}"


@pytest.fixture
def settings():
    from clausewatch.settings import Settings
    s = Settings.from_env(watch=False)
    s.extension_ids = [*s.extension_ids, TEST_EXTENSION_ID]
    return s


@pytest.fixture
def app(settings):
    from clausewatch.web.app import create_app
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def ext():
    """Headers of a request from our extension's service worker."""
    return {"Origin": EXT_ORIGIN}
