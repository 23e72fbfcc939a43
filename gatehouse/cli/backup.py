"""``gatehouse backup`` and ``gatehouse restore``: a portable snapshot, never with the key."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlalchemy.exc import SQLAlchemyError

from gatehouse.cli.common import console, err, load_settings
from gatehouse.domain.errors import GatehouseError
from gatehouse.vault import Keyring, load_keyring

__all__ = ["backup", "restore"]


def _keyring_or_exit() -> Keyring:
    settings = load_settings()
    try:
        return load_keyring(settings.environ, settings.key_file)
    except GatehouseError as exc:
        err.print(f"[red]{exc.code}:[/] {escape(exc.message)}", soft_wrap=True)
        raise typer.Exit(2) from None


@contextmanager
def _tables_bar(label: str) -> Iterator[Callable[[str, int, int], None]]:
    with Progress(
        TextColumn(label),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
    ) as bar:
        task = bar.add_task("", total=None)
        yield lambda table, done, total: bar.update(
            task, description=table, completed=done, total=total
        )


def _fail(exc: GatehouseError) -> typer.Exit:
    err.print(f"[red]{exc.code}:[/] {escape(exc.message)}", soft_wrap=True)
    return typer.Exit(1)


def _unreachable(exc: SQLAlchemyError) -> typer.Exit:
    # The error's class only: its message may quote a URL with a password in it.
    err.print(f"[red]database error:[/] {type(exc).__name__}", soft_wrap=True)
    return typer.Exit(1)


def backup(
    out: Annotated[Path, typer.Option("--out", help="The backup file to create.")],
    key_out: Annotated[
        Path | None,
        typer.Option("--key-out", help="Also copy the master keys to this new key file."),
    ] = None,
) -> None:
    """Write a consistent, portable snapshot of the database to OUT (the master key is
    never in it)."""
    from gatehouse.services.backup import backup as run_backup
    from gatehouse.services.backup import export_key_file

    settings = load_settings()
    keyring = _keyring_or_exit()
    if key_out is not None and (key_out.exists() or not key_out.parent.is_dir()):
        # Checked first, so a key file that cannot be written leaves no backup behind either.
        err.print(
            f"[red]--key-out:[/] {escape(str(key_out))} already exists or its folder does not",
            soft_wrap=True,
        )
        raise typer.Exit(2)
    try:
        with _tables_bar("backing up") as progress:
            report = run_backup(
                settings.database_url,
                keyring,
                out,
                now=datetime.now(UTC),
                progress=progress,
                archive_dir=settings.archive_dir,
            )
    except GatehouseError as exc:
        raise _fail(exc) from None
    except SQLAlchemyError as exc:
        raise _unreachable(exc) from None
    console.print(
        f"backed up {report.rows} rows of {report.tables} tables at schema revision"
        f" {report.revision} and {report.archives} ledger archive files to {escape(str(out))};"
        f" master key {report.master_key.current} is NOT in it",
        soft_wrap=True,
    )
    if key_out is not None:
        try:
            export_key_file(keyring, key_out)
        except GatehouseError as exc:
            raise _fail(exc) from None
        err.print(
            f"[yellow]wrote the master keys to {escape(str(key_out))}: store this file apart"
            " from the backup (another place, other people); whoever holds both can read"
            " every customer's data[/]",
            soft_wrap=True,
        )


def restore(
    source: Annotated[Path, typer.Option("--from", help="The backup file to restore.")],
    database_url: Annotated[
        str, typer.Option("--database-url", help="An empty database to restore into.")
    ],
    allow_other_key: Annotated[
        bool,
        typer.Option(
            "--allow-other-key",
            help="Restore even when the master key given is not the backup's: its data "
            "will not decrypt.",
        ),
    ] = False,
    archive_dir: Annotated[
        Path | None,
        typer.Option(
            "--archive-dir",
            help="Where to put the backup's ledger archive files (default:"
            " GATEHOUSE_ARCHIVE_DIR); needed when it holds any.",
            file_okay=False,
        ),
    ] = None,
) -> None:
    """Restore a backup into an empty database, with the master key it was made under
    (GATEHOUSE_MASTER_KEY or GATEHOUSE_KEY_FILE), and its ledger archive files."""
    from gatehouse.services.backup import restore as run_restore

    keyring = _keyring_or_exit()
    archive_dir = archive_dir or load_settings().archive_dir
    try:
        with _tables_bar("restoring") as progress:
            report = run_restore(
                source,
                database_url,
                keyring,
                allow_other_key=allow_other_key,
                progress=progress,
                archive_dir=archive_dir,
            )
    except GatehouseError as exc:
        raise _fail(exc) from None
    except SQLAlchemyError as exc:
        raise _unreachable(exc) from None
    console.print(
        f"restored {report.rows} rows of {report.tables} tables at schema revision"
        f" {report.revision} and {report.archives} ledger archive files; every table matches"
        " the backup's counts and checksums",
        soft_wrap=True,
    )
