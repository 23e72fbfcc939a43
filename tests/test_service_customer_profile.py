"""The customer's own profile, on the in-memory unit of work (no database)."""

from __future__ import annotations

import pytest

from gatehouse.domain.errors import NotFound
from gatehouse.services import customer_profile
from gatehouse.vault import KeyShredded
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def test_my_profile_is_unmasked_but_for_the_customs_code(w: World) -> None:
    subject_id = w.subject(name="김민지", customs_code="P202611280777")

    mine = customer_profile.profile(w.gh, subject_id)

    assert mine.subject_id == subject_id and mine.name == "김민지"
    assert mine.customs_code is not None and mine.customs_code.endswith("777")
    assert mine.customs_code != "P202611280777"
    assert mine.address.postal_code == "06236" and mine.locale == "ko-KR"
    assert w.db.units[-1].read_only


def test_there_is_no_profile_of_an_unknown_or_erased_customer(w: World) -> None:
    subject_id = w.subject()
    with pytest.raises(NotFound):
        customer_profile.profile(w.gh, "sub_nobody")
    w.erase(subject_id)
    with pytest.raises(KeyShredded):
        customer_profile.profile(w.gh, subject_id)
