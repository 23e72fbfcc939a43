"""Publishing recipient data-protection terms."""

from __future__ import annotations

from collections.abc import Mapping

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.domain.terms import REQUIRED_CLAUSES, Terms, check_terms
from gatehouse.services.ports import DuplicateKey
from gatehouse.services.runtime import Gatehouse

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
        with gh.unit_of_work() as uow:
            if uow.terms.get(terms.version) is not None:
                raise exists
            uow.terms.add(terms)
    except DuplicateKey:
        # Published concurrently under the same version.
        raise exists from None
    return terms


def current_terms(gh: Gatehouse) -> Terms:
    """The current terms, or ``NotFound`` before any are published."""
    with gh.unit_of_work(read_only=True) as uow:
        terms = uow.terms.current()
    if terms is None:
        raise NotFound("no terms have been published yet", code="terms_not_found")
    return terms
