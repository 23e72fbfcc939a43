"""Migration 0034 on each backend: the marketplace's customer ids move from ``subjects`` to
``subject_refs``, live subjects keep theirs, deleted ones have none, and the downgrade puts
the unique column back, with a random digest for each deleted subject."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.tables import subject_refs
from tests.conftest import Fresh
from tests.support.factories import subject_body
from tests.support.migrations import downgrade_to, upgrade_to
from tests.support.server import api_client, operator_api


def _refs(gh: Gatehouse) -> dict[str, str]:
    with gh.engine.connect() as connection:
        return {
            row.subject_id: row.external_ref_digest
            for row in connection.execute(select(subject_refs))
        }


def _old_digests(gh: Gatehouse) -> dict[str, str]:
    with gh.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, external_ref_digest FROM subjects"))
        return {str(row[0]): str(row[1]) for row in rows}


def test_customer_ids_move_to_their_lookup_table_and_back(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with operator_api(gh) as (server, api):
        bodies = [subject_body() for _ in range(3)]
        ids = []
        for body in bodies:
            created = api.post("/v1/subjects", json=body)
            assert created.status_code == 201, created.text
            ids.append(created.json()["id"])
        gone = ids[2]
        token = api.post(f"/v1/subjects/{gone}/sessions").json()["token"]
        with api_client(server.url, token) as me:
            assert me.delete("/v1/me").status_code == 202

        refs = _refs(gh)
        assert sorted(refs) == sorted(ids[:2])  # the deleted subject's row went with it
        assert "external_ref_digest" not in {
            c["name"] for c in inspect(gh.engine).get_columns("subjects")
        }

        downgrade_to(gh.engine, "0033")
        old = _old_digests(gh)
        assert {i: old[i] for i in ids[:2]} == refs
        assert len(old[gone]) == 64 and old[gone] not in refs.values()
        with pytest.raises(IntegrityError), gh.engine.begin() as connection:
            connection.execute(
                text("UPDATE subjects SET external_ref_digest = :d WHERE id = :i"),
                {"d": refs[ids[0]], "i": ids[1]},
            )

        upgrade_to(gh.engine, "head")
        assert _refs(gh) == refs
        for subject_id, body in zip(ids, bodies, strict=True):
            found = api.get("/v1/subjects", params={"external_ref": body["external_ref"]})
            assert found.status_code == 200, found.text
            expected = [] if subject_id == gone else [subject_id]
            assert [item["id"] for item in found.json()["items"]] == expected
        again = api.post("/v1/subjects", json=subject_body(external_ref=bodies[0]["external_ref"]))
        assert again.status_code == 409 and again.json()["error"]["code"] == "duplicate_subject"
        # A deleted customer's id is free again, as it was before the move.
        back = api.post("/v1/subjects", json=subject_body(external_ref=bodies[2]["external_ref"]))
        assert back.status_code == 201, back.text
        found = api.get("/v1/subjects", params={"external_ref": bodies[2]["external_ref"]})
        assert [item["id"] for item in found.json()["items"]] == [back.json()["id"]]
