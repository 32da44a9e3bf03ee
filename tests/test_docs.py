"""The README cannot drift from the code: every setting and command it should name, it names."""

from __future__ import annotations

import re

import pytest

from clausewatch.cli import main
from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
SOURCES = "\n".join(p.read_text(encoding="utf-8") for p in (REPO / "server" / "clausewatch").rglob("*.py"))
ENV_VARS = sorted(set(re.findall(r"CLAUSEWATCH_[A-Z_]+", SOURCES)))


@pytest.mark.parametrize("name", ENV_VARS)
def test_every_environment_variable_is_documented(name):
    assert f"`{name}`" in README


@pytest.mark.parametrize("command", sorted(main.commands))
def test_every_cli_command_is_in_the_readme(command):
    assert re.search(rf"clausewatch {command}\b", README), f"README does not show `clausewatch {command}`"


def test_the_two_setup_commands_are_there_and_ci_runs_the_test_one():
    assert "./dev serve" in README and "./dev test" in README
    assert "./dev test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
