"""The pure core: page -> text -> clauses -> findings -> grade. No Flask, no SQLite, no network."""
