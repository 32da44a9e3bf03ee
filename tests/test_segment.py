"""Clause splitting on the legal text that real terms are made of: each row is one case we met."""

from __future__ import annotations

import pytest

from clausewatch.core.segment import MAX_CLAUSE, Block, guess_kind, segment


def clauses(text: str, kind: str = "text") -> list[str]:
    return [text[c.start:c.end] for c in segment(text, [Block(0, len(text), kind)])]


CASES = [
    # (why, text, expected clauses)
    ("e.g. does not end a sentence",
     "We share data with partners, e.g. advertisers and analytics providers. You may opt out.",
     ["We share data with partners, e.g. advertisers and analytics providers.", "You may opt out."]),
    ("e.g. before a capital",
     "We use vendors (e.g. Google Analytics) to measure use. They see your IP address.",
     ["We use vendors (e.g. Google Analytics) to measure use.", "They see your IP address."]),
    ("i.e. before a capital",
     "Content you post, i.e. Your Content, stays yours. We may display it.",
     ["Content you post, i.e. Your Content, stays yours.", "We may display it."]),
    ("Inc. inside a sentence",
     "The service is provided by Acme Inc. The company is based in Delaware.",
     ["The service is provided by Acme Inc. The company is based in Delaware."]),
    ("Inc. before a lowercase word",
     "Acme Inc. and its affiliates may share your data. You agree to this.",
     ["Acme Inc. and its affiliates may share your data.", "You agree to this."]),
    ("U.S. is not a sentence end",
     "Your data is stored in the U.S. and the E.U. under Standard Contractual Clauses. See below.",
     ["Your data is stored in the U.S. and the E.U. under Standard Contractual Clauses.", "See below."]),
    ("U.S. before a capitalised name",
     "We comply with U.S. Federal law. Other laws may apply.",
     ["We comply with U.S. Federal law.", "Other laws may apply."]),
    ("a section number with a decimal point",
     "As set out in Section 10.4 we may use your content. Section 11 covers fees.",
     ["As set out in Section 10.4 we may use your content.", "Section 11 covers fees."]),
    ("a sentence that ends on a section number",
     "The license is described in Section 10.4. The Customer grants it to us.",
     ["The license is described in Section 10.4.", "The Customer grants it to us."]),
    ("a sentence that ends on a year",
     "These terms were last updated in 2023. We may change them at any time.",
     ["These terms were last updated in 2023.", "We may change them at any time."]),
    ("No. and Art. before a number",
     "See Regulation No. 2016/679, in particular Art. 6 GDPR. It applies to you.",
     ["See Regulation No. 2016/679, in particular Art. 6 GDPR.", "It applies to you."]),
    ("a state code at the end of a sentence",
     "Our office is in San Francisco, CA. You can write to us there.",
     ["Our office is in San Francisco, CA.", "You can write to us there."]),
    ("ALL-CAPS paragraph: two sentences",
     'IN NO EVENT SHALL ACME BE LIABLE FOR ANY DAMAGES. THE SERVICE IS PROVIDED "AS IS".',
     ["IN NO EVENT SHALL ACME BE LIABLE FOR ANY DAMAGES.", 'THE SERVICE IS PROVIDED "AS IS".']),
    ("ALL-CAPS with INC. inside",
     "ACME INC. DISCLAIMS ALL WARRANTIES. YOU USE THE SERVICE AT YOUR OWN RISK.",
     ["ACME INC. DISCLAIMS ALL WARRANTIES.", "YOU USE THE SERVICE AT YOUR OWN RISK."]),
    ("the closing quote stays with its sentence",
     'The service is provided "as is." You use it at your own risk.',
     ['The service is provided "as is."', "You use it at your own risk."]),
    ("curly quotes too",
     "We call this \u201cService Data.\u201d We may use it for any purpose.",
     ["We call this \u201cService Data.\u201d", "We may use it for any purpose."]),
    ("a closing bracket after the period",
     "We keep logs (for 30 days.) Then we delete them.",
     ["We keep logs (for 30 days.)", "Then we delete them."]),
    ("tokenised lowercase text splits on a spaced period",
     "you agree to binding arbitration . we may terminate your account at any time .",
     ["you agree to binding arbitration .", "we may terminate your account at any time ."]),
    ("tokenised text keeps e.g. whole",
     "we share data with partners , e.g. advertisers . you can opt out .",
     ["we share data with partners , e.g. advertisers .", "you can opt out ."]),
    ("question and exclamation marks",
     "What do we collect? Everything you type! Read on.",
     ["What do we collect?", "Everything you type!", "Read on."]),
    ("initials are not sentence ends",
     "Contact J. R. Smith, our Data Protection Officer. He replies within 30 days.",
     ["Contact J. R. Smith, our Data Protection Officer.", "He replies within 30 days."]),
]


