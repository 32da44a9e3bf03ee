"""Packs the extension for both browsers: a zip for Chrome and an xpi (also a zip) for Firefox.

Both hold the same files: what the browser loads, never what only development needs (the lint
list in package.json names the same paths). The archives are reproducible: sorted names and one
fixed timestamp, so the same source gives the same bytes.

    python extension/tools/package.py OUT_DIR     # writes clausewatch-<version>-chrome.zip and -firefox.xpi
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from pathlib import Path

EXTENSION = Path(__file__).resolve().parents[1]
# Development only: Node tooling, unit tests, this script, the dev launcher and its notes.
LEFT_OUT = {"node_modules", "test", "tools", "package.json", "package-lock.json", "README.md", "try.py"}
FIXED_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can record


def shipped_files(extension: Path = EXTENSION) -> list[Path]:
    """The extension's files as the browser loads them, relative to `extension`, sorted."""
    out = []
    for root, dirs, files in os.walk(extension):  # prunes node_modules instead of walking it
        top = Path(root) == extension
        dirs[:] = [d for d in dirs if not (d.startswith(".") or d == "__pycache__" or (top and d in LEFT_OUT))]
        out += [Path(root, f).relative_to(extension) for f in files
                if not (f.startswith(".") or (top and f in LEFT_OUT))]
    return sorted(out)


def write_archive(dest: Path, extension: Path = EXTENSION) -> Path:
    """One zip of shipped_files(), manifest.json at its root (both browsers require that)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for rel in shipped_files(extension):
            info = zipfile.ZipInfo(rel.as_posix(), FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, (extension / rel).read_bytes())
    return dest


def build(out_dir: Path, extension: Path = EXTENSION) -> dict[str, Path]:
    """{"chrome": the zip, "firefox": the xpi} in out_dir."""
    version = json.loads((extension / "manifest.json").read_text(encoding="utf-8"))["version"]
    return {"chrome": write_archive(out_dir / f"clausewatch-{version}-chrome.zip", extension),
            "firefox": write_archive(out_dir / f"clausewatch-{version}-firefox.xpi", extension)}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    for path in build(Path(sys.argv[1])).values():
        print(path)
