"""The sharded verification on real databases: in this process and in a pool of processes, it
reaches the same verdict, naming the same entry, as the entry-by-entry verification it
replaces, for a clean ledger and for each way a forger with SQL access changes one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import delete, insert, select, text, update

from gatehouse.ledger import (
    BLOCK_LEAVES,
    BadEntry,
    ShardState,
    VerifyResult,
    append_entry,
    payload_text,
)
from gatehouse.services import ledger_checkpoints, ledger_keys
from gatehouse.services.ledger_verify import shareable_url, verify, verify_sharded, verify_stored
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.sql_unit_of_work import SqlUnitOfWork
from gatehouse.store.ledger_rows import entry_row, insert_entries
from gatehouse.store.ledger_tables import ledger_entries, ledger_shards
from tests.conftest import Fresh
from tests.support.ledger import forge_rewrite

# Shard 0 holds two whole blocks and part of a third, so runs are hashed as subtrees; three
# other shards hold a few entries each.
SIZES = {0: 2 * BLOCK_LEAVES + 70, 3: 5, 7: 9, 11: 1}


def _grow(gh: Gatehouse, states: dict[int, ShardState], sizes: dict[int, int]) -> None:
    """Append entries in bulk, as the repository stores them, with each shard's state."""
    rows = []
    for shard, count in sizes.items():
        for _ in range(count):
            number = states[shard].head.size
            at = gh.clock() + timedelta(milliseconds=number)
            payload = {"round": number, "fields": ["name", "주소"], "note": 'a "quote"'}
            entry, states[shard] = append_entry(
                states[shard], "test.event", at, f"sub_{shard}", "rcp_1", payload
            )
            rows.append(entry_row(entry))
    with gh.engine.begin() as connection:
        insert_entries(connection, rows)
        connection.execute(delete(ledger_shards))
        connection.execute(
            insert(ledger_shards),
            [
                {"shard": shard, "state": state.to_dict(), "updated_at": gh.clock()}
                for shard, state in states.items()
            ],
        )


