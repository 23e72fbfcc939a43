"""The ledger's archive files in a backup: every file ``ledger_archives`` records goes into the
backup beside the tables, and comes back on restore into the archive directory.

A file's SHA-256 is in its record, which the manifest's digest and seal cover, so a file is
checked against its record when backed up (a changed file is refused, not copied) and again
when restored (a changed member is refused before the restore commits). A backup whose
database records archives cannot be made without their files, and a restore of one needs a
directory to put them in: without them the restored ledger would not verify.
"""

from __future__ import annotations

import hashlib
import os
import tarfile
import tempfile
from pathlib import Path

from sqlalchemy import Connection, inspect

from gatehouse.domain.errors import Conflict, GatehouseError
from gatehouse.ledger.archive import ArchiveRecord
from gatehouse.services.backup_format import BackupInvalid
from gatehouse.services.ledger_archive_read import file_sha256
from gatehouse.store.ledger_archive import ArchiveRepository

__all__ = ["ARCHIVE_MEMBER_DIR", "back_up_archives", "restore_archives"]

ARCHIVE_MEMBER_DIR = "ledger-archive"
_TABLE = "ledger_archives"
_CHUNK = 1 << 20


def _records(connection: Connection) -> list[ArchiveRecord]:
    if _TABLE not in inspect(connection).get_table_names():
        return []  # a database from before archives existed
    try:
        return [ArchiveRecord.from_row(row) for row in ArchiveRepository(connection).records()]
    except (TypeError, ValueError) as exc:
        raise GatehouseError(
            f"an archive record is malformed ({exc}); run `gatehouse ledger verify`",
            code="archive_mismatch",
        ) from None


def back_up_archives(tar: tarfile.TarFile, connection: Connection, directory: Path | None) -> int:
    """Add every recorded archive file to ``tar``, each checked against its record; returns
    how many. Refuses (GatehouseError) when one is missing or changed."""
    records = _records(connection)
    if not records:
        return 0
    if directory is None:
        raise GatehouseError(
            f"the ledger has {len(records)} archive files and no archive directory is"
            " configured (GATEHOUSE_ARCHIVE_DIR); a backup without them would not verify",
            code="backup_archive_missing",
        )
    for record in records:
        path = directory / record.file_name
        if not path.is_file() or file_sha256(path) != record.sha256:
            raise GatehouseError(
                f"archive file {record.file_name} is missing or differs from its record;"
                " run `gatehouse ledger verify`",
                code="backup_archive_missing",
                details={"shard": record.shard, "seq": record.first},
            )
        tar.add(path, arcname=f"{ARCHIVE_MEMBER_DIR}/{record.file_name}", recursive=False)
    return len(records)


def _extract(tar: tarfile.TarFile, record: ArchiveRecord, final: Path) -> None:
    name = f"{ARCHIVE_MEMBER_DIR}/{record.file_name}"
    try:
        source = tar.extractfile(name)
    except KeyError:
        source = None
    if source is None:
        raise BackupInvalid(f"the backup lacks archive file {record.file_name}")
    digest = hashlib.sha256()
    fd, scratch = tempfile.mkstemp(prefix=".restore-", dir=final.parent)
    try:
        with os.fdopen(fd, "wb") as out, source:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if digest.hexdigest() != record.sha256:
            raise BackupInvalid(f"archive file {record.file_name} differs from its record")
        os.replace(scratch, final)
    except BaseException:
        Path(scratch).unlink(missing_ok=True)
        raise


def restore_archives(tar: tarfile.TarFile, connection: Connection, directory: Path | None) -> int:
    """Write every archive file the restored records name from ``tar`` into ``directory``,
    each checked against its record; returns how many. A file already there is kept when it
    is the same and refused (Conflict) when it is not."""
    records = _records(connection)
    if not records:
        return 0
    if directory is None or not directory.is_dir():
        raise GatehouseError(
            f"the backup holds {len(records)} ledger archive files: give an existing archive"
            " directory (--archive-dir or GATEHOUSE_ARCHIVE_DIR) to restore them into",
            code="restore_archive_dir",
        )
    for record in records:
        final = directory / record.file_name
        if final.exists():
            if file_sha256(final) == record.sha256:
                continue
            raise Conflict(
                f"{final} exists and is another file; restore into an empty archive directory",
                code="archive_exists",
            )
        _extract(tar, record, final)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return len(records)
