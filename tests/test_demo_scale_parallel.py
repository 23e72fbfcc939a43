"""Several processes writing one scale run: the same marketplace, shard for shard, as one
process writes; each part continues where it stopped; and real processes on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from gatehouse.config import Settings
from gatehouse.demo.scale import finish, generate_part, prepare, table_counts
from gatehouse.demo.scale_parallel import generate_in_parallel
from gatehouse.demo.scale_parts import WHOLE, Part
from gatehouse.demo.scale_people import customer_id
from gatehouse.services import ledger
from gatehouse.services.runtime import open_gatehouse
from gatehouse.vault import MasterKey
from tests.conftest import Fresh, fresh_backend
from tests.support.scale_runs import TINY, chains, tiny_in_one_go


def test_a_part_owns_the_customers_of_its_shards() -> None:
    ids = [customer_id(TINY.seed, index) for index in range(400)]
    halves = [Part(0, 2), Part(1, 2)]
    owners = [[part.index for part in halves if part.owns(subject)] for subject in ids]
    assert all(len(found) == 1 for found in owners)
    assert {found[0] for found in owners} == {0, 1}
    assert all(WHOLE.owns(subject) for subject in ids)
    for wrong in ((2, 2), (0, 0), (-1, 2), (0, 17)):
        with pytest.raises(ValueError):
            Part(*wrong)


def test_two_parts_write_what_one_process_writes(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    prepare(gh, TINY)
    # The second part first, stopped after one chunk and continued: order and stops do not
    # change what is written.
    assert not generate_part(gh, TINY, Part(1, 2), stop_after=1).complete
    assert generate_part(gh, TINY, Part(1, 2)).complete
    assert generate_part(gh, TINY, Part(0, 2), stop_after=5).complete is False
    assert generate_part(gh, TINY, Part(0, 2)).complete
    # A part that is done has nothing left to write.
    again = generate_part(gh, TINY, Part(0, 2))
    assert again.complete and again.chunks_written == 0
    finish(gh)
    result = ledger.verify(gh)
    assert result.ok, result.first_bad
    reference = tiny_in_one_go(tmp_path)
    try:
        assert chains(gh.engine) == chains(reference.engine)
        assert table_counts(gh.engine) == table_counts(reference.engine)
    finally:
        reference.close()


@pytest.fixture
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new PostgreSQL database's URL, dropped afterwards."""
    for backend in fresh_backend("postgres", tmp_path_factory):
        yield backend.url


def test_processes_write_one_marketplace_on_postgres(postgres_url: str, tmp_path: Path) -> None:
    environ = {
        "GATEHOUSE_DATABASE_URL": postgres_url,
        "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64(),
    }
    stopped = generate_in_parallel(environ, TINY, 2, stop_after=2)
    assert not stopped.complete
    seen: list[tuple[str, int, int]] = []
    report = generate_in_parallel(
        environ, TINY, 2, lambda stage, done, total: seen.append((stage, done, total))
    )
    assert report.complete
    assert report.counts["orders"] == TINY.transfers
    assert report.counts["subjects"] == TINY.subjects
    # The slowest part's progress, which only moves forward, reaches the end.
    orders_seen = [done for stage, done, _ in seen if stage == "orders"]
    assert orders_seen == sorted(orders_seen) and orders_seen[-1] == TINY.transfers
    reference = tiny_in_one_go(tmp_path)
    gh = open_gatehouse(Settings.from_env(environ))
    try:
        result = ledger.verify(gh)
        assert result.ok, result.first_bad
        assert result.entries == report.counts["ledger_entries"]
        assert ledger.latest_checkpoint(gh) is not None
        # The same entries in the same places; the times differ, as this run's history ends
        # at the system clock's now and the reference's at the test clock's.
        placed = [(shard, seq, kind, subject) for shard, seq, kind, _, subject in chains(gh.engine)]
        expected = [(s, q, k, subject) for s, q, k, _, subject in chains(reference.engine)]
        assert placed == expected
    finally:
        gh.close()
        reference.close()
