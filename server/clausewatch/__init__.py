"""clausewatch: find the clauses of terms and privacy policies that can hurt you.

The subpackages, from the bottom up (DEVELOPERS.md has the map; tests/test_layout.py keeps it so):
core (the pure pipeline: no Flask, no SQLite, no network), history (the SQLite store and diffs),
vendors (the known vendors and the watcher that fetches them), then services (wiring from
settings), web (the Flask app and the server) and cli (the `clausewatch` command).
"""
