"""Back up a Gatehouse database to a portable file, and restore it into an empty one.

The snapshot is consistent: on SQLite it is taken with sqlite3's online backup API (a file
copy of a live WAL database can miss committed pages), on PostgreSQL it is read inside one
serializable, read-only, deferrable transaction. Either way the tables are then written
one by one, in foreign-key order, in the format of :mod:`gatehouse.services.backup_format`,
which restores into either engine.

The master key is never in the backup: the manifest names the ids of the keys the data is
wrapped under, and a restore refuses a keyring that lacks them unless told otherwise.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, MetaData, Table, create_engine, func, select
from sqlalchemy.engine import make_url

from gatehouse.domain.errors import Conflict, GatehouseError
from gatehouse.services.backup_archive import back_up_archives, restore_archives
from gatehouse.services.backup_format import (
    MANIFEST,
    SEAL,
    BackupInvalid,
    ColumnSpec,
    KeyIds,
    Manifest,
    RowsDigest,
    TableSpec,
    codec_for,
    encode_row,
    read_manifest,
    read_member,
    read_rows,
    write_manifest,
    write_member,
)
from gatehouse.services.backup_schema import migrate_to, reset_sequences
from gatehouse.services.backup_seal import check_seal, seal
from gatehouse.store.db import is_sqlite, make_engine
from gatehouse.vault import Keyring, write_key_file

__all__ = [
    "BackupKeyMismatch",
    "BackupReport",
    "TargetNotEmpty",
    "TableProgress",
    "backup",
    "export_key_file",
    "restore",
    "read_backup_manifest",
]

# Called with the table just finished, how many are done, and how many there are.
TableProgress = Callable[[str, int, int], None]
_VERSION_TABLE = "alembic_version"
_BATCH = 1000


class BackupKeyMismatch(GatehouseError):
    """The master key given to a restore is not the one the backup's data is wrapped under."""

    code = "backup_key_mismatch"


class TargetNotEmpty(Conflict):
    """A restore goes only into a database with no tables at all."""

    code = "target_not_empty"


@dataclass(frozen=True)
class BackupReport:
    """What a backup or a restore covered."""

    revision: str
    tables: int
    rows: int
    master_key: KeyIds
    # Ledger archive files carried beside the tables.
    archives: int = 0


def _no_progress(_table: str, _done: int, _total: int) -> None:
    return None


@contextlib.contextmanager
def _snapshot_engine(url: str, scratch_dir: Path) -> Iterator[Engine]:
    """An engine on a consistent copy (SQLite), made in ``scratch_dir``, or on the database
    itself (PostgreSQL)."""
    if not is_sqlite(url):
        engine = make_engine(url)
        try:
            yield engine
        finally:
            engine.dispose()
        return
    database = make_url(url).database
    if not database or not Path(database).exists():
        raise GatehouseError(f"there is no SQLite database at {database}", code="no_database")
    # Beside the backup, not in the system temporary folder: the copy is as large as the
    # database.
    with tempfile.TemporaryDirectory(prefix=".gatehouse-backup-", dir=scratch_dir) as scratch:
        copy = Path(scratch) / "snapshot.db"
        source = sqlite3.connect(database)
        target = sqlite3.connect(copy)
        try:
            # The online backup API copies a consistent state, WAL frames included.
            source.backup(target)
        finally:
            target.close()
            source.close()
        engine = create_engine(f"sqlite:///{copy}")
        try:
            yield engine
        finally:
            engine.dispose()


def _read_transaction(engine: Engine) -> Connection:
    if engine.dialect.name == "postgresql":
        return engine.connect().execution_options(
            isolation_level="SERIALIZABLE", postgresql_readonly=True, postgresql_deferrable=True
        )
    return engine.connect()


def _data_tables(connection: Connection) -> list[Table]:
    metadata = MetaData()
    metadata.reflect(connection)
    return [table for table in metadata.sorted_tables if table.name != _VERSION_TABLE]


def _revision(connection: Connection) -> str:
    from alembic.runtime.migration import MigrationContext

    revision = MigrationContext.configure(connection).get_current_revision()
    if revision is None:
        raise GatehouseError("the database has no Gatehouse schema", code="no_schema")
    return revision


