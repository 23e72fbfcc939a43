"""Migration 0035 on each backend: each subject's answers are numbered 1, 2, 3 in the order they
were recorded, even when their times are equal, and the downgrade numbers them across the
table again, with the database's own numbering back for new rows."""

from __future__ import annotations

from sqlalchemy import select

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.tables import consents
from tests.conftest import Fresh
from tests.support.gateway import consent, new_seller, new_subject, publish_terms
from tests.support.migrations import downgrade_to, upgrade_to
from tests.support.server import api_client, operator_api


def _numbered(gh: Gatehouse) -> list[tuple[str, int, str, bool]]:
    with gh.engine.connect() as connection:
        rows = connection.execute(
            select(consents.c.subject_id, consents.c.seq, consents.c.id, consents.c.granted)
        )
        return sorted((r.subject_id, r.seq, r.id, r.granted) for r in rows)


def test_each_subjects_answers_keep_their_order_through_the_new_numbers(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with operator_api(gh) as (server, api):
        terms = publish_terms(api)
        seller = new_seller(api, server.url, "US", terms)
        try:
            first, second = new_subject(api), new_subject(api)
            # Interleaved, at one instant (the clock stands still): only the numbers order them.
            granted = {s: consent(api, s, seller) for s in (first, second)}
            token = api.post(f"/v1/subjects/{first}/sessions").json()["token"]
            with api_client(server.url, token) as me:
                withdrawn = me.post(f"/v1/me/consents/{granted[first]}/withdraw")
                assert withdrawn.status_code == 200, withdrawn.text
            numbered = _numbered(gh)
            assert [(s, n, g) for s, n, _, g in numbered] == sorted(
                [(first, 1, True), (first, 2, False), (second, 1, True)]
            )

            downgrade_to(gh.engine, "0034")
            with gh.engine.begin() as connection:
                rows = connection.exec_driver_sql(
                    "SELECT seq, subject_id, granted FROM consents ORDER BY seq"
                ).all()
                assert [r[0] for r in rows] == [1, 2, 3]
                of_first = [bool(r[2]) for r in rows if r[1] == first]
                assert of_first == [True, False]  # the grant still before its withdrawal
                # The old schema numbers a new row itself, after the renumbered ones.
                connection.exec_driver_sql(
                    "INSERT INTO consents (id, subject_id, notice_hash, purpose, granted,"
                    " channel, at) SELECT 'con_after', subject_id, notice_hash, purpose, granted,"
                    " channel, at FROM consents WHERE seq = 3"
                )
                assert connection.exec_driver_sql("SELECT max(seq) FROM consents").scalar_one() == 4

            upgrade_to(gh.engine, "head")
            after = _numbered(gh)
            # The answers before the round trip keep their numbers; the one added at the old
            # schema comes last in its subject's history.
            assert [row for row in after if row[2] != "con_after"] == numbered
            added = next(row for row in after if row[2] == "con_after")
            assert added[1] == 1 + max(n for s, n, i, _ in numbered if s == added[0])
            # Numbering goes on from there, through the use case.
            latest = consent(api, second, seller)
            of_second = [(n, i) for s, n, i, _ in _numbered(gh) if s == second]
            assert [n for n, _ in of_second] == list(range(1, len(of_second) + 1))
            assert of_second[-1][1] == latest
            states = api.get(f"/v1/subjects/{first}/consents")
            assert states.status_code == 200, states.text
            assert [c["granted"] for c in states.json()["items"]] == [False]
        finally:
            seller.client.close()
