"""What every ``gatehouse`` command shares: the consoles, the settings and opening Gatehouse."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gatehouse.config import Settings
from gatehouse.domain.errors import GatehouseError
from gatehouse.rules import RulePackError
from gatehouse.services.runtime import Clock, Gatehouse, open_gatehouse, system_clock

__all__ = ["console", "err", "load_settings", "open_or_exit", "over_the_ledger"]

T = TypeVar("T")
LedgerProgress = Callable[[int, int], None]

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


def over_the_ledger(work: Callable[[Gatehouse, LedgerProgress], T]) -> T:
    """Open Gatehouse and run ``work`` with a progress bar over the ledger's entries, then
    close it; a Gatehouse error exits 1 with its code."""
    gh = open_or_exit(load_settings())
    try:
        with Progress(
            TextColumn("reading ledger"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as bar:
            task = bar.add_task("ledger", total=None)
            return work(gh, lambda done, total: bar.update(task, completed=done, total=total))
    except GatehouseError as exc:
        err.print(f"[red]{exc.code}:[/] {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        gh.close()
