"""What every ``gatehouse`` command shares: the consoles, the settings and opening Gatehouse."""

from __future__ import annotations

import typer
from rich.console import Console

from gatehouse.config import Settings
from gatehouse.domain.errors import GatehouseError
from gatehouse.rules import RulePackError
from gatehouse.services.runtime import Clock, Gatehouse, open_gatehouse, system_clock

__all__ = ["console", "err", "load_settings", "open_or_exit"]

console = Console()
err = Console(stderr=True)


def load_settings() -> Settings:
    """Read the settings from the environment."""
    return Settings.from_env()


def open_or_exit(settings: Settings, *, clock: Clock = system_clock) -> Gatehouse:
    """Open Gatehouse, or print why it cannot start and exit with status 2."""
    try:
        return open_gatehouse(settings, clock=clock)
    except RulePackError as exc:
        err.print(f"[red]rule pack error:[/] {exc}")
        raise typer.Exit(2) from None
    except GatehouseError as exc:
        err.print(f"[red]{exc.code}:[/] {exc.message}")
        raise typer.Exit(2) from None
