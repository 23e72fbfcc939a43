"""Publishing the recipients' terms, on the in-memory unit of work (no database)."""

from __future__ import annotations

import pytest

from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.services import terms
from gatehouse.services.ports import DuplicateKey
from tests.support.factories import TERMS_CLAUSES
from tests.support.fake_world import World, new_world


@pytest.fixture
def w() -> World:
    return new_world()


def test_the_newest_version_is_current(w: World) -> None:
    with pytest.raises(NotFound):
        terms.current_terms(w.gh)
    terms.publish_terms(w.gh, "2026-01", TERMS_CLAUSES)
    w.advance(days=30)
    published = terms.publish_terms(w.gh, " 2026-02 ", TERMS_CLAUSES)

    current = terms.current_terms(w.gh)

    assert current == published and current.version == "2026-02"
    assert current.published_at == w.clock()


def test_a_version_is_published_once(w: World) -> None:
    terms.publish_terms(w.gh, "2026-01", TERMS_CLAUSES)
    with pytest.raises(Conflict) as again:
        terms.publish_terms(w.gh, "2026-01", TERMS_CLAUSES)
    assert again.value.code == "terms_exist"
    # The same version stored concurrently, between our check and our insert.
    w.db.fail("Terms.add", DuplicateKey("uq_terms_version"))
    with pytest.raises(Conflict) as raced:
        terms.publish_terms(w.gh, "2026-02", TERMS_CLAUSES)
    assert raced.value.code == "terms_exist"
    assert [t.version for t in w.db.tables.terms] == ["2026-01"]


def test_every_clause_is_required(w: World) -> None:
    clauses = {**TERMS_CLAUSES, "deletion": " "}
    with pytest.raises(InvalidInput):
        terms.publish_terms(w.gh, "2026-01", clauses)
    assert w.db.tables.terms == []
