"""``python -m gatehouse`` runs the CLI."""

from gatehouse.cli import main

if __name__ == "__main__":
    main()
