"""A user's rules folder cannot hurt the server: whatever lies there (links, FIFOs, folders, huge
or non-UTF-8 files, YAML bombs, wrong types, slow patterns), the server starts, the good rules
load, and each bad file is a warning that names the file and the key, never quoting a file."""

from __future__ import annotations

import os
import textwrap

import pytest

from clausewatch.core.rules import load_rules, parse_rule

GOOD = textwrap.dedent("""
    category: data_sale
    message: They may sell your data.
    patterns: ['\\bsell\\W+your\\W+zqxj\\b']
    examples:
      match: ["We sell your data.", "we may sell your data .", "They sell your data to brokers."]
      no_match: ["We do not sell your data.", "Sell-by dates apply.", "Your data stays here."]
    """)
SECRET = "SECRET-FIRST-LINE-0f3a9"
BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + "".join(
    f'{c}: &{c} [*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p},*{p}]\n' for p, c in zip("abcdefgh", "bcdefghi"))


def _slow(pattern: str) -> str:
    # The pattern goes in as YAML single-quoted text, so its backslashes stay as written.
    return GOOD.replace("['\\bsell\\W+your\\W+zqxj\\b']", f"['{pattern}']")


def hostile_folder(user, outside):
    """Each bad entry, with the key its warning must name."""
    (outside / "shadow").write_text(SECRET + ":$6$hash:19000\n", encoding="utf-8")
    (user / "good.yaml").write_text(GOOD, encoding="utf-8")
    (user / "a-directory.yaml").mkdir()
    os.symlink(outside / "missing", user / "dangling.yaml")
    os.symlink(outside / "shadow", user / "shadow-link.yaml")
    os.symlink("/dev/zero", user / "zero-link.yaml")
    os.mkfifo(user / "fifo.yaml")
    (user / "latin1.yaml").write_bytes(GOOD.replace("sell your", "s\xe9ll your").encode("latin-1"))
    (user / "category-list.yaml").write_text(GOOD.replace("category: data_sale", "category: [data_sale]"))
    (user / "title-map.yaml").write_text(GOOD + "title: {a: 1}\n")
    (user / "bomb.yaml").write_text(BOMB + GOOD)
    with open(user / "huge.yaml", "wb") as f:  # sparse: 100 MB of size, no disk
        f.truncate(100 * 1024 * 1024)
    (user / "nested.yaml").write_text("[" * 20_000 + "]" * 20_000)
    (user / "bad-yaml.yaml").write_text(SECRET + ": [unclosed\n")
    (user / "comma-hex.yaml").write_text(_slow(r"(?:\x2c|\x2c)+$"))
    (user / "non-space.yaml").write_text(_slow(r"(?:\S|\S)+$"))
    return {"a-directory": "(file)", "dangling": "(file)", "shadow-link": "(file)", "zero-link": "(file)",
            "fifo": "(file)", "latin1": "(file)", "category-list": "category", "title-map": "title",
            "bomb": "(yaml)", "huge": "(file)", "nested": "(yaml)", "bad-yaml": "(yaml)",
            "comma-hex": "patterns[0]", "non-space": "patterns[0]"}


def test_every_hostile_user_rule_file_is_a_warning_naming_file_and_key(tmp_path):
    builtin, user, outside = tmp_path / "builtin", tmp_path / "user", tmp_path / "outside"
    for d in (builtin, user, outside):
        d.mkdir()
    expected = hostile_folder(user, outside)
    rules, warnings = load_rules(builtin, user)
    assert [r.id for r in rules] == ["good"]
    for name, key in expected.items():
        mine = [w for w in warnings if f"{user / name}.yaml: {key}:" in w]
        assert len(mine) == 1, (name, key, warnings)
    assert len(warnings) == len(expected)
    assert not any(SECRET in w for w in warnings)


@pytest.mark.slow
def test_the_server_starts_with_a_hostile_rules_folder_and_quotes_nothing(tmp_path):
    from live_server import LiveServer
    user = tmp_path / "config" / "clausewatch" / "rules"
    user.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    expected = hostile_folder(user, outside)
    # Critical, worse than anything the model says of data sale: the answer keeps one finding per
    # category and clause, the worst, so the good rule's own finding shows whatever the model reads.
    (user / "good.yaml").write_text(GOOD + "severity: critical\n", encoding="utf-8")
    server = LiveServer(tmp_path)  # waits for health with ready: true (hang guard 60 s: a FIFO hung it forever)
    try:
        # A short privacy policy (only terms or a policy is graded: screen.py) holding the good rule's trigger.
        text = ("We collect your personal information when you create an account. We sell your zqxj. "
                "We may share your personal data with third parties for advertising.")
        status, body = server.request("/api/analyze", {"url": "https://x.example/t", "text": text})
        assert status == 200 and body["status"] == "analysed", body
        assert "good" in {f["rule"] for f in body["findings"]}
    finally:
        server.stop()
    log = server.log()
    for name in expected:
        assert f"{name}.yaml" in log
    assert SECRET not in log


def test_a_user_rule_that_blows_its_per_clause_budget_is_switched_off(tmp_path):
    from clausewatch.core.detect import Detector
    from clausewatch.core.segment import segment
    import yaml
    path = tmp_path / "slow.yaml"
    data = yaml.safe_load(_slow("(a|a)+$"))  # what the load-time check catches; here it got past it
    rule = parse_rule(path, data, user=True)
    detector = Detector([rule])
    text = "a" * 30 + "!"  # (a|a)+$ tries every way to split the run: far past 0.1 s
    findings, warnings = detector.scan(text, segment(text))
    assert any(str(path) in w and "disabled" in w for w in warnings), warnings
    assert detector.user_rules == []
    findings, warnings = detector.scan(text, segment(text))
    assert warnings == []  # not searched again
