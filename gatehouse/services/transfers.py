"""The transfer gateway: gather facts, decide in pure code, record, open a view. One transaction."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from gatehouse.domain.consents import live_consent_facts
from gatehouse.domain.decision import Decision, DisclosureFact, TransferFacts, decide
from gatehouse.domain.errors import Conflict, GatehouseError, InvalidInput, NotFound
from gatehouse.domain.ids import new_id
from gatehouse.domain.notices import NOTICE_KINDS, notice_digest, recipient_fingerprint
from gatehouse.domain.orders import OrderStatus
from gatehouse.domain.policy import RulePack
from gatehouse.domain.recipients import Recipient, eligibility_gaps
from gatehouse.domain.views import released_fields, view_expiry
from gatehouse.services.fact_cache import Facts
from gatehouse.services.paging import split_page
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.transfer_writes import PendingWrites
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.records import DecisionRead, OpenView, StoredTransfer

__all__ = [
    "TransferOutcome",
    "TransferRequest",
    "decide_and_record",
    "decide_items",
    "list_transfers",
    "request_transfer",
]


@dataclass(frozen=True)
class TransferOutcome:
    """A recorded decision: allowed with its view, or refused with its reason."""

    transfer_id: str
    decision: Decision
    fields: list[str]
    view_expires_at: datetime | None


# 0505 numbers with a random 8-digit tail whose first digit is not 0: 90 million numbers.
_SAFE_NUMBERS = 9000 * 10000


def _safe_number_candidates(count: int = 8) -> list[str]:
    # So many numbers make a clash rare, and a few candidates always find a free one. One
    # draw covers them all: the digits of a uniform number in base 90 million are independent
    # uniform numbers, and each draw from the system's randomness costs a system call.
    drawn = secrets.randbelow(_SAFE_NUMBERS**count)
    numbers = []
    for _ in range(count):
        drawn, number = divmod(drawn, _SAFE_NUMBERS)
        head, tail = divmod(number, 10000)
        numbers.append(f"0505-{head + 1000:04d}-{tail:04d}")
    return numbers


def _current_digests(pack: RulePack, purpose: str, flow: str) -> dict[str, str]:
    """What each kind of notice for this purpose and flow shows today, by content digest."""
    digests = {
        kind: notice_digest(
            pack, kind=kind, language=pack.required_language, purpose=purpose, flow=flow
        )
        for kind in NOTICE_KINDS
    }
    return {kind: digest for kind, digest in digests.items() if digest is not None}


@lru_cache(maxsize=4096)
def _fingerprint(recipient: Recipient) -> str:
    # Keyed by the whole (frozen) recipient, so a changed one is a new key: its JSON and hash
    # were a tenth of a decision's own work, the same for every transfer to one recipient.
    return recipient_fingerprint(recipient)


def _facts(
    uow: UnitOfWork,
    cached: Facts,
    pack: RulePack,
    read: DecisionRead,
    recipient: Recipient,
    purpose: str,
    flow: str,
    legal_provision: str | None,
    now: datetime,
) -> TransferFacts:
    terms = cached.terms()
    suspended = cached.suspended_countries()
    return TransferFacts(
        subject_deleted=read.subject.deleted,
        recipient=recipient,
        recipient_gaps=eligibility_gaps(
            recipient,
            terms.version if terms else None,
            cached.overdue_erasures(recipient.id, now),
        ),
        recipient_fingerprint=_fingerprint(recipient),
        country_suspended=recipient.country in suspended if recipient.country else False,
        purpose=purpose,
        flow=flow,
        today=now.date(),
        consents=live_consent_facts(read.consents),
        disclosures=_disclosures(uow, cached, pack, recipient, now),
        legal_provision=legal_provision,
        notice_digests=_current_digests(pack, purpose, flow),
    )


def _disclosures(
    uow: UnitOfWork, cached: Facts, pack: RulePack, recipient: Recipient, now: datetime
) -> list[DisclosureFact]:
    """Published disclosures naming the recipient, and the privacy policy in force if it does.

    Only a kind the disclosure basis may cover is looked up in the policy: a seller's
    transfers, the bulk of them, skip the read.
    """
    published = cached.disclosures(recipient.id)
    if recipient.kind.value in pack.consent_only_kinds:
        return published
    in_policy = uow.policies.disclosures_in_force(recipient.id, now, pack.required_language)
    return [*published, *in_policy]


def _citation(pack: RulePack, key: str | None) -> dict[str, str] | None:
    """The cited provision as the pack holds it now, in the pack's required language."""
    if key is None:
        return None
    provision = pack.law_provisions[key]
    language = pack.required_language
    return {
        "citation": provision.citation.text(language, language),
        "text": provision.text.text(language, language),
    }


def _check_request(pack: RulePack, purpose: str, flow: str) -> None:
    if purpose not in pack.purposes:
        raise InvalidInput(
            f"unknown purpose {purpose!r}",
            code="unknown_purpose",
            details={"known": sorted(pack.purposes)},
        )
    if flow not in pack.flows:
        raise InvalidInput(
            f"unknown flow {flow!r}", code="unknown_flow", details={"known": list(pack.flows)}
        )


@dataclass(frozen=True)
class TransferRequest:
    """One transfer asked for: the order, what for, and the provision cited, if any."""

    order_id: str
    purpose: str
    flow: str
    legal_provision: str | None = None


def request_transfer(
    gh: Gatehouse,
    order_id: str,
    *,
    purpose: str,
    flow: str,
    legal_provision: str | None = None,
) -> TransferOutcome:
    """Decide and record one transfer for an order; both outcomes reach the ledger.

    Concurrent calls in one process share a transaction (:mod:`group_commit`); each returns
    only after the commit that holds its decision, and raises only its own error.
    """
    request = TransferRequest(order_id, purpose, flow, legal_provision)
    return gh.transfer_groups.submit(request, lambda items: decide_items(gh, items))


