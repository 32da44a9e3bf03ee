"""The package's architecture, enforced: every module's imports (read with ast, lazy ones too) point
down the layers of DEVELOPERS.md, and only settings.py reads the environment.

    cli, web  ->  services  ->  history, vendors  ->  core      (settings: read by all but core)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "server" / "clausewatch"

# What each layer may import of clausewatch, besides itself.
ALLOWED = {
    "core": set(),
    "resources": set(),
    "settings": {"resources"},
    "history": {"core"},
    "vendors": {"core"},
    "services": {"core", "history", "vendors", "settings"},
    "web": {"core", "history", "vendors", "services", "settings"},
    "cli": {"core", "history", "vendors", "services", "settings", "web"},
    "__main__": {"cli"},
    "__init__": set(),
}
# Libraries that belong to one layer: the core serves no HTTP, stores nothing and opens no socket.
FOREIGN = {
    "core": {"flask", "werkzeug", "waitress", "sqlite3", "click", "socket", "ssl", "http", "urllib.request"},
    "history": {"flask", "werkzeug", "waitress", "click", "socket", "http"},
    "vendors": {"flask", "werkzeug", "waitress", "click", "sqlite3"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE).with_suffix("").parts)
    if parts[-1] == "__init__" and len(parts) > 1:
        parts.pop()
    return ".".join(["clausewatch", *parts])


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def layer(module: str) -> str:
    return module.split(".")[1] if "." in module else "__init__"


def imports(module: str) -> set[str]:
    """Every module `module` imports, by absolute name; `from . import x` names the submodule x."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module
            for a in node.names:
                out.add(f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base)
    return out


def ours(names: set[str]) -> set[str]:
    return {n for n in names if n == "clausewatch" or n.startswith("clausewatch.")}


def test_the_resolver_reads_relative_imports():
    # The table below is only as good as this: a relative import must resolve to its module.
    assert "clausewatch.core.taxonomy" in imports("clausewatch.history.diff")
    assert "clausewatch.web.reader_view" in imports("clausewatch.web.reader_export")
    assert {"clausewatch.core.language", "clausewatch.core.policycheck"} <= imports("clausewatch.core.screen")


def test_every_module_belongs_to_a_layer():
    assert {layer(m) for m in MODULES} <= set(ALLOWED), "a new top-level module: choose its layer here"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_down_the_layers(module):
    own = layer(module)
    wrong = sorted(n for n in ours(imports(module)) if layer(n) != own and layer(n) not in ALLOWED[own])
    assert wrong == [], f"{module} ({own}) may import only {sorted(ALLOWED[own])} of clausewatch"


@pytest.mark.parametrize("module", sorted(m for m in MODULES if layer(m) in FOREIGN))
def test_lower_layers_stay_free_of_the_web_storage_and_network(module):
    found = {n for n in imports(module) for f in FOREIGN[layer(module)] if n == f or n.startswith(f + ".")}
    assert found == set(), f"{module} imports {sorted(found)}"


def test_the_api_and_the_app_do_not_import_each_other():
    assert "clausewatch.web.app" not in imports("clausewatch.web.api")
    assert "clausewatch.web.api" in imports("clausewatch.web.app")  # the app wires the API, not the reverse


def _reads_environment(path: Path) -> bool:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv", "environb"):
            return True
    return False


def test_only_settings_reads_the_environment():
    readers = sorted(m for m, p in MODULES.items() if _reads_environment(p))
    assert readers == ["clausewatch.settings"]


def test_the_settings_defaults_are_the_cores():
    """Settings restates the core's plain defaults (the core may not import it); they must agree."""
    from clausewatch.core import budget, detect, encoder
    from clausewatch.settings import Settings
    from clausewatch.web import extraction_pool
    s = Settings()
    assert (s.request_cpu_seconds, s.max_text_chars, s.max_clauses) == (
        budget.REQUEST_CPU_SECONDS, budget.MAX_TEXT_CHARS, budget.MAX_CLAUSES)
    assert (s.model_max_clauses, s.model_threads) == (detect.MAX_MODEL_CLAUSES, encoder.THREADS)
    assert s.extract_seconds == extraction_pool.EXTRACT_SECONDS


ENV_CASES = [
    ("CLAUSEWATCH_REQUEST_CPU_SECONDS", "2.5", "request_cpu_seconds", 2.5),
    ("CLAUSEWATCH_EXTRACT_SECONDS", "3", "extract_seconds", 3.0),
    ("CLAUSEWATCH_MAX_TEXT_CHARS", "5000", "max_text_chars", 5000),
    ("CLAUSEWATCH_MAX_CLAUSES", "70", "max_clauses", 70),
    ("CLAUSEWATCH_MODEL_MAX_CLAUSES", "9", "model_max_clauses", 9),
    ("CLAUSEWATCH_MODEL_THREADS", "1", "model_threads", 1),
    ("CLAUSEWATCH_NO_MODEL", "1", "use_model", False),
]


@pytest.mark.parametrize("name,value,field,want", ENV_CASES)
def test_each_variable_reaches_its_setting(monkeypatch, name, value, field, want):
    from clausewatch.settings import Settings
    monkeypatch.setenv(name, value)
    assert getattr(Settings.from_env(), field) == want


def test_the_servers_analyzer_carries_the_settings_caps(monkeypatch, tmp_path):
    """The values travel from the environment through Settings into the analyzer the server uses."""
    from clausewatch.services import build_analyzer
    from clausewatch.settings import Settings
    from clausewatch.web.extraction_pool import cap_extraction
    for name, value, _field, _want in ENV_CASES[:5]:
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CLAUSEWATCH_NO_MODEL", "1")  # loading the model is not what is tested here
    settings = Settings.from_env(user_rules_dir=tmp_path / "none")
    analyzer = cap_extraction(build_analyzer(settings), settings)
    assert (analyzer.cpu_seconds, analyzer.max_chars, analyzer.max_clauses) == (2.5, 5000, 70)
    assert analyzer.extract_html.keywords == {"seconds": 3.0}
    assert analyzer.detector.max_model_clauses == 9 and analyzer.detector.encoder is None
