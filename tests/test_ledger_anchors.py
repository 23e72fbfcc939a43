"""Invariant 5 against a forger with write access to the database: checkpoints chained by
consistency proofs, published outside the database, and a checkpoint saved elsewhere.

Each case runs on a real database of each kind, with ``gatehouse ledger verify`` run as a
real process, and tampers with plain SQL the way someone holding the database would.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
from sqlalchemy import delete, select, text, update

from gatehouse.ledger import ShardState, append_entry, shard_for
from gatehouse.services import ledger, ledger_anchors, ledger_keys
from gatehouse.services import ledger_checkpoints as signing
from gatehouse.services.access import issue_operator_key
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger import LedgerRepository
from gatehouse.store.ledger_tables import ledger_checkpoints, ledger_entries, ledger_shards
from gatehouse.store.tables import metadata
from gatehouse.vault import Keyring, MasterKey
from tests.conftest import Fresh
from tests.support.factories import unique
from tests.support.ledger import forge_rewrite
from tests.support.server import LiveServer

GATEHOUSE = [sys.executable, "-m", "gatehouse"]
# Entries of the target subject; checkpoints are signed after entries 3 and 6, so each
# covers several entries and only the leaves it published can name one of them.
ENTRIES = 6
EDITED = 1


def _seed(fresh: Fresh, anchors: Path) -> tuple[int, str]:
    gh = fresh.gatehouse
    gh.checkpoint_dir = anchors
    target = f"sub_target_{unique()}"
    for number in range(ENTRIES):
        fresh.clock.advance(seconds=1)
        with gh.engine.begin() as connection:
            ledger.append(
                connection,
                kind="test.event",
                at=gh.clock(),
                subject_id=target,
                recipient_id="rcp_anchor",
                payload={"round": number},
            )
        if number + 1 in (ENTRIES // 2, ENTRIES):
            signing.make_checkpoint(gh)
    return shard_for(target, ledger.LEDGER_SHARDS), target


def _save_trusted(gh: Gatehouse, path: Path) -> Path:
    """What a customer or auditor keeps from /.well-known/gatehouse/checkpoint."""
    checkpoint = signing.latest_checkpoint(gh)
    assert checkpoint is not None
    key = signing.public_key(gh)
    path.write_text(json.dumps(ledger_anchors.published_document(checkpoint, key)))
    return path


def _rewrite(gh: Gatehouse, shard: int, seq: int) -> None:
    """Edit entry ``seq``, re-chain every later entry and fix the head, all with SQL."""
    with gh.engine.begin() as connection:
        forge_rewrite(connection, shard, seq)


def _truncate(gh: Gatehouse, shard: int, keep: int) -> None:
    """Delete the shard's entries from ``keep`` on and set its head back, with SQL."""
    with gh.engine.begin() as connection:
        connection.execute(
            delete(ledger_entries).where(
                ledger_entries.c.shard == shard, ledger_entries.c.seq >= keep
            )
        )
        state = ShardState.empty(shard)
        for entry in list(LedgerRepository(connection).stream_shard(shard)):
            _, state = append_entry(
                state, entry.kind, entry.at, entry.subject_id, entry.recipient_id, entry.payload
            )
        connection.execute(
            update(ledger_shards)
            .where(ledger_shards.c.shard == shard)
            .values(state=state.to_dict())
        )


def _delete_checkpoints(gh: Gatehouse, *sequences: int) -> None:
    with gh.engine.begin() as connection:
        query = delete(ledger_checkpoints)
        if sequences:
            query = query.where(ledger_checkpoints.c.sequence.in_(sequences))
        connection.execute(query)


