"""Migration 0032 on each backend: transfers keep every row and stay readable by their ids when
their key gains the subject id, views and requests name their transfer through the pair, and
the downgrade puts the old keys back."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, insert, inspect
from sqlalchemy.exc import IntegrityError

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.customer_tables import rights_requests
from gatehouse.store.tables import safe_numbers, transfers, views
from tests.conftest import Fresh
from tests.support.gateway import allowed_transfer, consent, new_seller, new_subject, publish_terms
from tests.support.migrations import downgrade_to, rows_of, upgrade_to
from tests.support.server import api_client, operator_api

_TABLES = (transfers, views, rights_requests, safe_numbers)


def _keys_into(engine: Engine, table: str) -> dict[str, tuple[list[str], list[str]]]:
    """Each foreign key of ``table``, by the table it names: (its columns, the named columns)."""
    return {
        key["referred_table"] + ":" + ",".join(key["constrained_columns"]): (
            key["constrained_columns"],
            key["referred_columns"],
        )
        for key in inspect(engine).get_foreign_keys(table)
    }


def _a_view_of_another_subjects_transfer(
    gh: Gatehouse, subject_id: str, row: dict[str, Any]
) -> None:
    # A view whose subject is not its transfer's: the pair names no transfer.
    with gh.engine.begin() as connection:
        connection.execute(insert(views).values({**row, "subject_id": subject_id}))


def test_transfers_keep_their_rows_and_ids_through_the_new_key(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with operator_api(gh) as (server, api):
        terms = publish_terms(api)
        seller = new_seller(api, server.url, "US", terms)
        try:
            subjects, transferred = [], []
            for _ in range(2):
                subject_id = new_subject(api)
                subjects.append(subject_id)
                consent(api, subject_id, seller)
                transferred.append(allowed_transfer(api, subject_id, seller)[1])
                token = api.post(f"/v1/subjects/{subject_id}/sessions").json()["token"]
                with api_client(server.url, token) as me:
                    filed = me.post(
                        "/v1/me/requests",
                        json={
                            "type": "access",
                            "message": "보여주세요",
                            "transfer_id": transferred[-1],
                        },
                    )
                    assert filed.status_code == 201, filed.text
            before = rows_of(gh.engine, _TABLES)
            assert [len(before[t.name]) for t in _TABLES[:2]] == [2, 2]
            found = inspect(gh.engine)
            assert found.get_pk_constraint("transfers")["constrained_columns"] == [
                "subject_id",
                "id",
            ]
            assert _keys_into(gh.engine, "views")["transfers:subject_id,transfer_id"] == (
                ["subject_id", "transfer_id"],
                ["subject_id", "id"],
            )
            assert "transfers:transfer_id" not in _keys_into(gh.engine, "safe_numbers")
            assert _keys_into(gh.engine, "customer_sessions") == {}

            # The pair is enforced: a view cannot name a transfer of another subject.
            view = before["views"][0]
            other = next(s for s in subjects if s != view["subject_id"])
            with pytest.raises(IntegrityError):
                _a_view_of_another_subjects_transfer(gh, other, view)

            downgrade_to(gh.engine, "0031")
            found = inspect(gh.engine)
            assert found.get_pk_constraint("transfers")["constrained_columns"] == ["id"]
            assert "transfers:transfer_id" in _keys_into(gh.engine, "views")
            assert "subjects:subject_id" in _keys_into(gh.engine, "customer_sessions")
            assert rows_of(gh.engine, _TABLES) == before

            upgrade_to(gh.engine, "head")
            assert rows_of(gh.engine, _TABLES) == before
            # Read by its id alone, as the recipient and the operator read a transfer.
            for transfer_id in transferred:
                seen = seller.client.get(f"/v1/recipient/transfers/{transfer_id}")
                assert seen.status_code == 200, seen.text
            listed = api.get("/v1/transfers", params={"subject_id": subjects[0]})
            assert listed.status_code == 200, listed.text
            assert [t["id"] for t in listed.json()["items"]] == [transferred[0]]
        finally:
            seller.client.close()
