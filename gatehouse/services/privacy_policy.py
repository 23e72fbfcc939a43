"""Publishing the privacy policy: build it from the register and the profile, version it.

:func:`publish_policy` builds the policy in every language of the pack from the operator
profile and the recipients the register lists for the last twelve months, checks it, and
stores a new version when its content hash differs from the latest one; the change log and
the effective date come with it (a material change waits the pack's notice period). Run by
the worker's policy sweep, by ``POST /v1/privacy-policy/publish`` and by the demo.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from gatehouse.domain.notice_items import recipient_fingerprint
from gatehouse.domain.notices import notice_digest
from gatehouse.domain.operator_profile import domestic_agent_requirement, profile_from_content
from gatehouse.domain.policy import RulePack
from gatehouse.domain.policy_document import (
    NamedRecipient,
    PolicyFacts,
    RegisterSummary,
    build_policy,
)
from gatehouse.domain.policy_pages import fold_name
from gatehouse.domain.privacy_policy import (
    PolicyDocument,
    PolicyIncomplete,
    changes_between,
    check_policy,
    effective_from,
    policy_hash,
)
from gatehouse.services.outbox import Job, handler
from gatehouse.services.policy_storage import full_document, store_documents
from gatehouse.services.ports_policy import PolicyDisclosure, PolicyRegisterRow, StoredPolicy
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.overseas_register import RegisterRecipient, RegisterWindow

__all__ = [
    "POLICY_DAYS",
    "POLICY_PUBLISHED",
    "PublishOutcome",
    "name_key",
    "policy_pack",
    "publish_job",
    "publish_policy",
    "register_digest",
]

log = logging.getLogger("gatehouse.policy")

# The register's period: recipients that received data in the last year, or may receive it.
POLICY_DAYS = 365
# The ledger entry of each published version.
POLICY_PUBLISHED = "policy.published"
_CHUNK = 5000
_POLICY_JURISDICTION = "KR"
# The basis a disclosure in the privacy policy opens: entrusted processing and storage abroad.
_DISCLOSURE_BASIS = "CONTRACT_ENTRUST_STORE"


@dataclass(frozen=True)
class PublishOutcome:
    """The latest version after publishing, and whether this call created it."""

    version: StoredPolicy
    created: bool


def policy_pack(gh: Gatehouse) -> RulePack:
    """The pack whose privacy-policy wording is published."""
    return gh.packs.for_country(_POLICY_JURISDICTION)


def name_key(name: str) -> str:
    """A recipient name folded for search and order: NFKC, case-folded, spaces collapsed."""
    return fold_name(name)


def _canonical(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def _register_row(r: RegisterRecipient) -> PolicyRegisterRow:
    row: dict[str, Any] = {
        "id": r.id,
        "kind": r.kind,
        "legal_name": r.legal_name,
        "country": r.country,
        "contact_phone": r.contact_phone,
        "contact_email": r.contact_email,
        "officer_name": r.officer_name,
        "officer_email": r.officer_email,
        "officer_phone": r.officer_phone,
        "purposes": sorted(r.purposes),
        "retention_days": r.retention_days,
        "received": r.transfers > 0,
    }
    digest = hashlib.sha256(_canonical(row)).hexdigest()
    return PolicyRegisterRow(r.id, r.country or "", name_key(r.legal_name or ""), digest, row)


def _listed(uow: UnitOfWork, since: datetime, until: datetime) -> Iterator[RegisterRecipient]:
    """Every recipient the register lists in any country, home included, by id."""
    window = RegisterWindow(since=since, until=until, home=())
    after: str | None = None
    while True:
        rows = uow.overseas_register.page(window, after=after, limit=_CHUNK)
        yield from rows
        if len(rows) < _CHUNK:
            return
        after = rows[-1].id


def _disclosures(uow: UnitOfWork, pack: RulePack, r: RegisterRecipient) -> list[PolicyDisclosure]:
    """What the policy discloses of an entrustee or storage provider abroad (Art. 28-8(1) 3).

    One row for each of its purposes and each flow the basis covers that its kind may
    receive, carrying its fingerprint and the disclosure wording's digest as they are now:
    a later change to either leaves the row stale until the next version, as for a notice.
    """
    basis = pack.bases.get(_DISCLOSURE_BASIS)
    recipient = uow.recipients.get(r.id)
    if basis is None or recipient is None or r.kind not in basis.kinds:
        return []
    fingerprint = recipient_fingerprint(recipient)
    flows = [f for f in pack.kind_flows.get(r.kind, []) if f in basis.flows]
    rows = []
    for purpose in sorted(p for p in r.purposes if p in pack.purposes):
        for flow in flows:
            digest = notice_digest(
                pack,
                kind="disclosure",
                language=pack.required_language,
                purpose=purpose,
                flow=flow,
            )
            if digest is not None:
                rows.append(PolicyDisclosure(r.id, purpose, flow, fingerprint, digest))
    return rows


@dataclass(frozen=True)
class _Gathered:
    facts: PolicyFacts
    rows: list[PolicyRegisterRow]
    disclosures: list[PolicyDisclosure]
    profile_version: int


def _gather(uow: UnitOfWork, pack: RulePack, now: datetime) -> _Gathered:
    stored = uow.operator_profiles.latest()
    if stored is None:
        raise PolicyIncomplete("controller")
    profile = profile_from_content(stored.content)
    since = now - timedelta(days=POLICY_DAYS)
    home = set(pack.jurisdictions)
    rows: list[PolicyRegisterRow] = []
    named: list[NamedRecipient] = []
    countries: dict[str, list[int]] = {}
    disclosures: list[PolicyDisclosure] = []
    consent_only = 0
    for r in _listed(uow, since, now):
        if r.country is None:
            continue
        if r.kind not in pack.consent_only_kinds:
            disclosed = [] if r.country in home else _disclosures(uow, pack, r)
            disclosures.extend(disclosed)
            named.append(_named(r, disclosed=bool(disclosed)))
        if r.country in home:
            continue
        rows.append(_register_row(r))
        counts = countries.setdefault(r.country, [0, 0])
        counts[0] += 1
        counts[1] += r.transfers > 0
        consent_only += r.kind in pack.consent_only_kinds
    summary = RegisterSummary(
        recipients=len(rows),
        countries=tuple((c, n[0], n[1]) for c, n in sorted(countries.items())),
        consent_only=consent_only,
        since=since,
        until=now,
    )
    agent = domestic_agent_requirement(profile, pack.domestic_agent)
    named.sort(key=lambda n: (name_key(n.legal_name), n.id))
    facts = PolicyFacts(profile, agent, tuple(named), summary)
    return _Gathered(facts, rows, disclosures, stored.version)


def _named(r: RegisterRecipient, *, disclosed: bool) -> NamedRecipient:
    return NamedRecipient(
        id=r.id,
        legal_name=r.legal_name or "",
        kind=r.kind,
        country=r.country or "",
        contact_phone=r.contact_phone,
        contact_email=r.contact_email,
        officer_name=r.officer_name,
        officer_email=r.officer_email,
        officer_phone=r.officer_phone,
        purposes=tuple(p for p in r.purposes),
        retention_days=r.retention_days,
        disclosed=disclosed,
    )


def _canonical_rows(gathered: _Gathered) -> str:
    return hashlib.sha256(_canonical([asdict(d) for d in gathered.disclosures])).hexdigest()


def register_digest(rows: list[PolicyRegisterRow]) -> str:
    """SHA-256 over the rows' hashes in recipient-id order."""
    digest = hashlib.sha256()
    for row in sorted(rows, key=lambda r: r.recipient_id):
        digest.update(f"{row.recipient_id}:{row.row_hash}\n".encode())
    return digest.hexdigest()


