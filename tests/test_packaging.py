"""What the package declares and ships, checked against the source: imports against dependencies,
Python versions against classifiers, the data an editable install reads, the extension archives."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import sys
import zipfile

import pytest

from conftest import REPO

PACKAGE = REPO / "server" / "clausewatch"
sys.path.insert(0, str(REPO / "extension" / "tools"))
import package as extension_package  # noqa: E402 - extension/tools/package.py

tomllib = pytest.importorskip("tomllib")
PYPROJECT = tomllib.loads((REPO / "server" / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def imported_top_level_names() -> set[str]:
    names = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"clausewatch", "__future__"}


def test_every_third_party_import_is_a_declared_dependency():
    declared = {normalise(re.split(r"[<>=!~;\[ ]", d, maxsplit=1)[0]) for d in PYPROJECT["dependencies"]}
    distributions = importlib.metadata.packages_distributions()
    imported = imported_top_level_names()
    assert {"click", "flask", "onnxruntime"} <= imported  # the walk really reads the package
    undeclared = {name: distributions.get(name) for name in imported
                  if not {normalise(d) for d in distributions.get(name, [name])} & declared}
    assert not undeclared, f"imported but not in server/pyproject.toml: {undeclared}"


def test_classifiers_name_exactly_the_versions_from_requires_python_up():
    floor = re.fullmatch(r">=3\.(\d+)", PYPROJECT["requires-python"])
    assert floor, PYPROJECT["requires-python"]
    minors = sorted(int(c.rsplit(".", 1)[1]) for c in PYPROJECT["classifiers"]
                    if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c))
    assert minors and minors[0] == int(floor[1]) and minors == list(range(minors[0], minors[-1] + 1)), minors
    assert sys.version_info[:2] >= (3, int(floor[1]))


def test_an_editable_checkout_reads_the_checkouts_rules_and_manifest():
    from clausewatch import resources
    from clausewatch.settings import Settings, pinned_extension_ids
    assert resources.PACKAGE == PACKAGE, "these tests must import the checkout's clausewatch"
    assert not resources.SHIPPED.exists()  # the copies are made into the wheel only, never here
    assert resources.rules_dir() == Settings().rules_dir == REPO / "rules"
    assert resources.extension_manifest() == REPO / "extension" / "manifest.json"
    assert len(pinned_extension_ids()) == 1


def test_the_extension_archives_hold_what_the_browser_loads_and_nothing_else(tmp_path):
    built = extension_package.build(tmp_path)
    version = json.loads((REPO / "extension" / "manifest.json").read_text(encoding="utf-8"))["version"]
    assert sorted(p.name for p in built.values()) == [f"clausewatch-{version}-chrome.zip",
                                                      f"clausewatch-{version}-firefox.xpi"]
    on_disk = {p.relative_to(REPO / "extension").as_posix() for p in (REPO / "extension" / "src").rglob("*")
               if p.is_file()} | {p.relative_to(REPO / "extension").as_posix() for p in
                                  (REPO / "extension" / "icons").iterdir()} | {"manifest.json"}
    for archive in built.values():
        with zipfile.ZipFile(archive) as z:
            assert set(z.namelist()) == on_disk
            assert all(z.read(n) == (REPO / "extension" / n).read_bytes() for n in z.namelist())
    # Reproducible: the same source gives the same bytes.
    again = extension_package.build(tmp_path / "again")
    assert all(again[k].read_bytes() == built[k].read_bytes() for k in built)


def test_the_archives_leave_out_what_web_ext_lint_ignores():
    script = json.loads((REPO / "extension" / "package.json").read_text(encoding="utf-8"))["scripts"]["lint"]
    ignored = set(script.split("--ignore-files", 1)[1].split())
    assert ignored | {"node_modules"} == extension_package.LEFT_OUT