def _used_key_ids(connection: Connection, tables: list[Table]) -> list[str]:
    """Every master-key id some stored wrapped key names (columns ``kek_id``/``*_kek_id``)."""
    found: set[str] = set()
    for table in tables:
        for column in table.columns:
            if column.name == "kek_id" or column.name.endswith("_kek_id"):
                query = select(column).where(column.is_not(None)).distinct()
                found.update(str(value) for value in connection.execute(query).scalars())
    return sorted(found)


def _columns(table: Table) -> list[ColumnSpec]:
    return [ColumnSpec(column.name, codec_for(column)) for column in table.columns]


def backup(
    url: str,
    keyring: Keyring,
    out: Path,
    *,
    now: datetime,
    progress: TableProgress = _no_progress,
    archive_dir: Path | None = None,
) -> BackupReport:
    """Write a consistent snapshot of the database at ``url`` to ``out`` (never overwritten).

    ``keyring`` is the one Gatehouse runs with; only its key ids go into the manifest. The
    ledger archive files the snapshot records are copied from ``archive_dir`` beside it.
    """
    if out.exists():
        raise Conflict(f"{out} already exists; refusing to overwrite it", code="backup_exists")
    if not out.parent.is_dir():
        raise GatehouseError(
            f"there is no folder {out.parent} to write the backup in", code="no_folder"
        )
    partial = out.with_name(f".{out.name}.partial")
    with (
        _snapshot_engine(url, out.parent) as engine,
        _read_transaction(engine) as connection,
        connection.begin(),
    ):
        revision = _revision(connection)
        tables = _data_tables(connection)
        keys = KeyIds(keyring.current.key_id, _used_key_ids(connection, tables))
        specs: list[TableSpec] = []
        # The backup holds wrapped keys and ciphertext: readable by its owner only.
        spool = partial.with_name(f"{partial.name}.member")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as raw:
                with tarfile.open(fileobj=raw, mode="w") as tar:
                    for done, table in enumerate(tables, start=1):
                        order = list(table.primary_key.columns) or list(table.columns)
                        rows = connection.execution_options(yield_per=_BATCH).execute(
                            select(table).order_by(*order)
                        )
                        specs.append(write_member(tar, spool, table.name, _columns(table), rows))
                        progress(table.name, done, len(tables))
                    archives = back_up_archives(tar, connection, archive_dir)
                    stamp = now.isoformat()
                    data = Manifest(revision, stamp, engine.dialect.name, keys, specs).to_json()
                    write_manifest(tar, data, seal(keyring.current, data))
                # The tar's closing blocks are written by now; make them durable too.
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(partial, out)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        finally:
            spool.unlink(missing_ok=True)
    return BackupReport(revision, len(specs), sum(spec.rows for spec in specs), keys, archives)


def export_key_file(keyring: Keyring, path: Path) -> None:
    """Write every key of ``keyring`` to a new key file at ``path`` (mode 600), for safe
    keeping apart from the backups; an existing file is never overwritten."""
    if path.exists():
        raise Conflict(f"{path} already exists; refusing to overwrite it", code="key_file_exists")
    write_key_file(path, [keyring.get(key_id) for key_id in keyring.key_ids])


