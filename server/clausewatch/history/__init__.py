"""The local history: every analysed version in SQLite, and what changed between versions."""
