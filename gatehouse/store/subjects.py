"""Subject rows and their vault material: wrapped keys, ciphertexts, blind indexes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select, update

from gatehouse.domain.ids import new_id
from gatehouse.domain.subjects import Subject
from gatehouse.store.records import PiiRead, SubjectRecord
from gatehouse.store.tables import (
    blind_indexes,
    pii_fields,
    pii_reads,
    subject_keys,
    subject_refs,
    subjects,
    vault_secrets,
)
from gatehouse.vault import WrappedKey

__all__ = ["SubjectRepository", "SubjectRecord", "VaultSecretRepository"]


def _to_subject(row: Row[Any]) -> Subject:
    return Subject(
        id=row.id,
        residence_country=row.residence_country,
        locale=row.locale,
        rule_pack=row.rule_pack,
        created_at=row.created_at,
        deleted_at=row.deleted_at,
    )


# Built once: most requests about a customer start with it.
_SUBJECT = select(subjects).where(subjects.c.id == bindparam("subject_id"))


class SubjectRepository:
    """Reads and writes subjects; knows ciphertext only, never plaintext."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def add_many(self, records: list[SubjectRecord], scope: str = "subject") -> None:
        """Insert subjects with their key, ciphertexts and indexes, a few statements per batch."""
        if not records:
            return
        # The customer ids first: one already taken fails there, before anything else.
        self._c.execute(
            insert(subject_refs),
            [{"external_ref_digest": ref, "subject_id": s.id} for s, ref, _, _, _ in records],
        )
        self._c.execute(
            insert(subjects),
            [
                {
                    "id": s.id,
                    "residence_country": s.residence_country,
                    "locale": s.locale,
                    "rule_pack": s.rule_pack,
                    "created_at": s.created_at,
                    "deleted_at": None,
                }
                for s, ref, _, _, _ in records
            ],
        )
        self._c.execute(
            insert(subject_keys),
            [
                {
                    "subject_id": s.id,
                    "kek_id": key.kek_id,
                    "wrapped_key": key.blob,
                    "created_at": s.created_at,
                }
                for s, _, key, _, _ in records
            ],
        )
        self._c.execute(
            insert(pii_fields),
            [
                {"subject_id": s.id, "scope": scope, "field": name, "ciphertext": blob}
                for s, _, _, fields, _ in records
                for name, blob in fields.items()
            ],
        )
        index_rows = [
            {"subject_id": s.id, "kind": kind, "digest": digest}
            for s, _, _, _, indexes in records
            for kind, digest in indexes.items()
        ]
        if index_rows:
            self._c.execute(insert(blind_indexes), index_rows)

    def get(self, subject_id: str) -> Subject | None:
        """The subject, or None."""
        row = self._c.execute(_SUBJECT, {"subject_id": subject_id}).first()
        return _to_subject(row) if row else None

    def existing_external_refs(self, digests: Sequence[str]) -> set[str]:
        """Which of these external-ref digests already belong to a subject (one query)."""
        if not digests:
            return set()
        rows = self._c.execute(
            select(subject_refs.c.external_ref_digest).where(
                subject_refs.c.external_ref_digest.in_(list(digests))
            )
        )
        return {row.external_ref_digest for row in rows}

    def find_by_external_ref(self, digest: str) -> list[str]:
        """Subject ids with this external-ref digest (zero or one)."""
        rows = self._c.execute(
            select(subject_refs.c.subject_id).where(subject_refs.c.external_ref_digest == digest)
        )
        return [row.subject_id for row in rows]

    def find_by_index(self, kind: str, digest: str, limit: int = 50) -> list[str]:
        """Subject ids whose blind index of ``kind`` matches."""
        rows = self._c.execute(
            select(blind_indexes.c.subject_id)
            .where(blind_indexes.c.kind == kind, blind_indexes.c.digest == digest)
            .order_by(blind_indexes.c.subject_id)
            .limit(limit)
        )
        return [row.subject_id for row in rows]

    def wrapped_key(self, subject_id: str) -> WrappedKey | None:
        """The subject's wrapped data key, or None once shredded."""
        row = self._c.execute(
            select(subject_keys).where(subject_keys.c.subject_id == subject_id)
        ).first()
        return WrappedKey(kek_id=row.kek_id, blob=row.wrapped_key) if row else None

    def ciphertexts(self, subject_id: str, scope: str = "subject") -> dict[str, bytes]:
        """Every ciphertext of the subject in ``scope``, by field name."""
        rows = self._c.execute(
            select(pii_fields.c.field, pii_fields.c.ciphertext).where(
                pii_fields.c.subject_id == subject_id, pii_fields.c.scope == scope
            )
        )
        return {row.field: row.ciphertext for row in rows}

    def ciphertexts_in(self, subject_id: str, scopes: Iterable[str]) -> dict[str, dict[str, bytes]]:
        """Every ciphertext of the subject in any of ``scopes``: scope -> field -> blob."""
        wanted = sorted(set(scopes))
        if not wanted:
            return {}
        rows = self._c.execute(
            select(pii_fields.c.scope, pii_fields.c.field, pii_fields.c.ciphertext).where(
                pii_fields.c.subject_id == subject_id, pii_fields.c.scope.in_(wanted)
            )
        )
        found: dict[str, dict[str, bytes]] = {}
        for row in rows:
            found.setdefault(row.scope, {})[row.field] = row.ciphertext
        return found

    def add_ciphertexts(self, subject_id: str, scope: str, fields: Mapping[str, bytes]) -> None:
        """Store sealed fields of the subject under ``scope`` (an order's, a request's)."""
        if fields:
            self._c.execute(
                insert(pii_fields),
                [
                    {"subject_id": subject_id, "scope": scope, "field": name, "ciphertext": blob}
                    for name, blob in fields.items()
                ],
            )

    def record_pii_read(
        self, subject_id: str, api_key_id: str, reason: str, fields: list[str], at: datetime
    ) -> None:
        """Append one unmasked read to the access record."""
        self._c.execute(
            insert(pii_reads).values(
                subject_id=subject_id,
                id=new_id("pir"),
                api_key_id=api_key_id,
                reason=reason,
                fields=fields,
                at=at,
            )
        )

    def pii_reads(self, subject_id: str) -> list[PiiRead]:
        """The unmasked reads of a subject, oldest first."""
        rows = self._c.execute(
            select(pii_reads)
            .where(pii_reads.c.subject_id == subject_id)
            .order_by(pii_reads.c.at, pii_reads.c.id)
        )
        return [PiiRead(r.api_key_id, r.reason, list(r.fields), r.at) for r in rows]

    def keys_after(self, after: str, limit: int) -> list[tuple[str, WrappedKey]]:
        """A batch of (subject id, wrapped key), ordered by subject id, for key rotation."""
        rows = self._c.execute(
            select(subject_keys.c.subject_id, subject_keys.c.kek_id, subject_keys.c.wrapped_key)
            .where(subject_keys.c.subject_id > after)
            .order_by(subject_keys.c.subject_id)
            .limit(limit)
        )
        return [(r.subject_id, WrappedKey(kek_id=r.kek_id, blob=r.wrapped_key)) for r in rows]

    def replace_wrapped_key(self, subject_id: str, old: WrappedKey, new: WrappedKey) -> bool:
        """Swap a wrapped key if it is still ``old``; False when something else changed it."""
        result = self._c.execute(
            update(subject_keys)
            .where(
                subject_keys.c.subject_id == subject_id,
                subject_keys.c.wrapped_key == old.blob,
            )
            .values(kek_id=new.kek_id, wrapped_key=new.blob)
        )
        return result.rowcount == 1

    def count_keys(self) -> int:
        """How many live (unshredded) data keys exist."""
        return int(self._c.execute(select(func.count()).select_from(subject_keys)).scalar_one())

    def count_keys_not_under(self, kek_id: str) -> int:
        """How many data keys are still wrapped by another master key."""
        query = (
            select(func.count()).select_from(subject_keys).where(subject_keys.c.kek_id != kek_id)
        )
        return int(self._c.execute(query).scalar_one())

    def shred(self, subject_id: str, at: datetime) -> None:
        """Crypto-shred: drop the data key, ciphertexts and indexes; mark the subject deleted."""
        self._c.execute(delete(subject_keys).where(subject_keys.c.subject_id == subject_id))
        self._c.execute(delete(pii_fields).where(pii_fields.c.subject_id == subject_id))
        self._c.execute(delete(blind_indexes).where(blind_indexes.c.subject_id == subject_id))
        self._c.execute(update(subjects).where(subjects.c.id == subject_id).values(deleted_at=at))


class VaultSecretRepository:
    """Operator-wide secrets, stored wrapped by the master key."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    def get(self, name: str) -> WrappedKey | None:
        """The wrapped secret, or None."""
        row = self._c.execute(select(vault_secrets).where(vault_secrets.c.name == name)).first()
        return WrappedKey(kek_id=row.kek_id, blob=row.wrapped) if row else None

    def add(self, name: str, wrapped: WrappedKey, at: datetime) -> None:
        """Store a new secret."""
        self._c.execute(
            insert(vault_secrets).values(
                name=name, kek_id=wrapped.kek_id, wrapped=wrapped.blob, created_at=at
            )
        )

    def replace(self, name: str, wrapped: WrappedKey) -> None:
        """Re-wrap a secret in place."""
        self._c.execute(
            update(vault_secrets)
            .where(vault_secrets.c.name == name)
            .values(kek_id=wrapped.kek_id, wrapped=wrapped.blob)
        )
