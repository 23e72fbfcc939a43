"""The ledger over HTTP and the CLI, and invariant 5: any change to a past entry is named.

Tampering runs on a private database per backend, reset before each case, so the shared
session database is never damaged.
"""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import Connection, delete, select, update

from gatehouse.config import Settings
from gatehouse.ledger import (
    Checkpoint,
    LedgerEntry,
    shard_for,
    verify_checkpoint,
    verify_inclusion_proof,
)
from gatehouse.services import ledger
from gatehouse.services.access import issue_operator_key
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.ledger_tables import ledger_checkpoints, ledger_entries, ledger_shards
from gatehouse.vault import MasterKey
from tests.conftest import Backend, Clock, LiveServer, fresh_backend
from tests.support.factories import unique
from tests.support.ledger import forge_rewrite
from tests.support.server import api_client

GATEHOUSE = [sys.executable, "-m", "gatehouse"]
ROUNDS = 6


@dataclass
class Private:
    backend: Backend
    gatehouse: Gatehouse
    master_key: MasterKey
    client: httpx.Client


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def private(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, clock: Clock
) -> Iterator[Private]:
    """A Gatehouse, server and operator client on a database of their own."""
    for backend in fresh_backend(request.param, tmp_path_factory):
        key = MasterKey.generate()
        settings = Settings.from_env(
            {"GATEHOUSE_DATABASE_URL": backend.url, "GATEHOUSE_MASTER_KEY": key.to_b64()}
        )
        gh = open_gatehouse(settings, clock=clock)
        operator_key = issue_operator_key(gh, clock(), label="ledger tests")
        with (
            LiveServer(gh) as server,
            httpx.Client(
                base_url=server.url,
                headers={"Authorization": f"Bearer {operator_key}"},
                timeout=60,
            ) as client,
        ):
            yield Private(backend, gh, key, client)
        gh.close()


@dataclass
class Seeded:
    """A known ledger: ``target`` has entries 0..ROUNDS-1 in ``shard``, alone in that shard,
    and a checkpoint follows each of its entries."""

    private: Private
    shard: int
    target: str

    def entries(self) -> list[LedgerEntry]:
        with self.private.gatehouse.engine.connect() as connection:
            return list(LedgerRepository(connection).stream_shard(self.shard))


def _reset(gh: Gatehouse) -> None:
    with gh.engine.begin() as connection:
        for table in (ledger_entries, ledger_shards, ledger_checkpoints):
            connection.execute(delete(table))


def _append(gh: Gatehouse, subject: str | None, **payload: object) -> LedgerEntry:
    with gh.engine.begin() as connection:
        return ledger.append(
            connection,
            kind="test.event",
            at=gh.clock(),
            subject_id=subject,
            recipient_id="rcp_ledger",
            payload=payload,
        )


@pytest.fixture
def empty(private: Private) -> Private:
    _reset(private.gatehouse)
    return private


@pytest.fixture
def seeded(empty: Private, clock: Clock) -> Seeded:
    gh = empty.gatehouse
    target = f"sub_target_{unique()}"
    shard = shard_for(target, ledger.LEDGER_SHARDS)
    others: list[str] = []
    while len(others) < 3:
        candidate = f"sub_other_{unique()}"
        if shard_for(candidate, ledger.LEDGER_SHARDS) != shard:
            others.append(candidate)
    for round_ in range(ROUNDS):
        clock.advance(seconds=1)
        _append(gh, target, round=round_)
        for other in others:
            _append(gh, other, round=round_)
        ledger.make_checkpoint(gh)
    return Seeded(empty, shard, target)