@pytest.mark.parametrize("why,text,expected", CASES, ids=[c[0] for c in CASES])
def test_sentences(why, text, expected):
    assert clauses(text) == expected


LISTS = [
    ("numbered item: the number is not a clause",
     "1. We collect your name. We also collect your email.", "item",
     ["1. We collect your name.", "We also collect your email."]),
    ("nested number", "4.2. Fees are non-refundable. Taxes are extra.", "item",
     ["4.2. Fees are non-refundable.", "Taxes are extra."]),
    ("lettered item", "(a) suspend your account. It may be permanent.", "item",
     ["(a) suspend your account.", "It may be permanent."]),
    ("lettered item with a period", "b. We may share data with law enforcement.", "item",
     ["b. We may share data with law enforcement."]),
    ("roman numeral", "iv. Service Generated Data may be used for any purpose.", "item",
     ["iv. Service Generated Data may be used for any purpose."]),
    ("a heading block is one clause", "10. Customer Content. License Grant", "heading",
     ["10. Customer Content. License Grant"]),
]


@pytest.mark.parametrize("why,text,kind,expected", LISTS, ids=[c[0] for c in LISTS])
def test_list_items(why, text, kind, expected):
    assert clauses(text, kind) == expected


def test_clause_kind_follows_its_block():
    text = "Terms\n\n1. You grant us a license. It is perpetual.\n\nPlain text here."
    item, plain = text.index("1."), text.index("Plain")
    blocks = [Block(0, 5, "heading"), Block(item, plain - 2, "item"), Block(plain, len(text), "text")]
    assert [(text[c.start:c.end], c.kind) for c in segment(text, blocks)] == [
        ("Terms", "heading"), ("1. You grant us a license.", "item"), ("It is perpetual.", "item"),
        ("Plain text here.", "text")]


def test_very_long_clause_is_capped_at_a_semicolon_or_space():
    part = "we may use, copy, modify and distribute your content in any media"
    text = "; ".join([part] * 80) + "."  # one sentence of about 5,000 characters
    got = segment(text, [Block(0, len(text), "text")])
    assert len(got) > 1
    assert all(c.end - c.start <= MAX_CLAUSE for c in got)
    assert text[got[0].start:got[0].end].endswith(";")  # cut after a "; " when there is one
    # Nothing is lost or repeated: the pieces put back together are the sentence.
    assert " ".join(text[c.start:c.end] for c in got) == text


def test_very_long_clause_without_semicolons_is_cut_at_spaces():
    text = " ".join(["word"] * 1500)
    got = segment(text, [Block(0, len(text), "text")])
    assert all(c.end - c.start <= MAX_CLAUSE for c in got)
    assert all(text[c.start:c.end].split() == ["word"] * len(text[c.start:c.end].split()) for c in got)
    assert sum(len(text[c.start:c.end].split()) for c in got) == 1500


def test_plain_text_without_blocks_splits_lines():
    text = "Privacy Policy\nWe collect data. We sell it.\n- to advertisers"
    got = [(text[c.start:c.end], c.kind) for c in segment(text)]
    assert got == [("Privacy Policy", "heading"), ("We collect data.", "text"), ("We sell it.", "text"),
                   ("- to advertisers", "item")]


@pytest.mark.parametrize("line,kind", [
    ("Privacy Policy", "heading"),
    ("10. Termination", "heading"),
    ("a) we may suspend your account;", "item"),
    ("\u2022 your name and email address.", "item"),
    ("We collect the following data, including your name.", "text"),
])
def test_guess_kind(line, kind):
    assert guess_kind(line) == kind
