"""``gatehouse ledger``: verify the ledger and sign checkpoints from the command line."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gatehouse.cli.common import console, err, load_settings, open_or_exit
from gatehouse.ledger import VerifyResult

__all__ = ["checkpoint", "ledger_app", "verify"]

ledger_app = typer.Typer(
    help="The tamper-evident ledger: verify it and sign checkpoints.", no_args_is_help=True
)


def _report(result: VerifyResult) -> None:
    if result.ok:
        console.print(f"[green]ok[/]: the ledger verifies ({result.entries} entries)")
        return
    bad = result.first_bad
    console.print(f"[red]NOT OK[/]: the ledger does not verify ({result.entries} entries read)")
    if bad is None:
        return
    if bad.shard < 0:
        where = "first problem: the checkpoints"
    elif bad.seq < 0:
        where = f"first problem: shard {bad.shard}"
    else:
        where = f"first bad entry: shard {bad.shard}, seq {bad.seq}"
    # soft_wrap keeps each line whole, so scripts can grep for the shard and seq.
    console.print(where, soft_wrap=True)
    console.print(f"reason: {escape(bad.reason)}", soft_wrap=True)


@ledger_app.command("verify")
def verify(
    as_json: Annotated[
        bool, typer.Option("--json", help="Print {ok, entries, first_bad} as JSON.")
    ] = False,
) -> None:
    """Re-check every entry, chain, shard head and checkpoint; exit 1 if it does not verify."""
    from gatehouse.services import ledger as ledger_service

    gh = open_or_exit(load_settings())
    try:
        # On stderr, so that stdout carries only the verdict (or the JSON).
        with Progress(
            TextColumn("verifying ledger"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            disable=as_json,
        ) as bar:
            task = bar.add_task("verify", total=None)
            result = ledger_service.verify(
                gh, progress=lambda done, total: bar.update(task, completed=done, total=total)
            )
    finally:
        gh.close()
    if as_json:
        print(json.dumps(result.to_dict()))
    else:
        _report(result)
    if not result.ok:
        raise typer.Exit(1)


@ledger_app.command("checkpoint")
def checkpoint() -> None:
    """Sign every shard's current head as the next checkpoint; print its sequence and root."""
    from gatehouse.services import ledger as ledger_service

    gh = open_or_exit(load_settings())
    try:
        signed = ledger_service.make_checkpoint(gh)
        key = ledger_service.public_key(gh)
    finally:
        gh.close()
    size = sum(head.size for head in signed.shards)
    console.print(f"checkpoint #{signed.sequence}: {size} entries", soft_wrap=True)
    console.print(f"root: {signed.root}", soft_wrap=True)
    console.print(f"public key: {key}", soft_wrap=True)
