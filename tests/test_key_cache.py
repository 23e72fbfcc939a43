"""API keys remembered in process: a remembered key costs a transfer no read of its own, a key
revoked by another Gatehouse on the same database is refused by the very next request, on
SQLite and PostgreSQL, and tokens that match nothing take no memory."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event, select, update

from gatehouse.config import Settings
from gatehouse.domain.errors import Unauthorized
from gatehouse.services import access
from gatehouse.services.access import Audience, Principal
from gatehouse.services.key_cache import KeyCache, KnownKey
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.transfers import TransferRequest, decide_items
from gatehouse.store import generations
from gatehouse.store.tables import api_keys, recipients, transfers
from tests.conftest import Fresh
from tests.support.server import LiveServer, api_client
from tests.test_transfer_concurrency import _setup

BODY = {"purpose": "fulfilment", "flow": "provision"}


def _another_gatehouse(fresh: Fresh) -> Gatehouse:
    """A second Gatehouse on the same database: its own memory, as another process has."""
    settings = Settings.from_env(
        {
            "GATEHOUSE_DATABASE_URL": fresh.backend.url,
            "GATEHOUSE_MASTER_KEY": fresh.master_key.to_b64(),
        }
    )
    return open_gatehouse(settings, clock=fresh.clock, run_migrations=False)


@contextmanager
def _client(gh: Gatehouse, token: str) -> Iterator[httpx.Client]:
    with (
        LiveServer(gh) as server,
        api_client(server.url, token) as client,
    ):
        yield client


@contextmanager
def _statements(gh: Gatehouse) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: Any) -> None:
        seen.append(" ".join(str(args[2]).split()))

    event.listen(gh.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(gh.engine, "before_cursor_execute", record)


def _revoke_operator_key(gh: Gatehouse, token: str) -> None:
    """Take an operator key out of use as any revoking write must: with the registry's
    generation moved in the same transaction."""
    with gh.engine.begin() as connection:
        connection.execute(
            update(api_keys)
            .where(api_keys.c.key_hash == access.hash_key(token))
            .values(revoked_at=gh.clock())
        )
        generations.bump(connection, generations.REGISTRY)


def _transfers_of(gh: Gatehouse, order_id: str) -> int:
    with gh.engine.connect() as connection:
        found = connection.execute(select(transfers.c.id).where(transfers.c.order_id == order_id))
        return len(found.all())


def test_a_remembered_key_costs_a_transfer_no_read_of_its_own(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    plan = _setup(gh)
    token = access.issue_operator_key(gh, gh.clock())
    with _client(gh, token) as client:
        with _statements(gh) as cold:
            assert client.post(f"/v1/orders/{plan[0][0]}/transfers", json=BODY).status_code == 201
        with _statements(gh) as warm:
            assert client.post(f"/v1/orders/{plan[0][2]}/transfers", json=BODY).status_code == 201
    assert any("api_keys" in s for s in cold)
    assert not any("api_keys" in s for s in warm), warm
    # The key is confirmed by the generations the transfer reads for its facts anyway.
    assert sum("fact_generations" in s for s in warm) == 1, warm


def test_a_key_revoked_by_another_gatehouse_refuses_the_next_transfer_here(
    fresh: Fresh,
) -> None:
    a = fresh.gatehouse
    plan = _setup(a)
    token = access.issue_operator_key(a, a.clock())
    b = _another_gatehouse(fresh)
    try:
        with _client(b, token) as client:
            assert client.post(f"/v1/orders/{plan[0][0]}/transfers", json=BODY).status_code == 201
            assert b.facts.keys.get(access.hash_key(token)) is not None  # remembered in B

            _revoke_operator_key(a, token)  # in A, which B's memory knows nothing of
            refused = client.post(f"/v1/orders/{plan[0][2]}/transfers", json=BODY)
            assert refused.status_code == 401, refused.text
            assert refused.json()["error"]["code"] == "unauthorized"
            assert _transfers_of(a, plan[0][2]) == 0
            # Forgotten, so the next request looks the key up again and is refused there.
            assert b.facts.keys.get(access.hash_key(token)) is None
            consent = client.post(
                "/v1/subjects/sub_anyone/consents",
                json={"notice_hash": "0" * 64, "granted": True, "channel": "web"},
            )
            assert consent.status_code == 401
    finally:
        b.close()


def test_a_recipient_key_revoked_elsewhere_is_refused_on_every_route(fresh: Fresh) -> None:
    a = fresh.gatehouse
    _setup(a)
    with a.engine.connect() as connection:
        seller = connection.execute(select(recipients.c.id).limit(1)).scalar_one()
    token = access.replace_recipient_keys(a, seller, a.clock())
    b = _another_gatehouse(fresh)
    try:
        with _client(b, token) as client:
            assert client.get("/v1/recipient/me").status_code == 200
            assert client.get("/v1/recipient/me").status_code == 200  # remembered now
            access.revoke_recipient_keys(a, seller, a.clock())
            assert client.get("/v1/recipient/me").status_code == 401
    finally:
        b.close()


def test_a_group_refuses_a_revoked_key_before_writing_and_keeps_a_live_one(
    fresh: Fresh,
) -> None:
    a = fresh.gatehouse
    plan = _setup(a)
    token = access.issue_operator_key(a, a.clock())
    b = _another_gatehouse(fresh)
    try:
        known = access.known_key(b, token)
        runner = lambda items: decide_items(b, items)  # noqa: E731
        first = TransferRequest(plan[0][0], "fulfilment", "provision")
        assert b.transfer_groups.submit(first, runner, tag=known).decision.allowed

        # Another key's change moves the generation: a live key is looked up once more.
        with a.engine.begin() as connection:
            generations.bump(connection, generations.REGISTRY)
        second = TransferRequest(plan[0][2], "fulfilment", "provision")
        assert b.transfer_groups.submit(second, runner, tag=known).decision.allowed
        reloaded = b.facts.keys.get(known.key_hash)
        assert reloaded is not None and reloaded.generation != known.generation

        _revoke_operator_key(a, token)
        third = TransferRequest(plan[0][4], "fulfilment", "provision")
        with pytest.raises(Unauthorized):
            b.transfer_groups.submit(third, runner, tag=reloaded)
        assert _transfers_of(a, plan[0][4]) == 0
    finally:
        b.close()


def test_tokens_that_match_nothing_take_no_memory(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    token = access.issue_operator_key(gh, gh.clock())
    access.authenticate(gh, token)
    for _ in range(200):
        with pytest.raises(Unauthorized):
            access.authenticate(gh, "gh_op_" + secrets.token_urlsafe(32))
        assert access.remembered_key(gh, "gh_op_" + secrets.token_urlsafe(32)) is None
    assert len(gh.facts.keys) == 1


def test_the_table_forgets_its_oldest_key_when_full() -> None:
    cache = KeyCache(max_keys=2)
    keys = [KnownKey(f"h{i}", Principal(f"key_{i}", Audience.OPERATOR), 1) for i in range(3)]
    for known in keys:
        cache.remember(known)
    assert len(cache) == 2
    assert cache.get("h0") is None and cache.get("h1") == keys[1] and cache.get("h2") == keys[2]
    cache.remember(keys[1])  # seen again: now the newest
    cache.remember(keys[0])
    assert cache.get("h2") is None and cache.get("h1") == keys[1]