def decide_items(
    gh: Gatehouse, items: Sequence[TransferRequest]
) -> list[TransferOutcome | GatehouseError]:
    """Decide every item in one transaction and commit: an outcome or the item's own error
    each, in order. The subjects' ledger shards are locked once, in order; every item is
    decided before anything is written, then each table is written once for the group and
    each shard's head saved once (:mod:`gatehouse.services.transfer_writes`). A failure of
    the transaction as a whole (an exhausted safe-number pool, a database error) is raised
    and nothing is written."""
    now = gh.clock()
    answers: list[TransferOutcome | GatehouseError] = []
    with gh.unit_of_work() as uow:
        # Every order of the group, its subject and consents in one read; an unknown order is
        # that item's own error.
        loaded = uow.orders.for_decision([item.order_id for item in items])
        subjects = [read.order.subject_id for read in loaded.values()]
        cached = gh.facts.facts(uow)
        pending = PendingWrites()
        with uow.ledger.group(subjects, now):
            for item in items:
                found = loaded.get(item.order_id)
                if found is None:
                    answers.append(_order_not_found(item.order_id))
                    continue
                try:
                    answers.append(decide_and_record(gh, uow, cached, found, item, now, pending))
                except GatehouseError as error:
                    answers.append(error)
            pending.write(uow, now)
    return answers


def _order_not_found(order_id: str) -> NotFound:
    return NotFound(f"no order with id {order_id!r}", code="order_not_found")


def decide_and_record(
    gh: Gatehouse,
    uow: UnitOfWork,
    cached: Facts,
    read: DecisionRead,
    item: TransferRequest,
    now: datetime,
    pending: PendingWrites,
) -> TransferOutcome:
    """Decide one transfer in ``uow``: append its ledger entry, and queue the transfer and
    its view in ``pending``, which the caller writes with the rest of its group.

    Every refusal of the request itself (unknown purpose or flow, a cancelled order) is raised
    before anything is appended or queued, so a caller deciding many in one transaction can
    answer it for that item alone.
    """
    order, subject = read.order, read.subject
    purpose, flow = item.purpose, item.flow
    pack = gh.packs.by_id(subject.rule_pack)
    _check_request(pack, purpose, flow)
    if order.status == OrderStatus.CANCELLED.value:
        raise Conflict(
            "the order was cancelled; nothing can be transferred for it", code="order_cancelled"
        )
    recipient = cached.recipient(order.recipient_id)
    assert recipient is not None
    facts = _facts(uow, cached, pack, read, recipient, purpose, flow, item.legal_provision, now)
    decision = decide(pack, facts)
    transfer_id = new_id("trf")
    cited = _citation(pack, decision.legal_provision)
    fields = (
        released_fields(
            pack.purposes[purpose],
            customs_required=order.customs_required,
            has_delivery_note=order.has_delivery_note,
        )
        if decision.allowed
        else []
    )
    refusal = decision.refusal.value if decision.refusal else None
    transfer = StoredTransfer(
        id=transfer_id,
        order_id=order.id,
        subject_id=order.subject_id,
        recipient_id=recipient.id,
        country=recipient.country,
        purpose=purpose,
        flow=flow,
        allowed=decision.allowed,
        basis=decision.basis,
        refusal=refusal,
        notice_hash=decision.notice_hash,
        fields=fields,
        decided_at=now,
        legal_provision=decision.legal_provision,
        legal_provision_text=f"{cited['citation']}\n{cited['text']}" if cited else None,
    )
    expires_at: datetime | None = None
    view: OpenView | None = None
    numbers: list[str] | None = None
    if decision.allowed:
        expires_at = view_expiry(pack.views, now, order.delivered_at)
        if pack.purposes[purpose].fields.get("phone") == "safe_number":
            numbers = _safe_number_candidates()
        view = OpenView(
            transfer_id=transfer_id,
            order_id=order.id,
            subject_id=order.subject_id,
            recipient_id=recipient.id,
            purpose=purpose,
            consent_notice=decision.notice_hash if decision.basis == "SEPARATE_CONSENT" else None,
            safe_number=None,
            opened_at=now,
            expires_at=expires_at,
        )
    uow.ledger.append(
        kind="transfer.allowed" if decision.allowed else "transfer.refused",
        at=now,
        subject_id=order.subject_id,
        recipient_id=recipient.id,
        payload={
            "transfer_id": transfer_id,
            "order_id": order.id,
            "purpose": purpose,
            "flow": flow,
            "country": recipient.country,
            "basis": decision.basis,
            "notice_hash": decision.notice_hash,
            "fields": fields,
            "refusal": refusal,
            # Only a provision the pack lists is ever written: a caller's text is not.
            "legal_provision": {"key": decision.legal_provision, **cited} if cited else None,
        },
    )
    pending.add(transfer, view, numbers)
    return TransferOutcome(transfer_id, decision, fields, expires_at)


def list_transfers(
    gh: Gatehouse,
    *,
    recipient_id: str | None,
    subject_id: str | None,
    country: str | None,
    since: datetime | None,
    after: str | None,
    limit: int,
) -> tuple[list[StoredTransfer], str | None]:
    """A page of decisions and the cursor of the next page."""
    with gh.unit_of_work(read_only=True) as uow:
        page = uow.transfers.list_transfers(
            recipient_id=recipient_id,
            subject_id=subject_id,
            country=country,
            since=since,
            after=after,
            limit=limit + 1,
        )
    return split_page(page, limit, lambda transfer: transfer.id)
