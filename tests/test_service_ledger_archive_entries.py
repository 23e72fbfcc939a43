"""Archived entries put back where the hot table no longer has them, on real databases: leaf
hashes and entries across the boundary, the archived entries a filter finds, and a ledger
without archives left as it is."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from gatehouse.ledger import BLOCK_LEAVES, verify_inclusion_proof
from gatehouse.services import ledger_archive, ledger_checkpoints
from gatehouse.services.customer_transfers import transfers_of
from gatehouse.services.ledger_archive_entries import (
    ArchivedLedger,
    archive_directory,
    find_archived,
    with_archives,
)
from tests.conftest import Fresh
from tests.support.factories import subject_body
from tests.support.gateway import allowed_transfer, consent, new_seller, publish_terms
from tests.support.server import operator_api
from tests.test_service_ledger_archive import archived_ledger, grow


def test_entries_and_hashes_across_the_boundary(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    directory = tmp_path / "archive"
    ledger = archived_ledger(fresh, directory, shards=(0,))
    boundary = 2 * BLOCK_LEAVES
    with gh.unit_of_work(read_only=True) as uow:
        seen = with_archives(uow.ledger, directory)
        assert isinstance(seen, ArchivedLedger)
        hashes = seen.hashes_between(0, boundary - 3, boundary + 2)
        assert hashes == [(e.seq, e.entry_hash) for e in ledger[0][boundary - 3 : boundary + 2]]
        assert list(seen.stream_hashes(0, 5)) == [(e.seq, e.entry_hash) for e in ledger[0][:5]]
        assert seen.get_entry(0, 17) == ledger[0][17]
        assert seen.get_entry(0, boundary) == ledger[0][boundary]
        assert seen.get_entry(0, 10**6) is None
        assert seen.latest_checkpoint() == uow.ledger.latest_checkpoint()

        found = find_archived(uow.ledger, directory, kind="view.read", subject_id="sub_3")
        expected = [
            e for e in ledger[0][:boundary] if e.kind == "view.read" and e.subject_id == "sub_3"
        ]
        assert found == expected and found
        # Told the subject's shard, only that shard's files are read.
        mine = find_archived(uow.ledger, directory, kind="view.read", subject_id="sub_3", shard=0)
        assert mine == expected
        assert find_archived(uow.ledger, directory, subject_id="sub_3", shard=1) == []
        assert find_archived(uow.ledger, tmp_path / "elsewhere", kind="view.read") == []


def test_a_ledger_without_archives_is_left_alone(
    fresh: Fresh, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with fresh.gatehouse.unit_of_work(read_only=True) as uow:
        assert with_archives(uow.ledger, tmp_path) is uow.ledger
        assert find_archived(uow.ledger, tmp_path) == []
    monkeypatch.setenv("GATEHOUSE_ARCHIVE_DIR", str(tmp_path))
    assert archive_directory() == tmp_path
    assert archive_directory(tmp_path / "given") == tmp_path / "given"
    monkeypatch.delenv("GATEHOUSE_ARCHIVE_DIR")
    assert archive_directory() is None
    assert find_archived(object()) == []


def test_who_has_my_data_proves_an_archived_transfer(
    fresh: Fresh, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gh = fresh.gatehouse
    with operator_api(gh) as (server, api):
        seller = new_seller(api, server.url, "CN", accept=publish_terms(api))
        created = api.post("/v1/subjects", json=subject_body())
        subject_id = str(created.json()["id"])
        consent(api, subject_id, seller)
        _, transfer_id = allowed_transfer(api, subject_id, seller)
        seller.client.close()
    with gh.unit_of_work(read_only=True) as uow:
        [entry] = uow.ledger.find(kind="transfer.allowed", subject_id=subject_id)
    grow(gh, {}, 2 * BLOCK_LEAVES, shards=(entry.shard,))
    ledger_checkpoints.make_checkpoint(gh)
    directory = tmp_path / "archive"
    directory.mkdir()
    monkeypatch.setenv("GATEHOUSE_ARCHIVE_DIR", str(directory))
    gh.archive_dir = directory
    report = ledger_archive.archive(gh, gh.clock() + timedelta(days=1), directory)
    assert [(r.shard, r.first) for r in report.records] == [(entry.shard, 0)]
    with gh.unit_of_work(read_only=True) as uow:
        assert uow.ledger.find(kind="transfer.allowed", subject_id=subject_id) == []

    [item] = transfers_of(gh, subject_id, with_proofs=True).items
    assert item.transfer_id == transfer_id
    assert item.proof is not None and item.proof.entry == entry
    checkpoint = ledger_checkpoints.latest_checkpoint(gh)
    assert checkpoint is not None and verify_inclusion_proof(item.proof.proof_fields(), checkpoint)
