"""Every rule's examples are its tests: `match` must fire, `no_match` must not."""

from __future__ import annotations

import pytest

from clausewatch.settings import Settings
from clausewatch.core.rulecheck import check_rule
from clausewatch.core.rules import load_rules
from clausewatch.core.taxonomy import CATEGORIES

RULES, _ = load_rules(Settings().rules_dir)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_examples(rule):
    assert check_rule(rule) == []


def test_every_category_has_a_rule():
    covered = {r.category for r in RULES}
    assert sorted(set(CATEGORIES) - covered) == []
