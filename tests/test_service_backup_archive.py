"""A restore drill with archived ledger entries: the archive files go into the backup, come
back into the restore's archive directory, and the restored ledger verifies and proves an
archived entry; without its files a backup or a restore is refused, and nothing is kept."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect
from sqlalchemy.engine import make_url

from gatehouse.config import Settings
from gatehouse.domain.errors import Conflict, GatehouseError
from gatehouse.services import ledger_checkpoints, ledger_proofs, ledger_verify
from gatehouse.services.backup import backup, restore
from gatehouse.services.runtime import open_gatehouse
from gatehouse.store.db import make_engine
from tests.conftest import Backend, Fresh, fresh_backend
from tests.test_service_ledger_archive import SIZE, archived_ledger, grow

FILE = "ledger-s0000-000000000000-000000002047.parquet"


@pytest.fixture
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """A new, empty database of the same kind as the ``fresh`` one."""
    kind = request.node.callspec.params["fresh"]
    yield from fresh_backend(kind, tmp_path_factory)


def _tables(target: Backend) -> list[str]:
    """The target's tables; a new SQLite file that a failed restore removed has none."""
    database = make_url(target.url).database
    if target.name == "sqlite" and database and not Path(database).exists():
        return []
    engine = make_engine(target.url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_archive_files_are_backed_up_and_restored(
    fresh: Fresh, target: Backend, tmp_path: Path
) -> None:
    gh = fresh.gatehouse
    archive = tmp_path / "archive"
    ledger = archived_ledger(fresh, archive, shards=(0,))
    out = tmp_path / "gatehouse.backup"
    made = backup(fresh.backend.url, gh.keyring, out, now=gh.clock(), archive_dir=archive)
    assert made.archives == 1

    restored_dir = tmp_path / "restored"
    restored_dir.mkdir()
    report = restore(out, target.url, gh.keyring, archive_dir=restored_dir)
    assert report.archives == 1
    assert (restored_dir / FILE).read_bytes() == (archive / FILE).read_bytes()
    settings = Settings.from_env(
        {
            "GATEHOUSE_DATABASE_URL": target.url,
            "GATEHOUSE_MASTER_KEY": fresh.master_key.to_b64(),
            "GATEHOUSE_ARCHIVE_DIR": str(restored_dir),
        }
    )
    restored = open_gatehouse(settings, clock=fresh.clock)
    try:
        result = ledger_verify.verify(restored)
        assert result.ok and result.entries == SIZE, result.first_bad
        assert ledger_proofs.entry_proof(restored, 0, 700).entry == ledger[0][700]
        grow(restored, ledger, 10, shards=(0,))
        ledger_checkpoints.make_checkpoint(restored)
        assert ledger_verify.verify(restored).ok
    finally:
        restored.close()
    # The files are already there and the same: a second restore keeps them.
    if target.name == "sqlite":
        second = f"sqlite:///{tmp_path / 'second.db'}"
        assert restore(out, second, gh.keyring, archive_dir=restored_dir).archives == 1


def test_a_backup_or_restore_without_the_files_is_refused(
    fresh: Fresh, target: Backend, tmp_path: Path
) -> None:
    gh = fresh.gatehouse
    archive = tmp_path / "archive"
    archived_ledger(fresh, archive, shards=(0,))
    with pytest.raises(GatehouseError) as unconfigured:
        backup(fresh.backend.url, gh.keyring, tmp_path / "a.backup", now=gh.clock())
    assert unconfigured.value.code == "backup_archive_missing"
    assert not (tmp_path / "a.backup").exists()

    out = tmp_path / "b.backup"
    backup(fresh.backend.url, gh.keyring, out, now=gh.clock(), archive_dir=archive)
    with pytest.raises(GatehouseError) as nowhere:
        restore(out, target.url, gh.keyring)
    assert nowhere.value.code == "restore_archive_dir"
    assert _tables(target) == []

    other = tmp_path / "other"
    other.mkdir()
    (other / FILE).write_bytes(b"another ledger's file")
    with pytest.raises(Conflict) as clash:
        restore(out, target.url, gh.keyring, archive_dir=other)
    assert clash.value.code == "archive_exists"
    assert _tables(target) == []

    (archive / FILE).write_bytes((archive / FILE).read_bytes()[:-1])
    with pytest.raises(GatehouseError) as changed:
        backup(
            fresh.backend.url,
            gh.keyring,
            tmp_path / "c.backup",
            now=gh.clock(),
            archive_dir=archive,
        )
    assert changed.value.details == {"shard": 0, "seq": 0}
