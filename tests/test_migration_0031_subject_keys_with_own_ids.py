"""Migration 0031 on each backend: operators' unmasked reads keep every row when their key gains
the subject id and their numbers become text, and the downgrade numbers them again by time.
Order events, which the same migration rekeys, go down and up in ``test_store_orders.py``."""

from __future__ import annotations

from sqlalchemy import select

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import pii_reads
from tests.conftest import Fresh
from tests.support.gateway import new_subject
from tests.support.migrations import downgrade_to, upgrade_to
from tests.support.server import operator_api

REASONS = ["customer service ticket CS-1", "customer service ticket CS-2"]


def _reads(gh: Gatehouse, subject_id: str) -> list[str]:
    with gh.engine.connect() as connection:
        return [read.reason for read in SubjectRepository(connection).pii_reads(subject_id)]


def test_reads_keep_their_order_through_the_new_key_and_back(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with operator_api(gh) as (_, api):
        subject_id = new_subject(api)
        for reason in reversed(REASONS):  # the later one first, so ids alone would misorder
            fresh.clock.advance(minutes=-1)
            assert api.get(f"/v1/subjects/{subject_id}", params={"reason": reason}).is_success
    assert _reads(gh, subject_id) == REASONS
    with gh.engine.connect() as connection:
        ids = connection.execute(select(pii_reads.c.id)).scalars().all()
    assert all(str(one).startswith("pir_") for one in ids)

    downgrade_to(gh.engine, "0030")
    with gh.engine.begin() as connection:
        numbered = connection.exec_driver_sql("SELECT id, reason FROM pii_reads ORDER BY id")
        assert [(row[0], row[1]) for row in numbered] == [(1, REASONS[0]), (2, REASONS[1])]
        # The old schema numbers a new row itself, after the renumbered ones.
        connection.exec_driver_sql(
            "INSERT INTO pii_reads (subject_id, api_key_id, reason, fields, at)"
            " SELECT subject_id, api_key_id, 'after the downgrade', fields, at FROM pii_reads"
            " WHERE id = 2"
        )
        assert connection.exec_driver_sql("SELECT max(id) FROM pii_reads").scalar_one() == 3

    upgrade_to(gh.engine, "head")
    assert _reads(gh, subject_id) == [*REASONS, "after the downgrade"]
    fresh.clock.advance(minutes=5)
    with gh.engine.begin() as connection:
        SubjectRepository(connection).record_pii_read(
            subject_id, _key_of(gh, subject_id), "after the upgrade", ["email"], fresh.clock()
        )
        kept = connection.execute(select(pii_reads.c.id).order_by(pii_reads.c.at)).scalars()
        assert {"1", "2", "3"} <= set(kept)
    assert _reads(gh, subject_id)[-1] == "after the upgrade"


def _key_of(gh: Gatehouse, subject_id: str) -> str:
    with gh.engine.connect() as connection:
        return str(
            connection.execute(
                select(pii_reads.c.api_key_id).where(pii_reads.c.subject_id == subject_id)
            )
            .scalars()
            .first()
        )
