"""`clausewatch analyze` on a PDF and on pages it does not grade."""

from __future__ import annotations

import json

from click.testing import CliRunner

import pdfgen
from clausewatch.cli import main
from conftest import FIXTURES


def test_analyze_reads_a_pdf_file(tmp_path):
    path = tmp_path / "terms.pdf"
    path.write_bytes(pdfgen.terms_pdf())
    result = CliRunner().invoke(main, ["analyze", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["status"] == "analysed" and data["document"]["extraction"] == "pdf"
    assert "ai_training" in {f["category"] for f in data["findings"]}


def test_a_pdf_without_the_pdf_suffix_is_recognised_by_its_header(tmp_path):
    path = tmp_path / "download"
    path.write_bytes(pdfgen.terms_pdf())
    result = CliRunner().invoke(main, ["analyze", str(path)])
    assert result.exit_code == 0 and "grade" in result.output


def test_an_encrypted_pdf_says_so(tmp_path):
    path = tmp_path / "locked.pdf"
    path.write_bytes(pdfgen.encrypted_pdf(pdfgen.terms_pdf()))
    result = CliRunner().invoke(main, ["analyze", str(path)])
    assert result.exit_code == 1 and "password-protected" in result.output


def test_a_german_page_says_which_language_and_gives_no_grade():
    result = CliRunner().invoke(main, ["analyze", str(FIXTURES / "languages" / "de_terms.html")])
    assert result.exit_code == 3  # read, not graded: a status scripts can tell from a grade
    assert "clausewatch reads English terms for now; this page is in German" in result.output
    assert "grade" not in result.output


def test_a_home_page_is_not_graded():
    result = CliRunner().invoke(main, ["analyze", str(FIXTURES / "not_policies" / "home.html"), "--json"])
    data = json.loads(result.output)
    assert (data["status"], data["grade"], data["findings"]) == ("not_a_policy", None, [])
