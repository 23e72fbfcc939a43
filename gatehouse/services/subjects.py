"""Subject registry use cases: create (PII into the vault only), read masked or unmasked, find."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection

from gatehouse.domain.errors import Conflict, InvalidInput, NotFound
from gatehouse.domain.ids import new_id
from gatehouse.domain.subjects import (
    Subject,
    SubjectPII,
    mask_pii,
    unmasked_pii,
    validate_residence,
)
from gatehouse.services.ports import DuplicateKey, Subjects
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.records import SubjectRecord
from gatehouse.store.subjects import SubjectRepository
from gatehouse.vault import FieldCipher, KeyShredded, new_data_key, unwrap_key, wrap_key

__all__ = [
    "NewSubject",
    "SubjectView",
    "create_subjects",
    "create_subject",
    "read_subject",
    "find_subjects",
    "require_subject",
    "require_live_subject",
    "subject_cipher",
    "open_pii",
    "decrypt_pii",
    "SUBJECT_SCOPE",
]

SUBJECT_SCOPE = "subject"
_MIN_REASON_CHARS = 10


@dataclass(frozen=True)
class NewSubject:
    """A validated subject ready to be sealed into the vault."""

    pii: SubjectPII
    residence_country: str
    locale: str


@dataclass(frozen=True)
class SubjectView:
    """What the operator gets back: masked unless a recorded reason was given."""

    subject: Subject
    pii: dict[str, object] | None
    masked: bool


@lru_cache(maxsize=256)
def _residence(residence_country: str, locale: str) -> tuple[str, str]:
    # A handful of distinct pairs cover every customer; validating each once saves the
    # country and locale lookups on bulk imports.
    return validate_residence(residence_country, locale)


def _seal(gh: Gatehouse, new: NewSubject) -> SubjectRecord:
    country, locale = _residence(new.residence_country, new.locale)
    pack = gh.packs.for_country(country)
    subject = Subject(
        id=new_id("sub"),
        residence_country=country,
        locale=locale,
        rule_pack=pack.id,
        created_at=gh.clock(),
        deleted_at=None,
    )
    data_key = new_data_key()
    cipher = FieldCipher(subject.id, data_key)
    fields = {
        name: cipher.encrypt(SUBJECT_SCOPE, name, value)
        for name, value in new.pii.as_fields().items()
    }
    indexer = gh.indexer
    indexes = {
        "email": indexer.digest("email", _index_form("email", new.pii.email)),
        "phone": indexer.digest("phone", new.pii.phone),
    }
    ref_digest = indexer.digest("external_ref", new.pii.external_ref)
    return subject, ref_digest, wrap_key(data_key, subject.id, gh.keyring), fields, indexes


def _index_form(kind: str, value: str) -> str:
    # Mailboxes are case-insensitive in practice, so lookups should be too.
    return value.casefold() if kind == "email" else value


def create_subjects(gh: Gatehouse, batch: Sequence[NewSubject]) -> list[Subject]:
    """Seal and store a batch of subjects in one transaction (all or none)."""
    records = [_seal(gh, new) for new in batch]
    digests = [record[1] for record in records]
    if len(set(digests)) != len(digests):
        raise Conflict("two subjects in the batch share an external_ref", code="duplicate_subject")
    duplicate = Conflict(
        "a subject with this external_ref already exists", code="duplicate_subject"
    )
    try:
        with gh.unit_of_work() as uow:
            if uow.subjects.existing_external_refs(digests):
                raise duplicate
            uow.subjects.add_many(records, scope=SUBJECT_SCOPE)
    except DuplicateKey:
        # A concurrent request stored the same external_ref between our check and insert.
        raise duplicate from None
    return [record[0] for record in records]


def create_subject(gh: Gatehouse, new: NewSubject) -> Subject:
    """Seal and store one subject."""
    return create_subjects(gh, [new])[0]


def require_subject(subjects: Subjects, subject_id: str) -> Subject:
    """The subject, erased or not; ``NotFound`` when there is none."""
    subject = subjects.get(subject_id)
    if subject is None:
        raise NotFound(f"no subject with id {subject_id!r}", code="subject_not_found")
    return subject


def require_live_subject(subjects: Subjects, subject_id: str) -> Subject:
    """The subject; ``NotFound`` when there is none and ``KeyShredded`` once it was erased."""
    subject = require_subject(subjects, subject_id)
    if subject.deleted:
        raise KeyShredded(f"subject {subject_id} was erased", details={"subject_id": subject_id})
    return subject


def subject_cipher(gh: Gatehouse, subjects: Subjects, subject_id: str) -> FieldCipher | None:
    """The subject's field cipher, or None once its key was shredded."""
    wrapped = subjects.wrapped_key(subject_id)
    if wrapped is None:
        return None
    return FieldCipher(subject_id, unwrap_key(wrapped, subject_id, gh.keyring))


def open_pii(gh: Gatehouse, subjects: Subjects, subject_id: str) -> SubjectPII:
    """Unwrap the subject's key and decrypt its PII; ``KeyShredded`` once it was erased."""
    cipher = subject_cipher(gh, subjects, subject_id)
    if cipher is None:
        raise KeyShredded(
            f"subject {subject_id} was erased; its personal data no longer exists",
            details={"subject_id": subject_id},
        )
    blobs = subjects.ciphertexts(subject_id, SUBJECT_SCOPE)
    fields = {name: cipher.decrypt(SUBJECT_SCOPE, name, blob) for name, blob in blobs.items()}
    return SubjectPII.from_fields(fields)


def decrypt_pii(gh: Gatehouse, connection: Connection, subject_id: str) -> SubjectPII:
    """:func:`open_pii` on the caller's connection."""
    return open_pii(gh, SubjectRepository(connection), subject_id)


def read_subject(
    gh: Gatehouse, subject_id: str, *, api_key_id: str, reason: str | None
) -> SubjectView:
    """Read a subject: masked by default; unmasked only with a reason, which is recorded."""
    if reason is not None and len(reason.strip()) < _MIN_REASON_CHARS:
        raise InvalidInput(
            f"an unmasked read needs a reason of at least {_MIN_REASON_CHARS} characters",
            code="reason_required",
        )
    with gh.unit_of_work() as uow:
        subject = require_subject(uow.subjects, subject_id)
        if subject.deleted:
            return SubjectView(subject=subject, pii=None, masked=True)
        pii = open_pii(gh, uow.subjects, subject_id)
        if reason is None:
            return SubjectView(subject=subject, pii=mask_pii(pii), masked=True)
        view = unmasked_pii(pii)
        uow.subjects.record_pii_read(
            subject_id, api_key_id, reason.strip(), sorted(pii.as_fields()), gh.clock()
        )
        return SubjectView(subject=subject, pii=view, masked=False)


def find_subjects(gh: Gatehouse, *, kind: str, normalised_value: str) -> list[str]:
    """Subject ids whose blind index of ``kind`` matches the already-normalised value."""
    digest = gh.indexer.digest(kind, _index_form(kind, normalised_value))
    with gh.unit_of_work(read_only=True) as uow:
        if kind == "external_ref":
            return uow.subjects.find_by_external_ref(digest)
        return uow.subjects.find_by_index(kind, digest)
