"""The build hook that makes the wheel self-contained: it copies the checkout's rules and the
extension's manifest into clausewatch/data/ (the list is resources.SHIPPED_FROM), so an installed
clausewatch needs no checkout. Everything else about the package is in pyproject.toml."""

import importlib.util
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def _resources():
    # By file path: importing the package here would need its dependencies at build time.
    spec = importlib.util.spec_from_file_location("clausewatch_resources", HERE / "clausewatch" / "resources.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class BuildWithSharedData(build_py):
    def run(self):
        target = Path(self.build_lib) / "clausewatch"
        # setuptools never empties build/: a module renamed or a rule deleted since the last build
        # would still ship. Each build starts from nothing.
        if not self.editable_mode and target.exists():
            shutil.rmtree(target)
        super().run()
        if self.editable_mode:
            return  # an editable install reads the checkout (resources.py)
        for name, source in _resources().SHIPPED_FROM.items():
            src, dst = REPO / source, target / "data" / name
            if not src.exists():
                raise SystemExit(f"clausewatch: {src} is missing; build the wheel from a clausewatch checkout")
            if src.is_dir():
                shutil.copytree(src, dst)
            else:
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(src, dst)


setup(cmdclass={"build_py": BuildWithSharedData})
