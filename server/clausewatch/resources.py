"""Where the data that ships with clausewatch lives.

The checkout's rules/ and extension manifest are the source of truth. A wheel carries copies of
them under clausewatch/data/ (written by server/setup.py, from SHIPPED below); an editable install
has no such folder and reads the checkout itself, so an edited rule counts without a reinstall.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SHIPPED = PACKAGE / "data"
CHECKOUT = PACKAGE.parents[1]  # server/clausewatch/ -> the repository root

# name under clausewatch/data/ -> its source, relative to the repository root
SHIPPED_FROM = {
    "rules": "rules",
    "extension-manifest.json": "extension/manifest.json",
}


def _locate(name: str) -> Path:
    shipped = SHIPPED / name
    return shipped if shipped.exists() else CHECKOUT / SHIPPED_FROM[name]


def rules_dir() -> Path:
    """The built-in rules; rules/vendors.yaml, the known vendors, sits among them."""
    return _locate("rules")


def extension_manifest() -> Path:
    """The extension's manifest.json, whose `key` pins the Chrome extension id the server allows."""
    return _locate("extension-manifest.json")
