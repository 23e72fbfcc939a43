"""Vault guarantees against a real database: tampering, crypto-shredding, rotation."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select, update

from gatehouse.services import subjects as subject_service
from gatehouse.services.key_rotation import rewrap_all
from gatehouse.services.retention import read_record
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.retention_records import RetentionRecordRepository
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import api_keys, pii_fields, subject_keys
from gatehouse.vault import Keyring, KeyShredded, MasterKey, VaultTamperError
from tests.support.factories import subject_body


def _ciphertext(gh: Gatehouse, subject_id: str, field: str) -> bytes:
    with gh.engine.connect() as connection:
        return connection.execute(
            select(pii_fields.c.ciphertext).where(
                pii_fields.c.subject_id == subject_id, pii_fields.c.field == field
            )
        ).scalar_one()


def test_ciphertext_moved_to_another_subject_fails_clearly(
    api: httpx.Client, gatehouse: Gatehouse
) -> None:
    alice = api.post("/v1/subjects", json=subject_body()).json()["id"]
    bob = api.post("/v1/subjects", json=subject_body()).json()["id"]
    stolen = _ciphertext(gatehouse, alice, "email")
    with gatehouse.engine.begin() as connection:
        connection.execute(
            update(pii_fields)
            .where(pii_fields.c.subject_id == bob, pii_fields.c.field == "email")
            .values(ciphertext=stolen)
        )
    with gatehouse.engine.connect() as connection, pytest.raises(VaultTamperError) as caught:
        subject_service.decrypt_pii(gatehouse, connection, bob)
    assert caught.value.code == "ciphertext_mismatch"
    assert "email" in caught.value.message and bob in caught.value.message
    response = api.get(f"/v1/subjects/{bob}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "ciphertext_mismatch"
    # The victim's own data is untouched and still readable.
    assert api.get(f"/v1/subjects/{alice}").status_code == 200


def test_field_moved_to_another_field_of_same_subject_fails(
    api: httpx.Client, gatehouse: Gatehouse
) -> None:
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    name_blob = _ciphertext(gatehouse, subject_id, "name")
    with gatehouse.engine.begin() as connection:
        connection.execute(
            update(pii_fields)
            .where(pii_fields.c.subject_id == subject_id, pii_fields.c.field == "email")
            .values(ciphertext=name_blob)
        )
    assert api.get(f"/v1/subjects/{subject_id}").json()["error"]["code"] == "ciphertext_mismatch"


def test_crypto_shredding_makes_pii_unrecoverable(api: httpx.Client, gatehouse: Gatehouse) -> None:
    subject_id = api.post("/v1/subjects", json=subject_body()).json()["id"]
    with gatehouse.engine.begin() as connection:
        SubjectRepository(connection).shred(subject_id, gatehouse.clock())
    with gatehouse.engine.connect() as connection:
        assert SubjectRepository(connection).wrapped_key(subject_id) is None
        with pytest.raises(KeyShredded):
            subject_service.decrypt_pii(gatehouse, connection, subject_id)
    shown = api.get(
        f"/v1/subjects/{subject_id}", params={"reason": "checking an erased subject"}
    ).json()
    assert shown["deleted"] is True and shown["pii"] is None


def test_rotation_keeps_every_subject_readable(
    api: httpx.Client, gatehouse: Gatehouse, master_key: MasterKey
) -> None:
    ids = [api.post("/v1/subjects", json=subject_body()).json()["id"] for _ in range(7)]
    assert api.post("/v1/ledger/checkpoints").status_code == 201  # creates the signing key
    # A deletion leaves a retention record sealed under its own wrapped key.
    seller = api.post("/v1/recipients", json={"kind": "seller", "legal_name": "Kept Ltd"}).json()
    gone = api.post("/v1/subjects", json=subject_body()).json()["id"]
    order = {
        "subject_id": gone,
        "recipient_id": seller["id"],
        "external_ref": "KEEP-1",
        "items": [{"sku": "S", "name": "N", "quantity": 1}],
        "customs_required": False,
    }
    assert api.post("/v1/orders", json=order).status_code == 201
    deletion = api.delete(f"/v1/subjects/{gone}").json()["receipt"]["deletion_id"]
    new_key = MasterKey.generate()
    keyring = Keyring([new_key, master_key])
    report = rewrap_all(gatehouse, keyring, batch=3)
    assert report.remaining == 0
    assert report.data_keys >= 7
    with gatehouse.engine.connect() as connection:
        kek_ids = set(connection.execute(select(subject_keys.c.kek_id)).scalars())
    assert kek_ids == {new_key.key_id}
    # Serve with the new keyring only: the old master key is no longer needed.
    old_keyring = gatehouse.keyring
    gatehouse.keyring = Keyring([new_key])
    try:
        for subject_id in ids:
            shown = api.get(f"/v1/subjects/{subject_id}", params={"reason": "post-rotation check"})
            assert shown.status_code == 200 and shown.json()["pii"]["name"]
        # New subjects are wrapped under the new key too.
        created = api.post("/v1/subjects", json=subject_body())
        assert created.status_code == 201
        # Operator secrets moved too: the ledger still signs with its re-wrapped key.
        assert api.post("/v1/ledger/checkpoints").status_code == 201
        with gatehouse.engine.connect() as connection:
            (record,) = RetentionRecordRepository(connection).for_deletion(deletion)
        assert record.kek_id == new_key.key_id
        assert read_record(gatehouse, record)["order_ref"] == "KEEP-1"
    finally:
        # Re-wrap back so the rest of the session keeps its original key.
        rewrap_all(gatehouse, Keyring([master_key, new_key]))
        gatehouse.keyring = old_keyring


def test_api_keys_are_stored_hashed(
    api: httpx.Client, gatehouse: Gatehouse, operator_key: str
) -> None:
    created = api.post(
        "/v1/recipients", json={"kind": "seller", "legal_name": "Hash Check Ltd"}
    ).json()
    with gatehouse.engine.connect() as connection:
        rows = connection.execute(select(api_keys.c.key_hash, api_keys.c.prefix)).all()
    stored = " ".join(f"{row.key_hash} {row.prefix}" for row in rows)
    assert operator_key not in stored and created["api_key"] not in stored
    assert all(len(row.key_hash) == 64 for row in rows)