def _previous(uow: UnitOfWork, stored: StoredPolicy | None, language: str) -> PolicyDocument | None:
    # Whole, every entrustee row included: the change log compares the tables row by row.
    return None if stored is None else full_document(uow, stored, language)


def publish_policy(gh: Gatehouse) -> PublishOutcome:
    """Publish a new version when the policy's content changed; return the latest either way.

    Raises :class:`PolicyIncomplete`, naming the item, when a required item is empty; then
    nothing is stored and the version in force stays.
    """
    pack = policy_pack(gh)
    texts = pack.privacy_policy
    if texts is None:
        raise PolicyIncomplete("privacy_policy")
    now = gh.clock()
    with gh.unit_of_work() as uow:
        gathered = _gather(uow, pack, now)
        documents = {lang: build_policy(pack, gathered.facts, lang) for lang in pack.languages}
        for document in documents.values():
            check_policy(document, with_changes=False)
        digest = register_digest(gathered.rows)
        # The disclosures' fingerprints follow facts the text may not show (onward
        # transfers), so they are hashed too: any change to them is a new version.
        content_hash = policy_hash(documents.values(), digest, _canonical_rows(gathered))
        latest = uow.policies.latest(with_documents=False)
        if latest is not None and latest.content_hash == content_hash:
            return PublishOutcome(latest, False)
        version = 1 if latest is None else latest.version + 1
        delta = _apply_register(uow, gathered.rows, version)
        language = pack.required_language
        changes = changes_between(
            _previous(uow, latest, language), documents[language], delta, texts.material_sections
        )
        stored = StoredPolicy(
            version=version,
            content_hash=content_hash,
            # Stored compact beside the version, not whole in it: see policy_storage.
            documents={},
            register_digest=digest,
            register_count=len(gathered.rows),
            changes=[asdict(c) for c in changes],
            material=any(c.material for c in changes) and latest is not None,
            published_at=now,
            effective_at=effective_from(
                now, changes, texts.notice_days, None if latest is None else latest.effective_at
            ),
            profile_version=gathered.profile_version,
        )
        uow.policies.append(stored)
        keys = {n.id: name_key(n.legal_name) for n in gathered.facts.named}
        store_documents(uow, version, documents, keys)
        uow.policies.add_disclosures(version, gathered.disclosures)
        # In the ledger too, so an audit proves which text was published when (Art. 30).
        uow.ledger.append(
            kind=POLICY_PUBLISHED,
            at=now,
            subject_id=None,
            recipient_id=None,
            payload={
                "version": version,
                "content_hash": content_hash,
                "register_digest": digest,
                "register_count": len(gathered.rows),
                "material": stored.material,
                "effective_at": stored.effective_at.isoformat(),
            },
        )
    return PublishOutcome(stored, True)


def _apply_register(
    uow: UnitOfWork, rows: list[PolicyRegisterRow], version: int
) -> tuple[int, int, int]:
    """Write the register rows that changed; (added, removed, changed) recipients."""
    current = uow.policies.current_hashes()
    fresh = {r.recipient_id: r for r in rows}
    added = [r for rid, r in fresh.items() if rid not in current]
    changed = [r for rid, r in fresh.items() if rid in current and current[rid] != r.row_hash]
    removed = [rid for rid in current if rid not in fresh]
    uow.policies.close_rows([r.recipient_id for r in changed] + removed, version - 1)
    uow.policies.add_rows(added + changed, version)
    return len(added), len(removed), len(changed)


@handler("policy.publish")
def publish_job(gh: Gatehouse, job: Job | None) -> None:
    """Publish the privacy policy when what it shows has changed.

    An incomplete policy is the operator's to fix (the console says what is missing), not a
    failed job to retry: the version in force stays, and the item is logged by name.
    """
    try:
        publish_policy(gh)
    except PolicyIncomplete as exc:
        log.warning("privacy policy not published: %s is missing or empty", exc.item)
