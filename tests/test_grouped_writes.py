"""Customers' own deletions gathered by a group commit, on SQLite and PostgreSQL: each token
signs its own customer in, each gets its own receipt or refusal, and the HTTP endpoint answers
through the group with the receipt and the session's end."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from gatehouse.demo.korea import KoreanCustomers
from gatehouse.domain.errors import Unauthorized
from gatehouse.services import subjects
from gatehouse.services.customer_sessions import authenticate_customer, create_link
from gatehouse.services.deletion import DeletionReceipt
from gatehouse.services.grouped_writes import DeletionGroups, delete_accounts, delete_my_account
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.erasure_tables import deletions
from gatehouse.vault import KeyShredded
from tests.conftest import Fresh
from tests.support.server import LiveServer, api_client


def _customers(gh: Gatehouse, count: int, seed: int) -> list[tuple[str, str]]:
    """New customers, each with a sign-in link's token: (subject id, token)."""
    people = KoreanCustomers(seed=seed)
    made = []
    for i in range(count):
        subject = subjects.create_subject(
            gh, subjects.NewSubject(pii=people.one(i), residence_country="KR", locale="ko-KR")
        )
        made.append((subject.id, create_link(gh, subject.id).token))
    return made


def _deleted(gh: Gatehouse, subject_id: str) -> bool:
    with gh.unit_of_work(read_only=True) as uow:
        subject = uow.subjects.get(subject_id)
    return subject is not None and subject.deleted


def test_one_group_erases_each_signed_in_customer_and_refuses_a_bad_token(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    (first, first_token), (second, second_token) = _customers(gh, 2, seed=11)

    answers = delete_accounts(gh, [second_token, "not-a-token", first_token])

    assert isinstance(answers[0], DeletionReceipt) and answers[0].subject_id == second
    assert isinstance(answers[1], Unauthorized)
    assert isinstance(answers[2], DeletionReceipt) and answers[2].subject_id == first
    assert _deleted(gh, first) and _deleted(gh, second)
    # Each customer's sessions ended with the account, in the same transaction.
    for token in (first_token, second_token):
        with pytest.raises(Unauthorized):
            authenticate_customer(gh, token)


def test_the_same_customer_twice_in_a_group_is_erased_once(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    ((subject_id, token),) = _customers(gh, 1, seed=12)
    groups = DeletionGroups(max_wait=0.5)

    async def twice() -> list[object]:
        return list(
            await asyncio.gather(
                delete_my_account(gh, groups, token),
                delete_my_account(gh, groups, token),
                return_exceptions=True,
            )
        )

    answers = asyncio.run(twice())
    receipts = [a for a in answers if isinstance(a, DeletionReceipt)]
    assert len(receipts) == 1 and receipts[0].subject_id == subject_id
    # Signed in before the first erasure (one group) the second finds the subject erased;
    # after it (the next group) its sign-in is refused.
    (other,) = [a for a in answers if not isinstance(a, DeletionReceipt)]
    assert isinstance(other, KeyShredded | Unauthorized)
    with gh.engine.connect() as connection:
        count = select(func.count()).select_from(deletions)
        assert connection.execute(count.where(deletions.c.subject_id == subject_id)).scalar() == 1


def test_delete_me_answers_the_receipt_through_the_group(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    ((subject_id, token),) = _customers(gh, 1, seed=13)
    with (
        LiveServer(gh) as server,
        api_client(server.url) as client,
    ):
        bearer = {"Authorization": f"Bearer {token}"}
        answered = client.delete("/v1/me", headers=bearer)
        assert answered.status_code == 202, answered.text
        assert answered.headers["cache-control"] == "no-store"
        assert answered.json()["receipt"]["subject_id"] == subject_id
        again = client.delete("/v1/me", headers=bearer)
        assert again.status_code == 401 and again.json()["error"]["code"] == "unauthorized"
        assert client.delete("/v1/me").status_code == 401
    assert _deleted(gh, subject_id)