@pytest.fixture
def gh(fresh: Fresh) -> Iterator[Gatehouse]:
    gatehouse = fresh.gatehouse
    states = {shard: ShardState.empty(shard) for shard in range(16)}
    _grow(gatehouse, states, {shard: size // 2 for shard, size in SIZES.items()})
    ledger_checkpoints.make_checkpoint(gatehouse)
    fresh.clock.advance(minutes=1)
    _grow(gatehouse, states, {shard: size - size // 2 for shard, size in SIZES.items()})
    ledger_checkpoints.make_checkpoint(gatehouse)
    _grow(gatehouse, states, {3: 2})
    yield gatehouse


def _verdicts(gh: Gatehouse, *, pool: bool = True) -> list[VerifyResult]:
    """The entry-by-entry verification, and the sharded one in process and in a pool."""
    keys = ledger_keys.trusted_keys(gh)
    with SqlUnitOfWork(gh.engine, read_only=True) as uow:
        reference = verify_stored(uow.ledger, None, keys=keys)
    url = shareable_url(gh)
    assert url is not None
    found = [reference, verify_sharded(gh.engine, url, keys, workers=1)]
    if pool:
        found.append(verify_sharded(gh.engine, url, keys, workers=2))
    return found


def _same(verdicts: list[VerifyResult]) -> VerifyResult:
    assert all(verdict == verdicts[0] for verdict in verdicts), verdicts
    return verdicts[0]


def _set(gh: Gatehouse, shard: int, seq: int, **values: object) -> None:
    with gh.engine.begin() as connection:
        connection.execute(
            update(ledger_entries)
            .where(ledger_entries.c.shard == shard, ledger_entries.c.seq == seq)
            .values(**values)
        )


def _raw_payload(gh: Gatehouse, shard: int, seq: int) -> str:
    cast = "::text" if gh.engine.dialect.name == "postgresql" else ""
    query = text(f"SELECT payload{cast} FROM ledger_entries WHERE shard = :shard AND seq = :seq")
    with gh.engine.connect() as connection:
        return str(connection.execute(query, {"shard": shard, "seq": seq}).scalar_one())


def _store_payload_text(gh: Gatehouse, shard: int, seq: int, payload: str) -> None:
    """Write the payload column's text as given, past the JSON type's own encoder."""
    cast = "CAST(:payload AS JSON)" if gh.engine.dialect.name == "postgresql" else ":payload"
    statement = text(f"UPDATE ledger_entries SET payload = {cast} WHERE shard = :s AND seq = :q")
    with gh.engine.begin() as connection:
        connection.execute(statement, {"payload": payload, "s": shard, "q": seq})


def test_a_clean_ledger_verifies_alike_every_way(gh: Gatehouse) -> None:
    result = _same(_verdicts(gh))

    assert result.ok and result.first_bad is None
    assert result.entries == sum(SIZES.values()) + 2
    # The service itself takes the sharded path on a database.
    assert verify(gh) == result


def test_an_edited_payload_is_named_alike_every_way(gh: Gatehouse) -> None:
    payload = json.loads(_raw_payload(gh, 0, BLOCK_LEAVES + 5))
    _store_payload_text(gh, 0, BLOCK_LEAVES + 5, payload_text({**payload, "round": -1}))

    result = _same(_verdicts(gh))

    assert result.first_bad == BadEntry(0, BLOCK_LEAVES + 5, "hash mismatch (entry was edited)")


def test_a_payload_in_another_json_spelling_still_verifies(gh: Gatehouse) -> None:
    # Rows written before payloads were stored canonical: the same JSON, spaced and unsorted.
    payload = json.loads(_raw_payload(gh, 0, 3))
    _store_payload_text(gh, 0, 3, json.dumps(dict(reversed(payload.items()))))
    _store_payload_text(gh, 7, 2, json.dumps(json.loads(_raw_payload(gh, 7, 2)), indent=1))

    result = _same(_verdicts(gh, pool=False))

    assert result.ok and result.entries == sum(SIZES.values()) + 2


def test_a_field_that_swallows_its_neighbour_is_caught(gh: Gatehouse) -> None:
    # Moving text between fields must never reassemble the signed bytes.
    payload = _raw_payload(gh, 7, 4)
    _set(gh, 7, 4, kind='test.event","payload":' + payload[:10])

    result = _same(_verdicts(gh, pool=False))

    assert result.first_bad == BadEntry(7, 4, "hash mismatch (entry was edited)")


def test_a_deleted_entry_is_named_alike_every_way(gh: Gatehouse) -> None:
    with gh.engine.begin() as connection:
        connection.execute(
            delete(ledger_entries).where(ledger_entries.c.shard == 0, ledger_entries.c.seq == 9)
        )

    result = _same(_verdicts(gh, pool=False))

    assert result.first_bad is not None
    assert (result.first_bad.shard, result.first_bad.seq) == (0, 9)


def test_a_rewrite_with_the_chain_recomputed_fails_alike_every_way(gh: Gatehouse) -> None:
    with gh.engine.begin() as connection:
        forge_rewrite(connection, 0, 700)

    result = _same(_verdicts(gh))

    assert not result.ok and result.first_bad is not None
    assert result.first_bad.shard == 0
    assert "root mismatch" in result.first_bad.reason


def test_the_stored_payload_is_the_canonical_text(gh: Gatehouse) -> None:
    with gh.engine.connect() as connection:
        stored = connection.execute(
            select(ledger_entries.c.payload).where(
                ledger_entries.c.shard == 3, ledger_entries.c.seq == 1
            )
        ).scalar_one()

    assert _raw_payload(gh, 3, 1) == payload_text(stored)


def test_an_unreadable_shard_state_is_reported_alike_every_way(gh: Gatehouse) -> None:
    with gh.engine.begin() as connection:
        connection.execute(
            insert(ledger_shards).values(shard=40, state={"size": "many"}, updated_at=gh.clock())
        )

    result = _same(_verdicts(gh, pool=False))

    assert result.first_bad == BadEntry(40, -1, "stored shard state is malformed")