def _cli_verify(private: Private, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env["GATEHOUSE_DATABASE_URL"] = private.backend.url
    env["GATEHOUSE_MASTER_KEY"] = private.master_key.to_b64()
    return subprocess.run(
        [*GATEHOUSE, "ledger", "verify", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


# -- invariant 5 ---------------------------------------------------------------------------


def _row(connection: Connection, shard: int, seq: int) -> dict[str, object]:
    row = connection.execute(
        ledger_entries.select().where(ledger_entries.c.shard == shard, ledger_entries.c.seq == seq)
    ).one()
    return dict(row._mapping)


def _edit_payload(seeded: Seeded, connection: Connection) -> int:
    connection.execute(
        update(ledger_entries)
        .where(ledger_entries.c.shard == seeded.shard, ledger_entries.c.seq == 2)
        .values(payload={"round": 99})
    )
    return 2


def _delete_middle(seeded: Seeded, connection: Connection) -> int:
    connection.execute(
        delete(ledger_entries).where(
            ledger_entries.c.shard == seeded.shard, ledger_entries.c.seq == 2
        )
    )
    return 2


def _delete_last(seeded: Seeded, connection: Connection) -> int:
    last = ROUNDS - 1
    connection.execute(
        delete(ledger_entries).where(
            ledger_entries.c.shard == seeded.shard, ledger_entries.c.seq == last
        )
    )
    return last


def _swap(seeded: Seeded, connection: Connection) -> int:
    one, three = _row(connection, seeded.shard, 1), _row(connection, seeded.shard, 3)
    for seq, source in ((1, three), (3, one)):
        contents = {k: v for k, v in source.items() if k not in ("shard", "seq")}
        connection.execute(
            update(ledger_entries)
            .where(ledger_entries.c.shard == seeded.shard, ledger_entries.c.seq == seq)
            .values(**contents)
        )
    return 1


def _rewrite_with_recomputed_hashes(seeded: Seeded, connection: Connection) -> int:
    """A forger who edits entry 2, re-chains every later entry and fixes the shard head."""
    forge_rewrite(connection, seeded.shard, 2)
    return 2


Tamper = Callable[[Seeded, Connection], int]
TAMPERING: dict[str, Tamper] = {
    "edit_payload": _edit_payload,
    "delete_middle_row": _delete_middle,
    "delete_last_row": _delete_last,
    "swap_two_rows": _swap,
    "rewrite_with_recomputed_hashes": _rewrite_with_recomputed_hashes,
}


def test_an_untouched_ledger_verifies(seeded: Seeded, tmp_path: Path) -> None:
    response = seeded.private.client.get("/v1/ledger/verify")
    assert response.status_code == 200, response.text
    assert response.json() == {"ok": True, "entries": ROUNDS * 4, "first_bad": None}
    run = _cli_verify(seeded.private, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"ok: the ledger verifies ({ROUNDS * 4} entries)" in run.stdout
    run = _cli_verify(seeded.private, tmp_path, "--json")
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == '{"ok": true, "entries": 24, "first_bad": null}'


@pytest.mark.parametrize("case", sorted(TAMPERING))
def test_invariant_5_any_change_is_named(seeded: Seeded, case: str, tmp_path: Path) -> None:
    gh = seeded.private.gatehouse
    with gh.engine.begin() as connection:
        bad_seq = TAMPERING[case](seeded, connection)

    response = seeded.private.client.get("/v1/ledger/verify")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is False
    assert body["first_bad"]["shard"] == seeded.shard
    assert body["first_bad"]["seq"] == bad_seq, body
    if case == "rewrite_with_recomputed_hashes":
        # Every chain link is intact; only the signed checkpoints can tell.
        assert "checkpoint" in body["first_bad"]["reason"]

    run = _cli_verify(seeded.private, tmp_path)
    assert run.returncode == 1, run.stdout + run.stderr
    assert "NOT OK" in run.stdout
    assert f"first bad entry: shard {seeded.shard}, seq {bad_seq}" in run.stdout


def _garble_state(seeded: Seeded, connection: Connection) -> tuple[int, int, str]:
    connection.execute(
        update(ledger_shards)
        .where(ledger_shards.c.shard == seeded.shard)
        .values(state={"shard": seeded.shard})
    )
    return seeded.shard, -1, "malformed"


def _break_frontier(seeded: Seeded, connection: Connection) -> tuple[int, int, str]:
    state = LedgerRepository(connection).state_bodies()[seeded.shard]
    state["frontier"] = ["00" * 32 for _ in state["frontier"]]
    connection.execute(
        update(ledger_shards).where(ledger_shards.c.shard == seeded.shard).values(state=state)
    )
    return seeded.shard, -1, "frontier"


def _garble_at(seeded: Seeded, connection: Connection) -> tuple[int, int, str]:
    connection.execute(
        update(ledger_entries)
        .where(ledger_entries.c.shard == seeded.shard, ledger_entries.c.seq == 3)
        .values(at="yesterday")
    )
    return seeded.shard, 3, "hash mismatch"


def _forge_checkpoint(seeded: Seeded, connection: Connection) -> tuple[int, int, str]:
    body = connection.execute(
        select(ledger_checkpoints.c.body).where(ledger_checkpoints.c.sequence == 3)
    ).scalar_one()
    body["at"] = "2020-01-01T00:00:00.000000Z"
    connection.execute(
        update(ledger_checkpoints).where(ledger_checkpoints.c.sequence == 3).values(body=body)
    )
    return -1, -1, "checkpoint #3 signature does not verify"


STORED_STATE_TAMPERING = {
    "garble_shard_state": _garble_state,
    "break_shard_frontier": _break_frontier,
    "garble_entry_time": _garble_at,
    "forge_checkpoint": _forge_checkpoint,
}


@pytest.mark.parametrize("case", sorted(STORED_STATE_TAMPERING))
def test_heads_times_and_checkpoints_are_checked_too(seeded: Seeded, case: str) -> None:
    with seeded.private.gatehouse.engine.begin() as connection:
        shard, seq, reason = STORED_STATE_TAMPERING[case](seeded, connection)
    body = seeded.private.client.get("/v1/ledger/verify").json()
    assert body["ok"] is False
    assert (body["first_bad"]["shard"], body["first_bad"]["seq"]) == (shard, seq), body
    assert reason in body["first_bad"]["reason"]


def test_a_rewritten_shard_yields_no_proof(seeded: Seeded) -> None:
    gh = seeded.private.gatehouse
    with gh.engine.begin() as connection:
        _rewrite_with_recomputed_hashes(seeded, connection)
    response = seeded.private.client.get(
        "/v1/ledger/proofs", params={"shard": seeded.shard, "seq": 0}
    )
    assert response.status_code == 409, response.text
    assert response.json()["error"]["code"] == "ledger_mismatch"


# -- checkpoints, proofs and listing --------------------------------------------------------


def test_no_checkpoint_before_the_first(empty: Private) -> None:
    with api_client(str(empty.client.base_url)) as anyone:
        published = anyone.get("/.well-known/gatehouse/checkpoint")
    assert published.status_code == 404
    assert published.json()["error"]["code"] == "no_checkpoint"
    response = empty.client.get("/v1/ledger/checkpoints/latest")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_checkpoint"
    response = empty.client.get("/v1/ledger/proofs", params={"shard": 0, "seq": 0})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_checkpoint"
    assert empty.client.get("/v1/ledger/verify").json() == {
        "ok": True,
        "entries": 0,
        "first_bad": None,
    }


def _checkpoint(body: dict[str, object]) -> tuple[Checkpoint, str]:
    key = body["public_key"]
    assert isinstance(key, str)
    return Checkpoint.from_dict(body), key


def test_checkpoints_are_signed_and_published(seeded: Seeded) -> None:
    client = seeded.private.client
    latest = client.get("/v1/ledger/checkpoints/latest")
    assert latest.status_code == 200, latest.text
    checkpoint, key = _checkpoint(latest.json())
    assert checkpoint.sequence == ROUNDS
    assert verify_checkpoint(checkpoint, key)
    head = checkpoint.head(seeded.shard)
    assert head is not None and head.size == ROUNDS

    _append(seeded.private.gatehouse, seeded.target, round=ROUNDS)
    created = client.post("/v1/ledger/checkpoints")
    assert created.status_code == 201, created.text
    newer, same_key = _checkpoint(created.json())
    assert same_key == key and newer.sequence == ROUNDS + 1
    assert verify_checkpoint(newer, key)
    new_head = newer.head(seeded.shard)
    assert new_head is not None and new_head.size == ROUNDS + 1
    assert client.get("/v1/ledger/checkpoints/latest").json() == created.json()


def test_the_latest_checkpoint_is_published_to_anyone(seeded: Seeded) -> None:
    """No key: an auditor or a customer keeps it, and compares the key's fingerprint."""
    client = seeded.private.client
    with api_client(str(client.base_url)) as anyone:
        published = anyone.get("/.well-known/gatehouse/checkpoint")
    assert published.status_code == 200, published.text
    assert published.headers["cache-control"] == "public, max-age=60"
    body = published.json()
    fingerprint = body.pop("public_key_sha256")
    checkpoint, key = _checkpoint(body)
    assert verify_checkpoint(checkpoint, key)
    assert fingerprint == hashlib.sha256(base64.b64decode(key)).hexdigest()
    latest = client.get("/v1/ledger/checkpoints/latest").json()
    assert _checkpoint(latest) == (checkpoint, key)


def test_proofs_verify_against_the_published_checkpoint(seeded: Seeded) -> None:
    client = seeded.private.client
    checkpoint, key = _checkpoint(client.get("/v1/ledger/checkpoints/latest").json())
    for seq in range(ROUNDS):
        response = client.get("/v1/ledger/proofs", params={"shard": seeded.shard, "seq": seq})
        assert response.status_code == 200, response.text
        proof = response.json()
        assert verify_inclusion_proof(proof, checkpoint, key)
        entry = LedgerEntry.from_dict(proof["entry"])
        assert entry.leaf().hex() == proof["leaf_hash"] and entry.subject_id == seeded.target

    response = client.get("/v1/ledger/proofs", params={"shard": seeded.shard, "seq": ROUNDS})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_in_checkpoint"
    response = client.get("/v1/ledger/proofs", params={"shard": -1, "seq": 0})
    assert response.status_code == 422


def test_entries_filter_and_page(seeded: Seeded) -> None:
    client = seeded.private.client
    response = client.get("/v1/ledger/entries", params={"subject_id": seeded.target})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [item["seq"] for item in body["items"]] == list(range(ROUNDS))
    assert body["next_cursor"] is None
    assert all(
        LedgerEntry.from_dict(item).leaf().hex() == item["entry_hash"] for item in body["items"]
    )

    seen: list[tuple[int, int]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"recipient_id": "rcp_ledger", "limit": 5}
        if cursor is not None:
            params["cursor"] = cursor
        page = client.get("/v1/ledger/entries", params=params).json()
        seen += [(item["shard"], item["seq"]) for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == ROUNDS * 4 and seen == sorted(set(seen))

    kinds = client.get("/v1/ledger/entries", params={"kind": "no.such.kind"}).json()
    assert kinds == {"items": [], "next_cursor": None}
    bad = client.get("/v1/ledger/entries", params={"cursor": "nope"})
    assert bad.status_code == 422
    assert bad.json()["error"]["code"] == "invalid_cursor"
    assert client.get("/v1/ledger/entries", params={"limit": 0}).status_code == 422


def test_ledger_endpoints_need_the_operator_key(anonymous: httpx.Client) -> None:
    for method, path in (
        ("GET", "/v1/ledger/verify"),
        ("GET", "/v1/ledger/checkpoints/latest"),
        ("POST", "/v1/ledger/checkpoints"),
        ("GET", "/v1/ledger/entries"),
        ("GET", "/v1/ledger/proofs?shard=0&seq=0"),
    ):
        response = anonymous.request(method, path)
        assert response.status_code == 401, (path, response.text)
        assert response.json()["error"]["code"] == "unauthorized"


def test_shared_ledger_verifies_over_http(api: httpx.Client) -> None:
    response = api.get("/v1/ledger/verify")
    assert response.status_code == 200, response.text
    assert response.json()["ok"] is True
