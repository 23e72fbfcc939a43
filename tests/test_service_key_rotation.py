"""Master-key rotation, in batches, on the in-memory unit of work (no database)."""

from __future__ import annotations

import pytest

from gatehouse.ledger import CheckpointSigner
from gatehouse.services import (
    key_rotation,
    ledger_checkpoints,
    ledger_keys,
    operator_webhook,
    recipients,
    webhooks,
)
from gatehouse.services import subjects as subject_service
from gatehouse.vault import Keyring, MasterKey, unwrap_key, wrap_key
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def test_everything_moves_under_the_new_key_and_still_opens(w: World) -> None:
    people = [w.subject() for _ in range(5)]
    seller = w.recipient()
    w.db.tables.webhook_secrets[seller.id] = wrap_key(
        bytes(32), recipients.webhook_secret_context(seller.id), w.gh.keyring
    )
    webhooks.rotate_webhook_secret(w.gh, seller.id)  # a current and a previous secret
    operator_webhook.set_operator_webhook(w.gh, "https://shop.example/hooks")
    # A database from before the signing key was derived still holds one, wrapped.
    legacy = ledger_checkpoints.LEDGER_SIGNING_SECRET
    w.db.tables.vault_secrets[legacy] = wrap_key(
        CheckpointSigner.generate().private_bytes(), legacy, w.gh.keyring
    )
    old = w.gh.keyring.current
    rotated = Keyring([MasterKey.generate(), old])
    seen: list[tuple[int, int]] = []

    report = key_rotation.rewrap_all(
        w.gh, rotated, batch=2, progress=lambda done, total: seen.append((done, total))
    )

    new_id = rotated.current.key_id
    assert report.data_keys == 5 and report.remaining == 0
    # Two webhook secrets, the operator's, and the ledger's signing key.
    assert report.secrets == 4
    assert seen == [(2, 5), (4, 5), (5, 5)]
    assert all(key.kek_id == new_id for key in w.db.tables.keys.values())
    assert w.db.tables.vault_secrets[ledger_checkpoints.LEDGER_SIGNING_SECRET].kek_id == new_id
    assert w.db.tables.webhook_secrets[seller.id].kek_id == new_id
    # Everything still opens under the new keyring alone.
    w.gh.keyring = Keyring([rotated.current])
    for subject_id in people:
        with w.gh.unit_of_work(read_only=True) as uow:
            assert subject_service.open_pii(w.gh, uow.subjects, subject_id).name == "홍길동"
    context = recipients.webhook_secret_context(seller.id)
    unwrap_key(w.db.tables.webhook_secrets[seller.id], context, w.gh.keyring)
    assert ledger_keys.legacy_public_key(w.gh) is not None


def test_a_second_rotation_moves_nothing(w: World) -> None:
    w.subject()
    rotated = Keyring([MasterKey.generate(), w.gh.keyring.current])
    key_rotation.rewrap_all(w.gh, rotated)

    again = key_rotation.rewrap_all(w.gh, rotated)

    assert again == key_rotation.RotationReport(data_keys=0, secrets=0, remaining=0)


def test_a_key_shredded_mid_rotation_drops_out(w: World) -> None:
    kept, shredded = w.subject(), w.subject()
    rotated = Keyring([MasterKey.generate(), w.gh.keyring.current])
    w.erase(shredded)

    report = key_rotation.rewrap_all(w.gh, rotated, batch=1)

    assert report.data_keys == 1 and set(w.db.tables.keys) == {kept}
