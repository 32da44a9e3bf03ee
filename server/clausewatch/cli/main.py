"""The `clausewatch` command: serve, analyze, rules check, eval."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ..core.taxonomy import SEVERITIES
from ..settings import Settings, clausewatch_environment
from .history import history
from .watch import watch


def _analyzer(settings: Settings):
    from ..services import build_analyzer
    return build_analyzer(settings)


# One line on stderr and these exit codes, for every command (documented in `clausewatch -h`).
EXIT_NOT_GRADED = 3
CONTEXT = {"help_option_names": ["-h", "--help"]}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("clausewatch")
    except PackageNotFoundError:  # run from a checkout without `pip install -e server`
        return "unknown"


@click.group(context_settings=CONTEXT, epilog="Exit status: 0 done, 1 error (one line on stderr), "
             "2 bad usage, 3 the page was read but not graded (not a policy, or not in English).")
@click.version_option(_version(), "--version", prog_name="clausewatch", message="%(prog)s %(version)s")
def main():
    """clausewatch: find the clauses of terms and privacy policies that can hurt you."""


@main.command()
@click.option("--port", type=click.IntRange(1, 65535), help="Port on 127.0.0.1 (default 8787).")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), help="Where the history database lives.")
@click.option("--no-watch", is_flag=True, help="Do not fetch known vendors' policies on a schedule.")
def serve(port, data_dir, no_watch):
    """Start the local server (loopback only) that the browser extension talks to."""
    from ..web.serve import run
    settings = _serve_settings(port, data_dir, no_watch)
    _check_port_free(settings.port)
    try:
        run(settings)
    except OSError as exc:  # lost the race for the port after the check, or another bind error
        raise click.ClickException(f"cannot listen on 127.0.0.1:{settings.port}: {exc.strerror or exc}") from None


def _serve_settings(port, data_dir, no_watch) -> Settings:
    try:
        settings = Settings.from_env(port=port, data_dir=data_dir, watch=False if no_watch else None)
    except ValueError as exc:  # CLAUSEWATCH_PORT=abc
        raise click.ClickException(f"bad setting: {exc}") from None
    if not 1 <= settings.port <= 65535:  # from CLAUSEWATCH_PORT: never fall back to another port
        raise click.ClickException(f"port {settings.port} is out of range (1-65535)")
    return settings


def _check_port_free(port: int) -> None:
    """Fail before loading the rules when another program holds the port (a second server, say)."""
    from ..vendors.fetch import bind_error  # the one module that touches sockets (tests/test_privacy.py)
    exc = bind_error("127.0.0.1", port)
    if exc is not None:
        raise click.ClickException(f"cannot listen on 127.0.0.1:{port}: {exc.strerror or exc} "
                                   "(is clausewatch already running? try --port)")


def _document_json(analysis, findings) -> dict:
    return {"status": analysis.status, "message": analysis.screening.get("message"),
            "document": analysis.document, "grade": analysis.grade,
            "findings": [f.to_dict() for f in findings]}


@main.command()
@click.argument("source")
@click.option("--json", "as_json", is_flag=True, help="Print the analysis as JSON.")
@click.option("--text", "as_text", is_flag=True, help="Treat the input as plain text, not HTML.")
@click.option("--min-severity", type=click.Choice(SEVERITIES),
              help="Show only risks of this severity or worse (protections are then left out).")
@click.option("--limit", type=click.IntRange(min=1), metavar="N",
              help="Quote at most N clauses per category; the rest are counted.")
@click.option("--explain", is_flag=True, help="Also show which rule matched each clause, and where.")
def analyze(source, as_json, as_text, min_severity, limit, explain):
    """Analyse a terms page: a file PATH, an http(s) URL, or - for standard input."""
    from .source import InputError, read_source
    from ..core.extract import ExtractionError
    from .terminal_report import Options, groups, terminal_report
    try:
        src = read_source(source)
    except InputError as exc:
        raise click.ClickException(str(exc)) from None
    is_html = src.text is not None and not as_text and "<" in src.text[:2000] and ">" in src.text[:2000]
    try:
        analysis = _analyzer(Settings.from_env()).analyze(
            html=src.text if is_html else None, text=None if is_html else src.text, url=src.url,
            pdf=src.pdf, gate=True)
    except ExtractionError as exc:
        raise click.ClickException(f"{src.name}: {exc}") from None
    if as_json:
        chosen = analysis.findings
        if min_severity:  # the same choice as the text report; the grade is still the whole page's
            chosen = [f for fs in groups(analysis.findings, min_severity) for f in fs]
        click.echo(json.dumps(_document_json(analysis, chosen), indent=2))
    elif analysis.status == "analysed":
        click.echo(terminal_report(analysis, Options(min_severity, limit, explain, color=sys.stdout.isatty())))
    if analysis.status != "analysed":
        # Not English or not a policy (screen.py): no grade, and a status scripts can tell apart.
        # With --json the status and message are in the JSON, and the streams stay pure JSON.
        if not as_json:
            click.echo(f"{src.name}: {_not_graded(analysis.screening)}", err=True)
        sys.exit(EXIT_NOT_GRADED)


def _not_graded(screening: dict) -> str:
    from ..core.language import NAMES
    if screening.get("status") == "unsupported_language" and screening.get("language") not in NAMES:
        # langid's guess for base64, hex dumps and keyboard mashing ("zxx", "la", ...): not a language
        # the reader would recognise, so say what it is for them.
        return "this doesn't look like terms or a privacy policy (no language clausewatch recognises)"
    return screening["message"]


@main.group()
def rules():
    """Work with the rule files."""


@rules.command("check")
def rules_check():
    """Run every rule's examples and lint the rules; exit 1 on any problem."""
    from ..core.rulecheck import rule_problems
    from ..core.rules import RuleError, load_rules
    settings = Settings.from_env()
    try:
        loaded, warnings = load_rules(settings.rules_dir, settings.user_rules_dir)
    except RuleError as exc:
        raise click.ClickException(str(exc)) from None
    if all(rule.user for rule in loaded):
        # An install that lost its rules would otherwise pass: "0 rules, 0 problems".
        raise click.ClickException(f"no built-in rule found in {settings.rules_dir}")
    problems = [p for rule in loaded for p in rule_problems(rule, backtracking=True)]
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
    from ..core.evaluate import EvalError, evaluate, format_table, read_jsonl
    try:
        result = evaluate(_analyzer(Settings.from_env()), read_jsonl(file))
    except EvalError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(json.dumps(result) if as_json else format_table(result))


