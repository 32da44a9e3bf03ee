"""What one running clausewatch is made of, built from the settings: the analyzer, the history,
the vendor list and the watcher. The CLI and the web layer both wire themselves from here, so
neither needs the other to open the history or fetch a vendor."""

from __future__ import annotations

from dataclasses import dataclass

from .core.analyze import Analyzer
from .history.store import Store
from .settings import Settings
from .vendors.catalog import Vendors, load_vendors
from .vendors.watcher import Watcher


@dataclass
class Services:
    settings: Settings
    analyzer: Analyzer
    store: Store
    vendors: Vendors
    watcher: Watcher | None = None


def build_analyzer(settings: Settings) -> Analyzer:
    """The analyzer the settings describe, extracting in-process (the server caps it further:
    web/app.build_server_analyzer)."""
    return Analyzer.load(settings.rules_dir, settings.user_rules_dir, use_model=settings.use_model,
                         model_threads=settings.model_threads, model_max_clauses=settings.model_max_clauses,
                         max_seconds=settings.analysis_seconds)


def open_services(settings: Settings, analyzer: Analyzer) -> Services:
    """The history and the vendor list for `analyzer`, with a watcher over them (not started)."""
    services = Services(settings=settings, analyzer=analyzer, store=Store(settings.db_path),
                        vendors=load_vendors(settings.vendors_path))
    services.watcher = Watcher(services)
    return services
