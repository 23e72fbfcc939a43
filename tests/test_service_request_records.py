"""Opening stored requests' sealed texts, on the in-memory unit of work (no database)."""

from __future__ import annotations

import pytest

from gatehouse.services import rights_requests as requests
from gatehouse.services.request_records import open_records, request_scope, seal_text
from gatehouse.services.subjects import subject_cipher
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def test_each_subjects_texts_open_under_their_own_key(w: World) -> None:
    alice, bob = w.subject(), w.subject()
    mine = requests.submit_request(w.gh, alice, request_type="access", message="앨리스")
    theirs = requests.submit_request(w.gh, bob, request_type="complaint", message="밥")
    w.erase(bob)

    with w.gh.unit_of_work(read_only=True) as uow:
        stored = [uow.requests.get(mine.request.id), uow.requests.get(theirs.request.id)]
        records = open_records(w.gh, uow.subjects, [s for s in stored if s is not None])

    assert [(r.message, r.erased) for r in records] == [("앨리스", False), (None, True)]
    assert [r.channel for r in records] == ["web", "web"]


def test_a_sealed_text_is_bound_to_its_request(w: World) -> None:
    subject_id = w.subject()
    filed = requests.submit_request(w.gh, subject_id, request_type="access", message="원본")

    with w.gh.unit_of_work() as uow:
        cipher = subject_cipher(w.gh, uow.subjects, subject_id)
        assert cipher is not None
        seal_text(uow.subjects, cipher, filed.request.id, "response", "답변")

    sealed = w.db.tables.ciphertexts[(subject_id, request_scope(filed.request.id))]
    assert set(sealed) == {"message", "response"}
    assert request_scope("req_1") == "request:req_1"
