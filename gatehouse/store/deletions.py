"""What a subject's deletion writes about the subject itself: the lock, the shred, the receipt.

The deletion and its receipt are read back through
:meth:`gatehouse.store.erasures.ErasureRepository.deletion`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from gatehouse.domain.subjects import Subject
from gatehouse.store.erasure_tables import deletions
from gatehouse.store.records import Deletion
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import subject_refs, subjects

__all__ = ["DeletionRepository"]


class DeletionRepository:
    """Locks, shreds and records the deletion of subjects, on one connection."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def lock_subject(self, subject_id: str) -> Subject | None:
        """The subject, read after locking its row until the transaction ends; None if absent.

        Two deletions of one subject then run one after the other, and the second sees the
        first one's tombstone.
        """
        self._c.execute(select(subjects.c.id).where(subjects.c.id == subject_id).with_for_update())
        return SubjectRepository(self._c).get(subject_id)

    def add(self, deletion: Deletion) -> None:
        """Store a deletion (at most one per subject) with its receipt so far."""
        self._c.execute(
            insert(deletions).values(
                id=deletion.id,
                subject_id=deletion.subject_id,
                requested_by=deletion.requested_by,
                at=deletion.at,
                receipt=dict(deletion.receipt),
            )
        )

    def set_receipt(self, deletion_id: str, receipt: Mapping[str, Any]) -> None:
        """Store a deletion's finished receipt."""
        self._c.execute(
            update(deletions).where(deletions.c.id == deletion_id).values(receipt=dict(receipt))
        )

    def shred(self, subject_id: str, at: datetime) -> None:
        """Crypto-shred the subject (see :meth:`SubjectRepository.shred`) and forget its
        customer id's digest, which could re-link the tombstone otherwise."""
        SubjectRepository(self._c).shred(subject_id, at)
        self._c.execute(delete(subject_refs).where(subject_refs.c.subject_id == subject_id))
