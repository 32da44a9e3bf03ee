"""How long loading rules/vendors.yaml and one badge lookup take; writes bench/vendors.md.

    PYTHONPATH=server nice -n 10 .venv/bin/python bench/vendors.py

The lookup is Vendors.for_host: a dict by domain, walked from the full host up to the registrable
domain. Hosts are a mix of vendor hosts, their subdomains and unknown hosts, as a browser sees them.
"""

from __future__ import annotations

import platform
import statistics
import time
from pathlib import Path

from clausewatch.vendors.catalog import load_vendors

REPO = Path(__file__).resolve().parents[1]
PATH = REPO / "rules" / "vendors.yaml"


def main() -> None:
    loads = []
    for _ in range(20):
        t = time.perf_counter()
        vendors = load_vendors(PATH)
        loads.append(time.perf_counter() - t)
    hosts = [h for v in vendors.items for d in v.domains for h in (d, f"www.{d}", f"a.b.{d}", f"x{d}.example")]
    rounds = 20
    t = time.perf_counter()
    for _ in range(rounds):
        for h in hosts:
            vendors.for_host(h)
    per_lookup = (time.perf_counter() - t) / (rounds * len(hosts))
    domains = sum(len(v.domains) for v in vendors.items)
    text = f"""# Vendor list: load and badge lookup

Measured by `PYTHONPATH=server nice -n 10 python bench/vendors.py` on {platform.python_implementation()}
{platform.python_version()}, a shared 2-core machine (a training run beside it), so figures are upper bounds.

| what | figure |
|---|---|
| vendors / domains | {len(vendors)} / {domains} |
| load `rules/vendors.yaml` (parse, validate, index), median of 20 | {statistics.median(loads) * 1000:.1f} ms |
| load, slowest of 20 | {max(loads) * 1000:.1f} ms |
| `for_host` lookup, mean over {len(hosts)} hosts x {rounds} | {per_lookup * 1e6:.2f} µs |

The load happens once per server start; the lookup once per `/api/site` request.
"""
    (REPO / "bench" / "vendors.md").write_text(text, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
