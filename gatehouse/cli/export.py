"""``gatehouse export``: the evidence bundle an auditor verifies offline."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from gatehouse.cli.common import console, err, over_the_ledger

__all__ = ["export", "parse_day"]


def parse_day(text: str, option: str) -> date:
    """A calendar day given as YYYY-MM-DD, or exit 2 naming the option."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(f"[red]invalid {option}:[/] expected YYYY-MM-DD, got {escape(text)!r}")
        raise typer.Exit(2) from None


def export(
    start: Annotated[str, typer.Option("--from", help="First day (UTC), YYYY-MM-DD.")],
    end: Annotated[str, typer.Option("--to", help="Last day (UTC), YYYY-MM-DD, included.")],
    out: Annotated[Path, typer.Option("--out", help="A new or empty folder for the bundle.")],
) -> None:
    """Write the ledger entries of the window, with their signed checkpoint, public key,
    policy versions and a stand-alone verifier, into OUT."""
    from gatehouse.services.audit_report import day_window
    from gatehouse.services.evidence_export import export_evidence

    window = day_window(parse_day(start, "--from"), parse_day(end, "--to"))
    summary = over_the_ledger(
        lambda gh, progress: export_evidence(gh, *window, out, progress=progress)
    )
    console.print(
        f"wrote {summary.entries} entries from {summary.shards} shards, tied to checkpoint"
        f" #{summary.checkpoint_sequence} (with the {summary.checkpoints} checkpoints since the"
        f" window began), and {summary.policy_versions} policy versions"
        f" to {escape(str(summary.out))}",
        soft_wrap=True,
    )
    if summary.uncovered:
        console.print(
            f"[yellow]left out {summary.uncovered} entries of the window newer than the"
            " checkpoint[/]: sign one (`gatehouse ledger checkpoint`) and export again",
            soft_wrap=True,
        )
    console.print(f"verify with: python {escape(str(out / 'verify.py'))}", soft_wrap=True)
