"""Restore drills: back a seeded Gatehouse up, restore it into a new database, and use it.

Each drill seeds a subject, a seller, consent, an order and a transfer through the API,
backs up, restores into a fresh database (same engine, and SQLite into PostgreSQL), then
verifies the ledger, reads the subject's PII back through the services and makes a new
transfer, which needs the restored sequences to have moved on.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import inspect

from gatehouse.config import Settings
from gatehouse.services import ledger_checkpoints, ledger_verify
from gatehouse.services.backup import (
    BackupKeyMismatch,
    TargetNotEmpty,
    backup,
    export_key_file,
    read_backup_manifest,
    restore,
)
from gatehouse.services.backup_format import MANIFEST, BackupInvalid, member_name
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.subjects import open_pii
from gatehouse.store.db import make_engine
from gatehouse.vault import Keyring, MasterKey, load_keyring
from tests.conftest import Backend, Fresh, fresh_backend
from tests.support.factories import subject_body
from tests.support.gateway import allowed_transfer, consent, new_seller, publish_terms
from tests.support.server import operator_api


@dataclass
class Seeded:
    fresh: Fresh
    subject_id: str
    email: str
    backup: Path


@pytest.fixture
def seeded(fresh: Fresh, tmp_path: Path) -> Seeded:
    gh = fresh.gatehouse
    with operator_api(gh) as (server, api):
        terms = publish_terms(api)
        seller = new_seller(api, server.url, "CN", accept=terms)
        body = subject_body()
        created = api.post("/v1/subjects", json=body)
        assert created.status_code == 201, created.text
        subject_id = str(created.json()["id"])
        consent(api, subject_id, seller)
        allowed_transfer(api, subject_id, seller)
        seller.client.close()
    ledger_checkpoints.make_checkpoint(gh)
    out = tmp_path / "gatehouse.backup"
    report = backup(fresh.backend.url, gh.keyring, out, now=gh.clock())
    assert report.rows > 0
    assert report.master_key.required == [fresh.master_key.key_id]
    return Seeded(fresh, subject_id, body["email"], out)


def _open(url: str, key: MasterKey, fresh: Fresh) -> Gatehouse:
    settings = Settings.from_env(
        {"GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": key.to_b64()}
    )
    return open_gatehouse(settings, clock=fresh.clock)


def _drill(seeded: Seeded, target: Backend) -> None:
    fresh = seeded.fresh
    report = restore(seeded.backup, target.url, fresh.gatehouse.keyring)
    manifest = read_backup_manifest(seeded.backup)
    assert report.rows == sum(table.rows for table in manifest.tables)
    gh = _open(target.url, fresh.master_key, fresh)
    try:
        result = ledger_verify.verify(gh)
        assert result.ok, result.first_bad
        assert result.entries > 0
        with gh.unit_of_work(read_only=True) as uow:
            assert open_pii(gh, uow.subjects, seeded.subject_id).email == seeded.email
        # New rows after the restore: ids and sequences continue past the restored ones.
        with operator_api(gh) as (server, api):
            seller = new_seller(api, server.url, "US", accept=publish_terms(api))
            consent(api, seeded.subject_id, seller)
            allowed_transfer(api, seeded.subject_id, seller)
            seller.client.close()
        ledger_checkpoints.make_checkpoint(gh)
        assert ledger_verify.verify(gh).ok
    finally:
        gh.close()


@pytest.fixture
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    """A new, empty database of the same kind as the ``fresh`` one."""
    kind = request.node.callspec.params["fresh"]
    yield from fresh_backend(kind, tmp_path_factory)


def test_a_backup_restores_into_a_new_database_of_the_same_kind(
    seeded: Seeded, target: Backend
) -> None:
    _drill(seeded, target)


@pytest.mark.parametrize("fresh", ["sqlite"], indirect=True)
def test_an_sqlite_backup_restores_into_postgresql(
    seeded: Seeded, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for target in fresh_backend("postgres", tmp_path_factory):
        _drill(seeded, target)


def _tables(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        return inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_a_restore_with_another_master_key_is_refused(seeded: Seeded, target: Backend) -> None:
    other = Keyring([MasterKey.generate()])
    with pytest.raises(BackupKeyMismatch) as refused:
        restore(seeded.backup, target.url, other)
    assert refused.value.details == {"missing": [seeded.fresh.master_key.key_id]}
    assert _tables(target.url) == []


def test_another_master_key_is_restored_only_when_allowed(seeded: Seeded, target: Backend) -> None:
    restore(seeded.backup, target.url, Keyring([MasterKey.generate()]), allow_other_key=True)
    assert "subjects" in _tables(target.url)


def _tamper(source: Path, out: Path, table: str, *, fix_manifest: bool = False) -> None:
    """Copy the backup with one row of ``table`` changed; with ``fix_manifest`` the
    manifest's SHA-256 of that member is recomputed too, as a forger would."""
    members: list[tuple[tarfile.TarInfo, bytes]] = []
    with tarfile.open(source) as old:
        for info in old.getmembers():
            handle = old.extractfile(info)
            assert handle is not None
            members.append((info, handle.read()))
    changed: dict[str, str] = {}
    with tarfile.open(out, "w") as new:
        for info, data in members:
            if info.name == member_name(table):
                lines = gzip.decompress(data).splitlines()
                row = json.loads(lines[0])
                at = next(i for i, value in enumerate(row) if isinstance(value, str))
                row[at] = "tampered"
                lines[0] = json.dumps(row).encode()
                data = gzip.compress(b"\n".join(lines) + b"\n")
                changed[info.name] = hashlib.sha256(data).hexdigest()
            if info.name == MANIFEST and fix_manifest:
                manifest = json.loads(data)
                for spec in manifest["tables"]:
                    spec["sha256"] = changed.get(spec["member"], spec["sha256"])
                data = json.dumps(manifest).encode()
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))


