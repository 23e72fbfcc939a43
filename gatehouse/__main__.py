"""``python -m gatehouse`` runs the CLI."""

from gatehouse.cli import main

main()
