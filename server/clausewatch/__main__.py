"""`python -m clausewatch`, the same as the `clausewatch` command."""

from .cli import main

main()
