"""Migration 0030 on each backend: views and rights requests keep every row and stay readable
by their ids when their keys gain the subject id, and its downgrade puts the old keys back."""

from __future__ import annotations

from sqlalchemy import inspect

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.customer_tables import rights_requests
from gatehouse.store.tables import views
from tests.conftest import Fresh
from tests.support.gateway import allowed_transfer, consent, new_seller, new_subject, publish_terms
from tests.support.migrations import downgrade_to, rows_of, upgrade_to
from tests.support.server import api_client, operator_api


def _keys(gh: Gatehouse) -> dict[str, list[str]]:
    found = inspect(gh.engine)
    return {
        name: found.get_pk_constraint(name)["constrained_columns"]
        for name in ("views", "rights_requests")
    }


def test_views_and_requests_keep_their_rows_through_the_new_keys(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with operator_api(gh) as (server, api):
        terms = publish_terms(api)
        seller = new_seller(api, server.url, "US", terms)
        try:
            transfers = []
            for _ in range(2):
                subject_id = new_subject(api)
                consent(api, subject_id, seller)
                transfers.append(allowed_transfer(api, subject_id, seller)[1])
                token = api.post(f"/v1/subjects/{subject_id}/sessions").json()["token"]
                with api_client(server.url, token) as me:
                    filed = me.post(
                        "/v1/me/requests", json={"type": "access", "message": "보여주세요"}
                    )
                    assert filed.status_code == 201, filed.text
            before = rows_of(gh.engine, (views, rights_requests))
            assert [len(rows) for rows in before.values()] == [2, 2]
            assert _keys(gh) == {
                "views": ["subject_id", "transfer_id"],
                "rights_requests": ["subject_id", "id"],
            }

            downgrade_to(gh.engine, "0029")
            assert _keys(gh) == {"views": ["transfer_id"], "rights_requests": ["id"]}
            assert rows_of(gh.engine, (views, rights_requests)) == before

            upgrade_to(gh.engine, "head")
            assert rows_of(gh.engine, (views, rights_requests)) == before
            # Read by their ids alone, as the recipient and the operator read them.
            for transfer_id in transfers:
                seen = seller.client.get(f"/v1/recipient/transfers/{transfer_id}")
                assert seen.status_code == 200, seen.text
            request_id = before["rights_requests"][0]["id"]
            resolved = api.post(f"/v1/requests/{request_id}/resolve", json={"outcome": "completed"})
            assert resolved.status_code == 200, resolved.text
        finally:
            seller.client.close()
