"""The ``gatehouse`` command: one module per command group, assembled here."""

from __future__ import annotations

import typer

from gatehouse.cli import audit, backup, export, keys, ledger, setup, worker

__all__ = ["app", "main"]

app = typer.Typer(
    help="Gatehouse: privacy gateway for cross-border marketplaces.", no_args_is_help=True
)
app.command("init")(setup.init)
app.command("serve")(setup.serve)
app.command("demo")(setup.demo)
app.command("worker")(worker.run)
app.command("export")(export.export)
app.command("audit")(audit.audit)
app.command("backup")(backup.backup)
app.command("restore")(backup.restore)
app.add_typer(keys.keys_app, name="keys")
app.add_typer(ledger.ledger_app, name="ledger")


def main() -> None:
    """Entry point for ``python -m gatehouse``."""
    app()
