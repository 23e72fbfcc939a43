"""``gatehouse ledger``: verify the ledger and sign checkpoints from the command line."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from gatehouse.cli.common import console, err, load_settings, open_or_exit
from gatehouse.domain.errors import GatehouseError
from gatehouse.ledger import VerifyResult, key_fingerprint

__all__ = ["archive", "checkpoint", "keep_days", "ledger_app", "verify"]

ledger_app = typer.Typer(
    help=(
        "The tamper-evident ledger: verify it, sign checkpoints, keep each day's audit,"
        " archive old entries."
    ),
    no_args_is_help=True,
)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


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
    trusted: Annotated[
        Path | None,
        typer.Option(
            "--trusted",
            help="A checkpoint saved earlier, elsewhere (the well-known document or an anchor"
            " file): fail unless the ledger is a consistent extension of it.",
            dir_okay=False,
        ),
    ] = None,
    anchors: Annotated[
        Path | None,
        typer.Option(
            "--anchors",
            help="A directory of published checkpoints to hold the ledger to"
            " (default: GATEHOUSE_CHECKPOINT_DIR).",
            file_okay=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Processes that scan the shards (default: one per core for a large ledger).",
        ),
    ] = None,
) -> None:
    """Re-check every entry, chain, shard head and checkpoint, and the ledger against every
    checkpoint published outside the database; exit 1 if it does not verify."""
    from gatehouse.services import ledger_verify

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
            result = ledger_verify.verify(
                gh,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
                trusted=trusted,
                anchors=anchors,
                workers=workers,
            )
    except GatehouseError as exc:
        err.print(f"[red]{exc.code}:[/] {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(2) from None
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
    except GatehouseError as exc:
        err.print(f"[red]{exc.code}:[/] {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        gh.close()
    size = sum(head.size for head in signed.shards)
    console.print(f"checkpoint #{signed.sequence}: {size} entries", soft_wrap=True)
    console.print(f"root: {signed.root}", soft_wrap=True)
    console.print(f"public key: {key}", soft_wrap=True)
    console.print(f"public key sha256: {key_fingerprint(key)}", soft_wrap=True)


@ledger_app.command("keep-days")
def keep_days() -> None:
    """Fold and keep each whole day the latest checkpoint covers, verified and signed, and
    settle each calendar month whose days are all kept, so that an audit of whole days or
    of a month reads what is kept instead of the entries; print what was kept."""
    from gatehouse.services.audit_days import keep_days as keep
    from gatehouse.services.audit_months import keep_months

    gh = open_or_exit(load_settings())
    try:
        with Progress(
            TextColumn("keeping {task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=err,
        ) as bar:  # fmt: skip
            days_task = bar.add_task("days", total=None)
            kept = keep(
                gh, progress=lambda done, total: bar.update(days_task, completed=done, total=total)
            )
            months_task = bar.add_task("months", total=None)
            months = keep_months(
                gh,
                progress=lambda done, total: bar.update(months_task, completed=done, total=total),
            )
    except GatehouseError as exc:
        err.print(f"[red]{exc.code}:[/] {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        gh.close()
    if kept:
        console.print(f"kept {len(kept)} days, {kept[0]} to {kept[-1]}", soft_wrap=True)
    else:
        console.print("no day to keep: each whole day the latest checkpoint covers is kept")
    if months:
        first, last = f"{months[0]:%Y-%m}", f"{months[-1]:%Y-%m}"
        console.print(f"settled {len(months)} months, {first} to {last}", soft_wrap=True)


def _cut_off(text: str) -> datetime:
    try:
        if not _DAY.fullmatch(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError:
        err.print(f"[red]--before:[/] {escape(text)} is not a date (YYYY-MM-DD)", soft_wrap=True)
        raise typer.Exit(2) from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@ledger_app.command("archive")
def archive(
    before: Annotated[
        str,
        typer.Option("--before", help="Archive entries stamped before this day (YYYY-MM-DD, UTC)."),
    ],
    directory: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            help="The directory of the archive files (default: GATEHOUSE_ARCHIVE_DIR).",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Move each shard's entries stamped before a day, and covered by a signed checkpoint,
    out of the database into Parquet files; a rerun archives only what is new."""
    from gatehouse.services import ledger_archive

    cut = _cut_off(before)
    settings = load_settings()
    where = directory or settings.archive_dir
    if where is None:
        err.print("[red]no archive directory:[/] give --dir or set GATEHOUSE_ARCHIVE_DIR")
        raise typer.Exit(2)
    gh = open_or_exit(settings)
    try:
        with Progress(
            TextColumn("archiving ledger"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
        ) as bar:
            task = bar.add_task("archive", total=None)
            report = ledger_archive.archive(
                gh,
                cut,
                where,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
    except GatehouseError as exc:
        err.print(f"[red]{exc.code}:[/] {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(1) from None
    finally:
        gh.close()
    console.print(
        f"archived {report.entries} entries in {len(report.records)} files to {escape(str(where))}",
        soft_wrap=True,
    )
    for record in report.records:
        console.print(
            f"shard {record.shard}: entries {record.first}..{record.last} in {record.file_name}"
            f" (sha256 {record.sha256})",
            soft_wrap=True,
        )
