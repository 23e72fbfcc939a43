"""Publishing recipient data-protection terms."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.exc import IntegrityError

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.domain.terms import REQUIRED_CLAUSES, Terms, check_terms
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.recipients import TermsRepository

__all__ = ["publish_terms", "current_terms"]


def publish_terms(gh: Gatehouse, version: str, clauses: Mapping[str, str]) -> Terms:
    """Publish a new version; it becomes current, so every recipient must accept it again."""
    check_terms(version, clauses)
    terms = Terms(
        version=version.strip(),
        clauses={name: clauses[name].strip() for name in REQUIRED_CLAUSES},
        published_at=gh.clock(),
    )
    exists = Conflict(f"terms version {terms.version!r} already exists", code="terms_exist")
    try:
        with gh.engine.begin() as connection:
            repo = TermsRepository(connection)
            if repo.get(terms.version) is not None:
                raise exists
            repo.add(terms)
    except IntegrityError:
        raise exists from None
    return terms


def current_terms(gh: Gatehouse) -> Terms:
    """The current terms, or ``NotFound`` before any are published."""
    with gh.engine.connect() as connection:
        terms = TermsRepository(connection).current()
    if terms is None:
        raise NotFound("no terms have been published yet", code="terms_not_found")
    return terms