def test_a_tampered_member_is_refused_before_anything_is_written(
    seeded: Seeded, target: Backend, tmp_path: Path
) -> None:
    tampered = tmp_path / "tampered.backup"
    _tamper(seeded.backup, tampered, "recipients")
    with pytest.raises(BackupInvalid, match="SHA-256"):
        restore(tampered, target.url, seeded.fresh.gatehouse.keyring)
    assert _tables(target.url) == []


def test_a_tampered_member_with_its_sum_recomputed_is_refused_by_the_seal(
    seeded: Seeded, target: Backend, tmp_path: Path
) -> None:
    forged = tmp_path / "forged.backup"
    _tamper(seeded.backup, forged, "recipients", fix_manifest=True)
    with pytest.raises(BackupInvalid, match="seal"):
        restore(forged, target.url, seeded.fresh.gatehouse.keyring)
    assert _tables(target.url) == []


def test_a_database_with_tables_is_not_a_restore_target(seeded: Seeded) -> None:
    with pytest.raises(TargetNotEmpty):
        restore(seeded.backup, seeded.fresh.backend.url, seeded.fresh.gatehouse.keyring)


def test_a_backup_never_overwrites_a_file(seeded: Seeded) -> None:
    before = seeded.backup.read_bytes()
    with pytest.raises(Exception, match="already exists"):
        backup(
            seeded.fresh.backend.url,
            seeded.fresh.gatehouse.keyring,
            seeded.backup,
            now=seeded.fresh.clock(),
        )
    assert seeded.backup.read_bytes() == before


def test_the_backup_holds_key_ids_but_no_key(seeded: Seeded, tmp_path: Path) -> None:
    key = seeded.fresh.master_key
    assert key.to_b64().encode() not in seeded.backup.read_bytes()
    assert seeded.backup.stat().st_mode & 0o077 == 0
    manifest = read_backup_manifest(seeded.backup)
    assert manifest.master_key.current == key.key_id
    copy = tmp_path / "kept-apart.key"
    export_key_file(seeded.fresh.gatehouse.keyring, copy)
    assert load_keyring({}, copy).key_ids == [key.key_id]
    assert copy.stat().st_mode & 0o077 == 0
