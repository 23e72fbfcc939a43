"""In-memory registries: subjects, notices, consents, recipients, terms and rights requests."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from gatehouse.domain.consents import ConsentRecord
from gatehouse.domain.decision import DisclosureFact
from gatehouse.domain.recipients import Recipient, RecipientStatus
from gatehouse.domain.requests import RequestStatus, RequestType, Resolution, RightsRequest
from gatehouse.domain.subjects import Subject
from gatehouse.domain.terms import Terms
from gatehouse.services.ports import DuplicateKey
from gatehouse.store.records import (
    PiiRead,
    RecipientName,
    StoredNotice,
    StoredRequest,
    SubjectRecord,
)
from gatehouse.vault import WrappedKey
from tests.support.fake_tables import FakeRepository, Tables

__all__ = [
    "FakeSubjects",
    "FakeNotices",
    "FakeConsents",
    "FakeRecipients",
    "FakeTerms",
    "FakeRequests",
]


class FakeSubjects(FakeRepository):
    def get(self, subject_id: str) -> Subject | None:
        return self.t.subjects.get(subject_id)

    def wrapped_key(self, subject_id: str) -> WrappedKey | None:
        return self.t.keys.get(subject_id)

    def ciphertexts(self, subject_id: str, scope: str = "subject") -> dict[str, bytes]:
        return dict(self.t.ciphertexts.get((subject_id, scope), {}))

    def ciphertexts_in(self, subject_id: str, scopes: Iterable[str]) -> dict[str, dict[str, bytes]]:
        found = {scope: self.ciphertexts(subject_id, scope) for scope in set(scopes)}
        return {scope: blobs for scope, blobs in found.items() if blobs}

    def add_ciphertexts(self, subject_id: str, scope: str, fields: Mapping[str, bytes]) -> None:
        self._hook("add_ciphertexts")
        stored = self.t.ciphertexts.setdefault((subject_id, scope), {})
        if stored.keys() & fields.keys():
            raise DuplicateKey(f"{subject_id}/{scope} already has {sorted(stored)}")
        stored.update(fields)

    def add_many(self, records: list[SubjectRecord], scope: str = "subject") -> None:
        self._hook("add_many")
        for subject, ref, key, fields, indexes in records:
            if subject.id in self.t.subjects or ref in self.t.external_refs.values():
                raise DuplicateKey(f"subject {subject.id} or its external_ref exists")
            self.t.subjects[subject.id] = subject
            self.t.external_refs[subject.id] = ref
            self.t.keys[subject.id] = key
            self.t.ciphertexts[(subject.id, scope)] = dict(fields)
            for kind, digest in indexes.items():
                self.t.indexes[(subject.id, kind)] = digest

    def existing_external_refs(self, digests: Sequence[str]) -> set[str]:
        return set(digests) & set(self.t.external_refs.values())

    def find_by_external_ref(self, digest: str) -> list[str]:
        return sorted(sid for sid, ref in self.t.external_refs.items() if ref == digest)

    def find_by_index(self, kind: str, digest: str, limit: int = 50) -> list[str]:
        found = (sid for (sid, k), d in self.t.indexes.items() if k == kind and d == digest)
        return sorted(found)[:limit]

    def record_pii_read(
        self, subject_id: str, api_key_id: str, reason: str, fields: list[str], at: datetime
    ) -> None:
        self._hook("record_pii_read")
        self.t.pii_reads.append((subject_id, PiiRead(api_key_id, reason, list(fields), at)))

    def pii_reads(self, subject_id: str) -> list[PiiRead]:
        return [read for sid, read in self.t.pii_reads if sid == subject_id]

    def keys_after(self, after: str, limit: int) -> list[tuple[str, WrappedKey]]:
        return [(sid, key) for sid, key in sorted(self.t.keys.items()) if sid > after][:limit]

    def replace_wrapped_key(self, subject_id: str, old: WrappedKey, new: WrappedKey) -> bool:
        self._hook("replace_wrapped_key")
        if self.t.keys.get(subject_id) != old:
            return False
        self.t.keys[subject_id] = new
        return True

    def count_keys(self) -> int:
        return len(self.t.keys)

    def count_keys_not_under(self, kek_id: str) -> int:
        return sum(key.kek_id != kek_id for key in self.t.keys.values())


class FakeNotices(FakeRepository):
    def get(self, notice_hash: str) -> StoredNotice | None:
        return self.t.notices.get(notice_hash)

    def by_hashes(self, hashes: Iterable[str]) -> dict[str, StoredNotice]:
        return {h: self.t.notices[h] for h in set(hashes) if h in self.t.notices}

    def save(
        self,
        *,
        notice_hash: str,
        kind: str,
        locale: str,
        purpose: str,
        flow: str,
        pack_id: str,
        pack_version: str,
        recipients: Mapping[str, str],
        countries: list[str],
        body: Mapping[str, Any],
        text: str,
        at: datetime,
        content_digest: str,
        required: bool | None,
    ) -> None:
        self._hook("save")
        if notice_hash in self.t.notices:
            return  # stored once, by content
        self.t.notices[notice_hash] = StoredNotice(
            hash=notice_hash,
            kind=kind,
            locale=locale,
            purpose=purpose,
            flow=flow,
            pack_id=pack_id,
            pack_version=pack_version,
            recipients=dict(recipients),
            countries=list(countries),
            body=dict(body),
            text=text,
            created_at=at,
            content_digest=content_digest,
            required=required,
        )

    def publish_disclosure(
        self,
        disclosure_id: str,
        notice_hash: str,
        purpose: str,
        recipients: Mapping[str, str],
        at: datetime,
    ) -> None:
        self._hook("publish_disclosure")
        self.t.disclosures[disclosure_id] = {
            "notice_hash": notice_hash,
            "purpose": purpose,
            "recipients": dict(recipients),
            "published_at": at,
        }

    def disclosures_for(self, recipient_id: str) -> list[DisclosureFact]:
        naming = [d for d in self.t.disclosures.values() if recipient_id in d["recipients"]]
        naming.sort(key=lambda d: d["published_at"], reverse=True)
        facts = []
        for published in naming:
            notice = self.t.notices[published["notice_hash"]]
            facts.append(
                DisclosureFact(
                    notice_hash=notice.hash,
                    purpose=published["purpose"],
                    recipients={recipient_id: published["recipients"][recipient_id]},
                    flow=notice.flow,
                    language=notice.locale,
                    content_digest=notice.content_digest,
                )
            )
        return facts


def consent_history(tables: Tables, subject_id: str) -> list[ConsentRecord]:
    """The subject's consents as the SQL join reads them: the scope, flow, language and
    digest come from the notice."""
    history = []
    for record in tables.consents:
        notice = tables.notices.get(record.notice_hash)
        if record.subject_id != subject_id or notice is None:
            continue
        history.append(
            replace(
                record,
                recipients=dict(notice.recipients),
                flow=notice.flow,
                language=notice.locale,
                content_digest=notice.content_digest,
                required=notice.required,
            )
        )
    return history


class FakeConsents(FakeRepository):
    def append(self, record: ConsentRecord) -> None:
        self._hook("append")
        if any(existing.id == record.id for existing in self.t.consents):
            raise DuplicateKey(f"consent {record.id} exists")
        self.t.consents.append(record)

    def history(self, subject_id: str) -> list[ConsentRecord]:
        return consent_history(self.t, subject_id)


class FakeRecipients(FakeRepository):
    def add_many(self, batch: Sequence[tuple[Recipient, WrappedKey]]) -> None:
        self._hook("add_many")
        for recipient, secret in batch:
            if recipient.id in self.t.recipients:
                raise DuplicateKey(f"recipient {recipient.id} exists")
            self.t.recipients[recipient.id] = recipient
            self.t.webhook_secrets[recipient.id] = secret

    def get(self, recipient_id: str) -> Recipient | None:
        return self.t.recipients.get(recipient_id)

    def get_many(self, recipient_ids: Iterable[str]) -> dict[str, Recipient]:
        return {rid: self.t.recipients[rid] for rid in recipient_ids if rid in self.t.recipients}

    def replace_details(self, recipient: Recipient) -> None:
        self._hook("replace_details")
        current = self.t.recipients[recipient.id]
        self.t.recipients[recipient.id] = replace(
            recipient,
            status=current.status,
            suspended_reason=current.suspended_reason,
            accepted_terms_version=current.accepted_terms_version,
            created_at=current.created_at,
        )

    def set_status(
        self, recipient_id: str, status: RecipientStatus, reason: str | None, at: datetime
    ) -> None:
        self._hook("set_status")
        self.t.recipients[recipient_id] = replace(
            self.t.recipients[recipient_id], status=status, suspended_reason=reason, updated_at=at
        )

    def set_accepted_terms(self, recipient_id: str, version: str, at: datetime) -> None:
        self._hook("set_accepted_terms")
        self.t.terms_acceptances.append((recipient_id, version, at))
        self.t.recipients[recipient_id] = replace(
            self.t.recipients[recipient_id], accepted_terms_version=version, updated_at=at
        )

    def suspended_countries(self) -> dict[str, str | None]:
        return dict(self.t.country_suspensions)

    def suspend_country(self, country: str, reason: str | None, at: datetime) -> bool:
        self._hook("suspend_country")
        if country in self.t.country_suspensions:
            return False
        self.t.country_suspensions[country] = reason
        return True

    def resume_country(self, country: str) -> bool:
        self._hook("resume_country")
        return self.t.country_suspensions.pop(country, False) is not False

    def record_suspension_event(
        self, target_type: str, target: str, action: str, reason: str | None, at: datetime
    ) -> None:
        self._hook("record_suspension_event")
        self.t.suspension_events.append((target_type, target, action, reason, at))

    def names(self, recipient_ids: Iterable[str]) -> dict[str, RecipientName]:
        found = (self.t.recipients.get(rid) for rid in set(recipient_ids))
        return {r.id: RecipientName(r.id, r.legal_name, r.country) for r in found if r}

    def list(
        self,
        *,
        country: str | None = None,
        status: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> list[Recipient]:
        chosen = [
            r
            for rid, r in sorted(self.t.recipients.items())
            if (country is None or r.country == country)
            and (status is None or r.status.value == status)
            and (after is None or rid > after)
        ]
        return chosen[:limit]


class FakeTerms(FakeRepository):
    def add(self, terms: Terms) -> None:
        self._hook("add")
        if self.get(terms.version) is not None:
            raise DuplicateKey(f"terms {terms.version} exist")
        self.t.terms.append(terms)

    def get(self, version: str) -> Terms | None:
        return next((t for t in self.t.terms if t.version == version), None)

    def current(self) -> Terms | None:
        return self.t.terms[-1] if self.t.terms else None


class FakeRequests(FakeRepository):
    def add(self, request: RightsRequest, channel: str) -> None:
        self._hook("add")
        if request.id in self.t.requests:
            raise DuplicateKey(f"request {request.id} exists")
        # Stored as the table stores it: pending, and without any answer's text.
        self.t.requests[request.id] = StoredRequest(replace(request, resolution=None), channel)

    def get(self, request_id: str, *, lock: bool = False) -> StoredRequest | None:
        return self.t.requests.get(request_id)

    def of_subject(
        self, subject_id: str, *, request_type: RequestType | None = None, newest_first: bool
    ) -> list[StoredRequest]:
        mine = [
            s
            for s in self.t.requests.values()
            if s.request.subject_id == subject_id
            and (request_type is None or s.request.type is request_type)
        ]
        # Newest first still breaks ties by id ascending, as the SQL ordering does.
        mine.sort(key=lambda s: s.request.id)
        mine.sort(key=lambda s: s.request.deadline.created_at, reverse=newest_first)
        return mine

    def page(
        self,
        *,
        status: RequestStatus | None,
        due_before: datetime | None,
        subject_id: str | None,
        after: tuple[datetime, str] | None,
        limit: int,
    ) -> list[StoredRequest]:
        def key(s: StoredRequest) -> tuple[datetime, str]:
            return s.request.deadline.due_at, s.request.id

        chosen = [
            s
            for s in sorted(self.t.requests.values(), key=key)
            if (status is None or s.request.status is status)
            and (due_before is None or s.request.deadline.due_at < due_before)
            and (subject_id is None or s.request.subject_id == subject_id)
            and (after is None or key(s) > after)
        ]
        return chosen[:limit]

    def resolve(self, request_id: str, resolution: Resolution) -> bool:
        self._hook("resolve")
        stored = self.t.requests.get(request_id)
        if stored is None or stored.request.resolution is not None:
            return False
        sealed = replace(resolution, message=None)  # the text is sealed, not kept here
        self.t.requests[request_id] = replace(
            stored, request=replace(stored.request, resolution=sealed)
        )
        return True