def _verify(
    fresh: Fresh, cwd: Path, *args: str, anchors: Path | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env["GATEHOUSE_DATABASE_URL"] = fresh.backend.url
    env["GATEHOUSE_MASTER_KEY"] = fresh.master_key.to_b64()
    env.update(extra)
    if anchors is not None:
        env["GATEHOUSE_CHECKPOINT_DIR"] = str(anchors)
    return subprocess.run(
        [*GATEHOUSE, "ledger", "verify", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_checkpoints_are_published_once_each_and_verify(fresh: Fresh, tmp_path: Path) -> None:
    anchors = tmp_path / "anchors"
    _seed(fresh, anchors)

    names = sorted(path.name for path in anchors.iterdir())
    assert names == [ledger_anchors.anchor_name(1), ledger_anchors.anchor_name(2)]
    second = json.loads((anchors / names[1]).read_text())
    first = json.loads((anchors / names[0]).read_text())
    assert second["format"] == "gatehouse.checkpoint.v2"
    assert second["previous"] is not None and len(second["consistency"]) == len(second["shards"])
    assert first["previous"] is None and first["consistency"] == []
    trusted = _save_trusted(fresh.gatehouse, tmp_path / "trusted.json")

    run = _verify(fresh, tmp_path, "--trusted", str(trusted), anchors=anchors)

    assert run.returncode == 0, run.stdout + run.stderr
    assert f"ok: the ledger verifies ({ENTRIES} entries)" in run.stdout


def test_a_rewrite_with_checkpoints_deleted_is_named_by_what_was_published(
    fresh: Fresh, tmp_path: Path
) -> None:
    gh = fresh.gatehouse
    anchors = tmp_path / "anchors"
    shard, _ = _seed(fresh, anchors)
    trusted = _save_trusted(gh, tmp_path / "trusted.json")
    _delete_checkpoints(gh)
    _rewrite(gh, shard, EDITED)
    # The database alone no longer shows anything: its chain and heads were recomputed.
    gh.checkpoint_dir = None
    assert ledger.verify(gh).ok

    saved = _verify(fresh, tmp_path, "--trusted", str(trusted), anchors=anchors)
    published = _verify(fresh, tmp_path, anchors=anchors)
    explicit = _verify(fresh, tmp_path, "--anchors", str(anchors))
    alone = _verify(fresh, tmp_path, "--trusted", str(trusted))

    for run in (saved, published, explicit):
        assert run.returncode == 1, run.stdout + run.stderr
        assert f"first bad entry: shard {shard}, seq {EDITED}" in run.stdout, run.stdout
        assert "rewritten" in run.stdout
    # A saved checkpoint alone holds roots only: it bounds the change to the entries it covers.
    assert alone.returncode == 1, alone.stdout + alone.stderr
    assert f"first bad entry: shard {shard}, seq 0" in alone.stdout
    assert f"entries 0..{ENTRIES - 1}" in alone.stdout


def test_a_rewrite_under_stored_checkpoints_is_named_exactly(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    shard, _ = _seed(fresh, tmp_path / "anchors")
    _rewrite(gh, shard, EDITED)

    result = ledger.verify(gh)

    assert result.first_bad is not None, result
    assert (result.first_bad.shard, result.first_bad.seq) == (shard, EDITED)


def test_the_api_verifies_against_the_configured_anchor_directory(
    fresh: Fresh, tmp_path: Path
) -> None:
    gh = fresh.gatehouse
    shard, _ = _seed(fresh, tmp_path / "anchors")
    _delete_checkpoints(gh)
    _rewrite(gh, shard, EDITED)
    key = issue_operator_key(gh, fresh.clock(), label="anchor tests")
    with LiveServer(gh) as server:
        response = httpx.get(
            f"{server.url}/v1/ledger/verify", headers={"Authorization": f"Bearer {key}"}
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["ok"] is False
    assert (body["first_bad"]["shard"], body["first_bad"]["seq"]) == (shard, EDITED), body


def test_a_truncated_covered_tail_is_caught(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    anchors = tmp_path / "anchors"
    shard, _ = _seed(fresh, anchors)
    trusted = _save_trusted(gh, tmp_path / "trusted.json")
    _delete_checkpoints(gh, 2)
    _truncate(gh, shard, ENTRIES - 2)

    saved = _verify(fresh, tmp_path, "--trusted", str(trusted))
    published = _verify(fresh, tmp_path, anchors=anchors)

    for run in (saved, published):
        assert run.returncode == 1, run.stdout + run.stderr
        assert f"first bad entry: shard {shard}, seq {ENTRIES - 2}" in run.stdout
        assert f"has {ENTRIES} entries, found {ENTRIES - 2}" in run.stdout


def test_a_checkpoint_deleted_from_the_database_is_caught(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    anchors = tmp_path / "anchors"
    _seed(fresh, anchors)

    _delete_checkpoints(gh, 1)
    first = _verify(fresh, tmp_path)
    assert first.returncode == 1
    assert "checkpoint #1 is missing (the first stored is #2)" in first.stdout

    _delete_checkpoints(gh)
    latest = _verify(fresh, tmp_path, anchors=anchors)
    assert latest.returncode == 1
    assert "first problem: the checkpoints" in latest.stdout
    assert "is missing from the database" in latest.stdout


def test_a_checkpoint_replaced_in_the_database_is_caught(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    _seed(fresh, tmp_path / "anchors")
    with gh.engine.begin() as connection:
        body = connection.execute(
            select(ledger_checkpoints.c.body).where(ledger_checkpoints.c.sequence == 1)
        ).scalar_one()
        body["at"] = "2020-01-01T00:00:00.000000Z"
        connection.execute(
            update(ledger_checkpoints).where(ledger_checkpoints.c.sequence == 1).values(body=body)
        )

    run = _verify(fresh, tmp_path)

    assert run.returncode == 1
    assert "checkpoint #1 signature does not verify" in run.stdout


def test_a_changed_public_key_fails_the_trusted_check(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    _seed(fresh, tmp_path / "anchors")
    trusted = _save_trusted(gh, tmp_path / "trusted.json")
    # The same entries, their checkpoints signed again under a key the saver never saw.
    other = MasterKey.generate()
    gh.keyring = Keyring([other, fresh.master_key])
    gh.checkpoint_dir = None
    _delete_checkpoints(gh)
    signing.make_checkpoint(gh)
    signing.make_checkpoint(gh)

    run = _verify(
        fresh,
        tmp_path,
        "--trusted",
        str(trusted),
        GATEHOUSE_MASTER_KEY=other.to_b64(),
        GATEHOUSE_MASTER_KEY_PREVIOUS=fresh.master_key.to_b64(),
    )

    assert run.returncode == 1, run.stdout + run.stderr
    assert "differs from the trusted checkpoint (signed by another key)" in run.stdout


def test_the_signing_key_is_not_in_the_database(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    _seed(fresh, tmp_path / "anchors")
    private = ledger_keys.signer(gh).private_bytes()
    spellings = [
        private.hex(),
        base64.b64encode(private).decode(),
        base64.urlsafe_b64encode(private).decode().rstrip("="),
    ]
    dump: list[str] = []
    with gh.engine.connect() as connection:
        secrets = connection.execute(text("SELECT * FROM vault_secrets")).all()
        for table in metadata.sorted_tables:
            dump += [repr(tuple(row)) for row in connection.execute(select(table))]
    assert all(row[0] != signing.LEDGER_SIGNING_SECRET for row in secrets)
    text_dump = "\n".join(dump + [repr(tuple(row)) for row in secrets])
    for spelling in spellings:
        assert spelling not in text_dump
    if fresh.backend.name == "sqlite":
        path = Path(fresh.backend.url.removeprefix("sqlite:///"))
        for file in path.parent.glob(path.name + "*"):
            assert private not in file.read_bytes()