@main.group()
def service():
    """Start the server at login: a systemd user unit (Linux) or a launchd agent (macOS)."""


FILE_ONLY = click.option("--file-only", is_flag=True,
                         help="Only write or remove the file; do not ask systemd or launchd to load it.")


@service.command("install")
@click.option("--port", type=click.IntRange(1, 65535), help="Port on 127.0.0.1 (default 8787).")
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), help="Where the history database lives.")
@click.option("--no-watch", is_flag=True, help="Do not fetch known vendors' policies on a schedule.")
@FILE_ONLY
def service_install(port, data_dir, no_watch, file_only):
    """Run `clausewatch serve` at every login (with these options and this shell's CLAUSEWATCH_*
    settings), and start it now."""
    from . import service as svc
    settings = _serve_settings(port, data_dir, no_watch)
    try:
        kind = svc.default_kind()
        argv = svc.server_command(svc.clausewatch_executable(), settings.port, settings.data_dir, settings.watch)
        path = svc.install(kind, Path.home(), argv, svc.settings_env(clausewatch_environment(), settings.user_rules_dir),
                           start=not file_only)
    except svc.ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    done = "wrote" if file_only else "installed and started"
    click.echo(f"{done} {path}: clausewatch serves on http://127.0.0.1:{settings.port} after each login")


@service.command("uninstall")
@FILE_ONLY
def service_uninstall(file_only):
    """Stop the service and remove it; nothing to do when it is not installed."""
    from . import service as svc
    try:
        kind = svc.default_kind()
        removed = svc.uninstall(kind, Path.home(), stop=not file_only)
    except svc.ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"removed {svc.service_path(kind, Path.home())}" if removed else "not installed: nothing to remove")


@service.command("status")
def service_status():
    """Whether the service is installed and running, and its port. Exit status: 0 running,
    3 installed but not running, 4 not installed, 1 error."""
    from . import service as svc
    from ..vendors.fetch import bind_error  # the one module that touches sockets (tests/test_privacy.py)
    try:
        state = svc.status(svc.default_kind(), Path.home())
    except svc.ServiceError as exc:
        raise click.ClickException(str(exc)) from None
    if not state.installed:
        click.echo(f"not installed ({state.path} is absent)")
        sys.exit(4)
    running, how = state.running, "the service manager says so"
    if running is None and state.port:  # no user manager to ask (a container, an ssh session)
        running = bind_error("127.0.0.1", state.port) is not None
        how = f"no service manager answered; port {state.port} is {'taken' if running else 'free'}"
    click.echo(f"installed: {state.path}\nrunning: {'yes' if running else 'no'} ({how})\nport: {state.port}")
    sys.exit(0 if running else 3)


main.add_command(watch)
main.add_command(history)


if __name__ == "__main__":
    main()
