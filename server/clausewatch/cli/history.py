"""`clausewatch history`: the stored versions of each document, what changed between them, and reset."""

from __future__ import annotations

import json

import click

from ..history.diff import diff_versions
from ..history.store import Store, StoreError, reset
from ..settings import Settings
from .terminal_report import plural


def _print_diff(diff: dict, indent: str = "      ") -> None:
    click.echo(f"{indent}{diff['summary']}")
    for key in ("added", "changed", "removed"):
        for item in diff[key]:
            click.echo(f"{indent}  {item['summary']}")


@click.command()
@click.argument("vendor", required=False)
@click.option("--reset", is_flag=True, help="Move the history database aside (kept as a backup) and start afresh.")
@click.option("--yes", is_flag=True, help="Do not ask before --reset.")
@click.option("--json", "as_json", is_flag=True, help="Print the documents and their diffs as JSON.")
def history(vendor, reset, yes, as_json):
    """Print the stored versions of each document (or of one VENDOR's) and what changed between them."""
    settings = Settings.from_env()
    if reset:
        _reset(settings, yes)
        return
    try:
        store = Store(settings.db_path)  # the history alone: no analyzer, no server
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None
    documents = store.history(vendor)
    if not documents:
        # --json is JSON whatever the answer: a script reads an empty list, not a sentence.
        click.echo("[]" if as_json else f"No stored versions{' for ' + vendor if vendor else ''} in {settings.db_path}.")
        return
    out = []
    for doc in documents:
        versions = [store.version(version_id=v["id"]) for v in doc["versions"]]
        diffs = [diff_versions(a, b) for a, b in zip(versions, versions[1:])]
        if as_json:
            out.append({**doc, "diffs": diffs})
            continue
        name = f"{doc['vendor']} {doc['doc_type']}" if doc["vendor"] else doc["key"]
        click.echo(f"{name}  {doc['url']}  ({plural(len(versions), 'version')})")
        for i, v in enumerate(versions):
            seen = " (seen)" if v["id"] == doc["seen_version_id"] else ""
            click.echo(f"  {v['first_seen']}  grade {v['grade']['grade']}  {plural(len(v['findings']), 'finding')}  "
                       f"{v['source']}  report {v['report_id']}{seen}")
            if i + 1 < len(versions):
                _print_diff(diffs[i])
    if as_json:
        click.echo(json.dumps(out, indent=2, ensure_ascii=False))


def _reset(settings: Settings, yes: bool) -> None:
    path = settings.db_path
    if not path.exists():
        click.echo(f"There is no history at {path}; nothing to reset.")
        return
    if not yes:
        click.confirm(f"Move {path} aside (it is kept as a backup next to it) and start an empty history? "
                      "Stop the server first.", abort=True)
    backup = reset(path)
    click.echo(f"Moved the old history to {backup}; the next start begins an empty one.")
