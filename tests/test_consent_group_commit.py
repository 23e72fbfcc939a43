"""Consent saves from many threads at once share transactions (group commit), on SQLite and
PostgreSQL: every answer is recorded once with its ledger entry, and one bad answer fails no
other."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from gatehouse.domain.consents import ConsentRecord
from gatehouse.domain.errors import GatehouseError, NotFound
from gatehouse.services import consents, ledger, notices
from gatehouse.services.consents import ConsentAnswer, record_consents
from gatehouse.store.ledger_tables import ledger_entries
from gatehouse.store.tables import consents as consent_rows
from tests.conftest import Fresh
from tests.test_transfer_concurrency import _setup

THREADS = 8


def _notice_for(fresh: Fresh, subject_id: str, recipient_id: str) -> str:
    notice = notices.render_for_subject(
        fresh.gatehouse,
        subject_id=subject_id,
        recipient_ids=[recipient_id],
        countries=[],
        purpose="fulfilment",
        flow="provision",
        locale=None,
    )
    return notice.hash


def _count(fresh: Fresh, kind: str) -> int:
    with fresh.gatehouse.engine.connect() as connection:
        query = select(func.count()).select_from(ledger_entries)
        return int(connection.execute(query.where(ledger_entries.c.kind == kind)).scalar_one())


def test_concurrent_saves_are_each_recorded_once_and_a_bad_one_fails_alone(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    plan = _setup(gh)
    with gh.unit_of_work(read_only=True) as uow:
        orders = [uow.orders.get(order_id) for order_id in plan[0][:3]]
    pairs = [(o.subject_id, o.recipient_id) for o in orders if o is not None]
    hashes = [_notice_for(fresh, subject, recipient) for subject, recipient in pairs]
    before = _count(fresh, "consent.granted")
    answers = [(pairs[i % 3][0], hashes[i % 3]) for i in range(40)]
    answers.insert(17, (pairs[0][0], "0" * 64))  # no such notice

    def save(answer: tuple[str, str]) -> ConsentRecord | GatehouseError:
        try:
            return consents.record_consent(gh, answer[0], answer[1], granted=True, channel="web")
        except GatehouseError as error:
            return error

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(save, answers))

    failed = [r for r in results if isinstance(r, GatehouseError)]
    assert len(failed) == 1 and isinstance(failed[0], NotFound)
    assert failed[0].code == "notice_not_found"
    recorded = [r for r in results if isinstance(r, ConsentRecord)]
    assert len({r.id for r in recorded}) == 40
    assert _count(fresh, "consent.granted") - before == 40
    with gh.engine.connect() as connection:
        ids = {row.id for row in connection.execute(select(consent_rows.c.id))}
    assert {r.id for r in recorded} <= ids
    assert ledger.verify(gh).ok


def test_a_group_answers_in_order_with_each_answers_own_error(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    plan = _setup(gh)
    with gh.unit_of_work(read_only=True) as uow:
        order = uow.orders.get(plan[0][0])
    assert order is not None
    good = _notice_for(fresh, order.subject_id, order.recipient_id)

    results = record_consents(
        gh,
        [
            ConsentAnswer(order.subject_id, good, True, "web"),
            ConsentAnswer("sub_nobody", good, True, "web"),
            ConsentAnswer(order.subject_id, good, False, "carrier-pigeon"),
            ConsentAnswer(order.subject_id, good, False, "app"),
        ],
    )

    assert isinstance(results[0], ConsentRecord) and results[0].granted
    assert isinstance(results[1], GatehouseError) and results[1].code == "subject_not_found"
    assert isinstance(results[2], GatehouseError) and results[2].code == "invalid_channel"
    assert isinstance(results[3], ConsentRecord) and not results[3].granted
    assert [s.granted for s in consents.consent_states(gh, order.subject_id)] == [False]


@pytest.mark.parametrize("threads", [1, THREADS])
def test_the_ledger_holds_one_entry_per_answer(fresh: Fresh, threads: int) -> None:
    gh = fresh.gatehouse
    plan = _setup(gh)
    with gh.unit_of_work(read_only=True) as uow:
        order = uow.orders.get(plan[1][0])
    assert order is not None
    notice = _notice_for(fresh, order.subject_id, order.recipient_id)
    before = _count(fresh, "consent.refused")
    with ThreadPoolExecutor(threads) as pool:
        list(
            pool.map(
                lambda _: consents.record_consent(
                    gh, order.subject_id, notice, granted=False, channel="web"
                ),
                range(24),
            )
        )
    assert _count(fresh, "consent.refused") - before == 24
    assert ledger.verify(gh).ok
