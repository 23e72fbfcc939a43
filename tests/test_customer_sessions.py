"""What the privacy center asks the customer-session service besides signing in: the live
subject behind a session, and whether a refused token belonged to an erased account; and a
link opened twice at once, on each backend, spent only once."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import httpx
import pytest

from gatehouse.domain.errors import NotFound, Unauthorized
from gatehouse.services.customer_sessions import (
    authenticate_customer,
    belongs_to_erased_subject,
    customer_subject,
    end_session,
    open_link,
)
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.sqlite_writer import writer_turn
from gatehouse.store.customer_sessions import CustomerSessionRepository
from gatehouse.vault import KeyShredded
from tests.support.factories import subject_body


def new_customer(api: httpx.Client) -> tuple[str, str]:
    """A new subject and a fresh link token for it."""
    created = api.post("/v1/subjects", json=subject_body())
    assert created.status_code == 201, created.text
    subject_id = str(created.json()["id"])
    link = api.post(f"/v1/subjects/{subject_id}/sessions")
    assert link.status_code == 201, link.text
    return subject_id, str(link.json()["token"])


def test_the_customer_subject_is_the_live_one(api: httpx.Client, gatehouse: Gatehouse) -> None:
    subject_id, _token = new_customer(api)
    subject = customer_subject(gatehouse, subject_id)
    assert subject.id == subject_id and not subject.deleted
    assert subject.rule_pack == "KR-PIPA" and subject.residence_country == "KR"
    assert api.delete(f"/v1/subjects/{subject_id}").status_code == 202
    with pytest.raises(KeyShredded):
        customer_subject(gatehouse, subject_id)
    with pytest.raises(NotFound):
        customer_subject(gatehouse, "sub_nobody")


def test_a_token_of_an_erased_account_is_told_apart_from_an_ended_one(
    api: httpx.Client, gatehouse: Gatehouse
) -> None:
    kept_id, kept_link = new_customer(api)
    erased_id, erased_link = new_customer(api)
    kept_cookie, _ = open_link(gatehouse, kept_link)
    erased_cookie, _ = open_link(gatehouse, erased_link)
    for token in (kept_link, kept_cookie, erased_link, erased_cookie):
        assert belongs_to_erased_subject(gatehouse, token) is False
    # Signing out ends a session; the account stays, so it is not "gone".
    end_session(gatehouse, kept_cookie)
    with pytest.raises(Unauthorized):
        authenticate_customer(gatehouse, kept_cookie)
    assert belongs_to_erased_subject(gatehouse, kept_cookie) is False

    assert api.delete(f"/v1/subjects/{erased_id}").status_code == 202
    assert belongs_to_erased_subject(gatehouse, erased_cookie) is True
    assert belongs_to_erased_subject(gatehouse, erased_link) is True
    for stranger in (None, "", "not-a-token", "x" * 500):
        assert belongs_to_erased_subject(gatehouse, stranger) is False
    assert customer_subject(gatehouse, kept_id).id == kept_id


def test_a_link_opened_twice_at_once_opens_one_session(
    api: httpx.Client, gatehouse: Gatehouse, monkeypatch: pytest.MonkeyPatch
) -> None:
    subject_id, link = new_customer(api)
    # Both openings have read the unspent link before either spends it.
    both_read = threading.Barrier(2, timeout=10)
    spend = CustomerSessionRepository.spend

    def spend_after_both_read(
        self: CustomerSessionRepository, session_id: str, at: datetime
    ) -> bool:
        both_read.wait()
        return spend(self, session_id, at)

    # SQLite's writers in one process take turns (gatehouse/services/sqlite_writer.py), so
    # there the two openings cannot both read before either spends: they simply run at once.
    if writer_turn(gatehouse.engine) is None:
        monkeypatch.setattr(CustomerSessionRepository, "spend", spend_after_both_read)

    def attempt() -> str:
        try:
            cookie, _ = open_link(gatehouse, link)
        except Unauthorized as refused:
            return refused.code
        return cookie

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = sorted(pool.map(lambda _: attempt(), range(2)))

    monkeypatch.undo()
    assert results.count("link_used") == 1
    (cookie,) = [r for r in results if r != "link_used"]
    assert authenticate_customer(gatehouse, cookie).subject_id == subject_id