def _open_tar(source: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(source, mode="r:")
    except FileNotFoundError:
        raise BackupInvalid(f"there is no backup at {source}") from None
    except (tarfile.TarError, OSError):
        raise BackupInvalid(f"{source} is not a Gatehouse backup") from None


def read_backup_manifest(source: Path) -> Manifest:
    """The manifest of the backup at ``source``."""
    with _open_tar(source) as tar:
        return read_manifest(tar)


def _check_key(manifest: Manifest, keyring: Keyring, allow_other_key: bool) -> None:
    # The current key too: it seals the manifest, so without it the seal cannot be checked.
    needed = sorted({*manifest.master_key.required, manifest.master_key.current})
    missing = [key_id for key_id in needed if key_id not in keyring.key_ids]
    if missing and not allow_other_key:
        raise BackupKeyMismatch(
            f"the backup's data is wrapped under master key {', '.join(missing)}, which the "
            f"given keyring ({', '.join(keyring.key_ids)}) lacks; give the key it was made "
            "with, or --allow-other-key to restore data that will not decrypt",
            details={"missing": missing},
        )


def _check_empty(engine: Engine) -> None:
    from sqlalchemy import inspect

    names = inspect(engine).get_table_names()
    if names:
        raise TargetNotEmpty(
            f"the target database already has {len(names)} tables; restore only into an "
            "empty database",
            details={"tables": len(names)},
        )


def _load(
    connection: Connection, tar: tarfile.TarFile, manifest: Manifest, progress: TableProgress
) -> None:
    tables = {table.name: table for table in _data_tables(connection)}
    listed = {spec.name for spec in manifest.tables}
    if set(tables) != listed:
        raise BackupInvalid(
            "the backup's tables differ from the schema at its revision",
            details={
                "extra": sorted(listed - set(tables)),
                "missing": sorted(set(tables) - listed),
            },
        )
    # Some migrations seed rows; the backup holds them as they were, so start from none.
    for spec in reversed(manifest.tables):
        connection.execute(tables[spec.name].delete())
    total = len(manifest.tables)
    for done, spec in enumerate(manifest.tables, start=1):
        batch = []
        for row in read_rows(tar, spec):
            batch.append(row)
            if len(batch) >= _BATCH:
                connection.execute(tables[spec.name].insert(), batch)
                batch = []
        if batch:
            connection.execute(tables[spec.name].insert(), batch)
        progress(spec.name, total + done, 2 * total)


def _check_loaded(connection: Connection, manifest: Manifest) -> None:
    """Recount and re-digest every table as the target database returns it."""
    tables = {table.name: table for table in _data_tables(connection)}
    for spec in manifest.tables:
        table = tables[spec.name]
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
        digest = RowsDigest()
        columns = [table.columns[column.name] for column in spec.columns]
        for row in connection.execution_options(yield_per=_BATCH).execute(select(*columns)):
            digest.add(encode_row(spec.columns, row))
        if count != spec.rows or digest.hexdigest() != spec.rows_digest:
            raise BackupInvalid(
                f"table {spec.name} does not read back as backed up",
                details={"table": spec.name, "rows": count, "expected": spec.rows},
            )


def _sqlite_files(url: str) -> list[Path]:
    database = make_url(url).database
    if not is_sqlite(url) or not database or database == ":memory:":
        return []
    return [Path(database + suffix) for suffix in ("", "-wal", "-shm", "-journal")]


def restore(
    source: Path,
    url: str,
    keyring: Keyring,
    *,
    allow_other_key: bool = False,
    progress: TableProgress = _no_progress,
    archive_dir: Path | None = None,
) -> BackupReport:
    """Restore the backup at ``source`` into the empty database at ``url``, and its ledger
    archive files into ``archive_dir`` (needed when it holds any).

    Checks the manifest's seal (when the keyring holds the key it was made under) and
    every member's SHA-256 before writing anything, creates the schema with the
    migrations at the backup's revision, loads every table, resets PostgreSQL's sequences,
    and reads every table back against the manifest's counts and digests, all in one
    transaction. A new SQLite file is removed again when the restore fails.
    """
    with _open_tar(source) as tar:
        data = read_member(tar, MANIFEST)
        manifest = Manifest.from_json(data)
        _check_key(manifest, keyring, allow_other_key)
        if manifest.master_key.current in keyring.key_ids:
            key = keyring.get(manifest.master_key.current)
            check_seal(key, data, read_member(tar, SEAL))
        for done, spec in enumerate(manifest.tables, start=1):
            # Only the checksum: a tampered member must fail before any write.
            for _row in read_rows(tar, spec):
                pass
            progress(spec.name, done, len(manifest.tables) * 2)
        files = _sqlite_files(url)
        new_file = bool(files) and not files[0].exists()
        engine = make_engine(url)
        try:
            _check_empty(engine)
            with engine.begin() as connection:
                migrate_to(connection, manifest.revision)
                _load(connection, tar, manifest, progress)
                reset_sequences(connection)
                _check_loaded(connection, manifest)
                # Before the commit: a restore that cannot bring the files back keeps nothing.
                archives = restore_archives(tar, connection, archive_dir)
        except BaseException:
            engine.dispose()
            if new_file:
                for leftover in files:
                    leftover.unlink(missing_ok=True)
            raise
        engine.dispose()
    total_rows = sum(spec.rows for spec in manifest.tables)
    return BackupReport(
        manifest.revision, len(manifest.tables), total_rows, manifest.master_key, archives
    )
