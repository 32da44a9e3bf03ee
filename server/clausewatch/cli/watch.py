"""`clausewatch watch`: one round of the vendor watcher, from the command line."""

from __future__ import annotations

import json
import logging
import sys

import click

from ..settings import Settings
from .terminal_report import plural


def _services(settings: Settings):
    # Imported here: `clausewatch --help` should not load the model's libraries.
    from ..history.store import StoreError
    from ..services import build_analyzer, open_services
    from ..web.extraction_pool import cap_extraction
    # Vendor pages are read in the capped, network-less extraction workers, as the server reads them.
    try:
        return open_services(settings, cap_extraction(build_analyzer(settings), settings))
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
    from ..vendors.watcher import log as watcher_log
    watcher_log.setLevel(logging.ERROR)
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
