"""`clausewatch watch` (one round of the vendor watcher) and `clausewatch history` (versions, diffs, reset)."""

from __future__ import annotations

import json
import logging
import sys

import click

from .config import Settings
from .render import plural


def _services(settings: Settings):
    from .app import create_app
    from .store import StoreError
    try:
        return create_app(settings).extensions["clausewatch"]
    except StoreError as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@click.argument("vendors", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="Print each outcome and the counts as JSON.")
def watch(vendors, as_json):
    """Fetch known vendors' terms and privacy policies once (all, or the VENDOR ids given) and keep
    each new version in the history."""
    services = _services(Settings.from_env())
    watcher = services.watcher
    # Failures are listed below, once; the log line the server would write is not needed here.
    logging.getLogger("clausewatch.watch").setLevel(logging.ERROR)
    try:
        jobs = watcher.jobs(list(vendors) or None)
    except ValueError as exc:
        raise click.ClickException(f"{exc} (ids are in {services.settings.vendors_path})") from None
    outcomes = []
    with click.progressbar(length=len(jobs), label=f"Fetching {plural(len(jobs), 'policy', 'policies')}", file=sys.stderr) as bar:
        def progress(outcome):
            outcomes.append(outcome)
            bar.update(1)
        watcher.run_round(list(vendors) or None, progress=progress)
    counts = {s: sum(o.status == s for o in outcomes) for s in ("first", "changed", "unchanged", "failed", "skipped")}
    if as_json:
        click.echo(json.dumps({"counts": counts, "outcomes": [
            {"vendor": o.job.vendor, "doc_type": o.job.doc_type, "url": o.job.url, "status": o.status,
             "report_id": o.report_id, "error": o.error} for o in outcomes]}, indent=2))
    else:
        _print_outcomes(outcomes, counts)
    if outcomes and counts["failed"] + counts["skipped"] == len(outcomes):  # nothing fetched at all
        sys.exit(1)


def _print_outcomes(outcomes, counts) -> None:
    for o in sorted(outcomes, key=lambda o: (o.status != "changed", o.status != "failed", o.job.vendor)):
        where = f"{o.job.vendor} {o.job.doc_type} {o.job.url}"
        if o.status == "failed":
            click.echo(f"failed     {o.job.vendor} {o.job.doc_type}: {o.error}")
        elif o.status != "unchanged" or len(outcomes) <= 20:
            click.echo(f"{o.status:<10} {where}")
    click.echo(", ".join(f"{n} {s}" for s, n in counts.items()))


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
    from .diff import diff_versions
    store = _services(settings).store
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
    from .store import reset
    path = settings.db_path
    if not path.exists():
        click.echo(f"There is no history at {path}; nothing to reset.")
        return
    if not yes:
        click.confirm(f"Move {path} aside (it is kept as a backup next to it) and start an empty history? "
                      "Stop the server first.", abort=True)
    backup = reset(path)
    click.echo(f"Moved the old history to {backup}; the next start begins an empty one.")


def register(group: click.Group) -> None:
    group.add_command(watch)
    group.add_command(history)
