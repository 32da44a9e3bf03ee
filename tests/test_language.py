"""language.detect: the language of a whole document, by a length-weighted vote of its blocks; and
language.in_another_language: one clause of an English page that is not English."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from clausewatch.core.evaluate import read_jsonl
from clausewatch.core.language import LETTER, MIN_CLAUSE_LETTERS, detect, in_another_language, language_name
from clausewatch.core.screen import screen

DE = ("Wir können diese Nutzungsbedingungen jederzeit ohne vorherige Ankündigung ändern. "
      "Unsere Haftung ist auf Vorsatz und grobe Fahrlässigkeit beschränkt.")
DE2 = "Sie räumen uns eine weltweite, unentgeltliche und unbefristete Lizenz an Ihren Inhalten ein."
EN = ("We may share your personal information with third parties, including advertising partners. "
      "You agree that we may change these terms at any time.")
EN2 = "We retain your personal data for as long as we consider necessary, even after you close your account."
BANNER = "We use cookies to make this site work. By clicking accept you agree to our use of cookies."
FR_SHORT = "Les résidents du Québec peuvent nous écrire en français à l'adresse ci-dessus."
IT = "Possiamo modificare questi termini in qualsiasi momento senza preavviso e senza alcuna responsabilità."


@pytest.mark.parametrize("paragraphs, code", [
    ([DE, DE2, BANNER], "de"),  # a German page with an English cookie banner is German
    ([EN, EN2, FR_SHORT], "en"),  # an English policy with a short French paragraph is English
    ([IT, "OK", "Accept all"], "it"),  # buttons are too short to vote
    ([EN], "en"),
    (["OK", "Menu"], "und"),  # nothing to judge
])
def test_mixed_documents_take_the_language_of_most_of_their_text(paragraphs, code):
    assert detect("\n\n".join(paragraphs)).code == code


def test_the_same_text_always_gets_the_same_answer():
    text = "\n\n".join([DE, EN, FR_SHORT])
    assert len({(detect(text).code, detect(text).share) for _ in range(5)}) == 1


@pytest.mark.parametrize("code, name", [("de", "German"), ("fr", "French"), ("it", "Italian"), ("xx", "xx")])
def test_language_names(code, name):
    assert language_name(code) == name


def test_screen_refuses_other_languages_before_the_policy_check():
    s = screen("\n\n".join([DE, DE2, BANNER]), None, "Nutzungsbedingungen")
    assert (s.status, s.language, s.message) == (
        "unsupported_language", "de", "clausewatch reads English terms for now; this page is in German")


CAPS = ("TO THE MAXIMUM EXTENT PERMITTED BY LAW, WE WILL NOT BE LIABLE TO YOU FOR ANY INDIRECT, "
        "INCIDENTAL OR CONSEQUENTIAL DAMAGES.")


@pytest.mark.parametrize("clause, foreign", [
    (DE2, True), (IT, True), (FR_SHORT, True),
    (EN2, False),
    (CAPS, False),  # langid calls English in capitals Nigerian Pidgin; lowercased it is English
    ("Choix de Pub", False),  # too short to judge: read as it is
])
def test_a_clause_in_another_language(clause, foreign):
    assert in_another_language(clause) is foreign


def test_english_clauses_are_read_and_foreign_ones_are_not(shared_data):
    """The selection set's sentences (English) are read, CLAUDETTE 2024's German sentences long
    enough to judge are not: language.py's note on MIN_CLAUSE_LETTERS, with room for another build."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "training"))
    from data import selection_rows
    english = [r["text"] for r in selection_rows()]
    german = [r["text"] for r in read_jsonl(shared_data / "claudette_2024" / "de.jsonl")
              if len(LETTER.findall(r["text"])) >= MIN_CLAUSE_LETTERS]
    assert sum(map(in_another_language, english)) / len(english) < 0.005
    assert sum(map(in_another_language, german)) / len(german) > 0.99
