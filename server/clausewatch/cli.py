"""The `clausewatch` command: serve, analyze, rules check, eval."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .config import Settings


def _analyzer(settings: Settings):
    from .analyze import Analyzer
    return Analyzer.from_settings(settings)


@click.group()
def main():
    """clausewatch: find the clauses of terms and privacy policies that can hurt you."""


@main.command()
@click.option("--port", type=int, help="Port on 127.0.0.1 (default 8787).")
@click.option("--data-dir", type=click.Path(path_type=Path), help="Where the history database lives.")
@click.option("--no-watch", is_flag=True, help="Do not fetch known vendors' policies on a schedule.")
def serve(port, data_dir, no_watch):
    """Start the local server (loopback only) that the browser extension talks to."""
    from .serve import run
    settings = Settings.from_env(port=port, data_dir=data_dir, watch=False if no_watch else None)
    run(settings)


def _read_source(source: str) -> tuple[str, str]:
    """(content, url) of a file, '-' (stdin) or an http(s) URL."""
    if source == "-":
        return sys.stdin.read(), ""
    if source.startswith(("http://", "https://")):
        from .fetch import fetch
        return fetch(source).text, source
    return Path(source).read_text(encoding="utf-8", errors="replace"), Path(source).resolve().as_uri()


@main.command()
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
@click.option("--text", "as_text", is_flag=True, help="Treat the input as plain text, not HTML.")
def analyze(source, as_json, as_text):
    """Analyse a terms page: a file PATH, a URL, or - for standard input."""
    from .extract import ExtractionError
    from .pdf import read_pdf_file
    from .render import terminal_report
    pdf = read_pdf_file(source)  # a .pdf file (or one that starts with %PDF) is read by pdf.py
    content, url = ("", Path(source).resolve().as_uri()) if pdf is not None else _read_source(source)
    is_html = not as_text and ("<" in content[:2000] and ">" in content[:2000])
    try:
        analysis = _analyzer(Settings.from_env()).analyze(
            html=content if is_html else None, text=None if is_html or pdf is not None else content, url=url, pdf=pdf, gate=True)
    except ExtractionError as exc:
        raise click.ClickException(str(exc)) from None
    if as_json:
        click.echo(json.dumps({"status": analysis.status, "message": analysis.screening.get("message"),
                               "document": analysis.document, "grade": analysis.grade,
                               "findings": [f.to_dict() for f in analysis.findings]}, indent=2))
    elif analysis.status != "analysed":  # not English or not a policy: say why, no grade (screen.py)
        click.echo(f"{analysis.document['title'] or url}\n{analysis.screening['message']}.")
    else:
        click.echo(terminal_report(analysis, color=sys.stdout.isatty()))


@main.group()
def rules():
    """Work with the rule files."""


@rules.command("check")
def rules_check():
    """Run every rule's examples and lint the rules; exit 1 on any problem."""
    from .rulecheck import check_rule
    from .rules import RuleError, load_rules
    settings = Settings.from_env()
    try:
        loaded, warnings = load_rules(settings.rules_dir, settings.user_rules_dir)
    except RuleError as exc:
        raise click.ClickException(str(exc)) from None
    problems = [p for rule in loaded for p in check_rule(rule, backtracking=True)]
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    for p in problems:
        click.echo(p)
    examples = sum(len(r.examples_match) + len(r.examples_no_match) for r in loaded)
    click.echo(f"{len(loaded)} rules, {examples} examples, {len(problems)} problems")
    sys.exit(1 if problems else 0)


@main.command("eval")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the figures as one JSON object.")
def eval_(file, as_json):
    """Per-label precision, recall and F1 of the analysis on an annotated JSONL file."""
    from .evaluate import EvalError, evaluate, format_table, read_jsonl
    try:
        result = evaluate(_analyzer(Settings.from_env()), read_jsonl(file))
    except EvalError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(result) if as_json else format_table(result))


from .cli_history import register  # noqa: E402 - after `main` exists: adds `watch` and `history`
register(main)


if __name__ == "__main__":
    main()
