"""Rule files are validated at load, with errors that name the file and the key."""

from __future__ import annotations

import textwrap

import pytest

from clausewatch.core.rules import RuleError, load_file, load_rules

GOOD = """
category: data_sale
message: They may sell your data.
patterns: ['\\bsell\\W+your\\W+data\\b']
unless: ['\\bnot\\b']
examples:
  match: ["We sell your data.", "we may sell your data .", "They sell your data to brokers."]
  no_match: ["We do not sell your data.", "Sell-by dates apply.", "Your data stays here."]
"""


def write(tmp_path, name, body):
    path = tmp_path / f"{name}.yaml"
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return path


def test_a_good_rule_loads_with_category_defaults(tmp_path):
    rule = load_file(write(tmp_path, "sell-data", GOOD))
    assert (rule.id, rule.category, rule.severity, rule.polarity) == ("sell-data", "data_sale", "high", "risk")
    assert rule.title == "Personal data sold"


BROKEN = [
    ("category: nope", "category", "category: nope\n" + GOOD.split("\n", 2)[2]),
    ("missing message", "message", GOOD.replace("message: They may sell your data.\n", "")),
    ("bad regex", "patterns[0]", GOOD.replace("['\\bsell\\W+your\\W+data\\b']", "['(unclosed']")),
    ("unknown key", "paterns", GOOD + "paterns: ['x']\n"),
    ("bad severity", "severity", GOOD + "severity: dire\n"),
    ("too few examples", "examples.no_match", GOOD.replace(', "Your data stays here."', "")),
    ("examples not a list", "examples.match", GOOD.replace('match: ["We sell your data.", "we may sell your data .", '
                                                            '"They sell your data to brokers."]', "match: yes")),
    ("no patterns", "patterns", GOOD.replace("patterns: ['\\bsell\\W+your\\W+data\\b']", "patterns: []")),
    ("id differs from file", "id", GOOD + "id: other-name\n"),
    ("not yaml", "(yaml)", "category: [unclosed\n"),
    ("not a mapping", "(file)", "- just\n- a list\n"),
    ("bad escalate", "escalate[0]", GOOD + "escalate:\n  - {pattern: 'x', severity: dire}\n"),
]


@pytest.mark.parametrize("case,key,body", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_rules_name_file_and_key(tmp_path, case, key, body):
    path = write(tmp_path, "sell-data", body)
    with pytest.raises(RuleError) as info:
        load_file(path)
    assert info.value.key == key
    assert str(path) in str(info.value)


def test_user_rules_load_and_broken_ones_are_disabled_with_a_warning(tmp_path):
    builtin, user = tmp_path / "builtin", tmp_path / "user"
    builtin.mkdir(), user.mkdir()
    write(builtin, "sell-data", GOOD)
    write(user, "my-rule", GOOD)
    write(user, "sell-data", GOOD)  # same id as a built-in
    write(user, "broken", "category: nope\n")
    rules, warnings = load_rules(builtin, user)
    assert sorted(r.id for r in rules) == ["my-rule", "sell-data"]
    assert [r.user for r in rules if r.id == "my-rule"] == [True]
    assert len(warnings) == 2
    assert any("broken.yaml" in w and "message: is required" in w for w in warnings)
    assert any(str(user / "sell-data.yaml") in w for w in warnings)


def test_a_duplicate_builtin_id_stops_loading(tmp_path):
    (tmp_path / "a").mkdir(), (tmp_path / "b").mkdir()
    write(tmp_path / "a", "sell-data", GOOD)
    write(tmp_path / "b", "sell-data", GOOD)
    with pytest.raises(RuleError, match="duplicate"):
        load_rules(tmp_path)
