"""Recording separate consent to overseas transfer, and its withdrawal, as history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gatehouse.domain.consents import Channel, ConsentRecord, ConsentState, current_consents
from gatehouse.domain.errors import Conflict, GatehouseError, InvalidInput, NotFound
from gatehouse.domain.ids import new_id
from gatehouse.domain.policy import RulePack
from gatehouse.domain.views import CloseReason
from gatehouse.services import erasures
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import require_live_subject, require_subject
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.services.view_closing import close_views_in

__all__ = [
    "ConsentAnswer",
    "consent_states",
    "record_consent",
    "record_consents",
    "withdraw_consent",
]


def _channel(channel: str) -> str:
    try:
        return Channel(channel).value
    except ValueError:
        raise InvalidInput(
            f"channel must be one of {', '.join(c.value for c in Channel)}", code="invalid_channel"
        ) from None


def _check_language(pack: RulePack, language: str) -> None:
    """A notice outside the pack's required language may be shown beside it, never instead."""
    if language != pack.required_language:
        raise InvalidInput(
            f"consent under {pack.id} is given to the notice in '{pack.required_language}'; a "
            f"notice in '{language}' may be shown beside it but cannot carry the consent: render "
            f"the notice with locale={pack.required_language} and record the answer to its hash",
            code="notice_language_not_binding",
            details={"required_language": pack.required_language, "notice_language": language},
        )


def _policy_version(uow: UnitOfWork, at: datetime) -> int | None:
    # Read in the answer's own transaction: a version published concurrently is either in force
    # for this answer or not, never half.
    in_force = uow.policies.in_force(at, with_documents=False)
    return None if in_force is None else in_force.version


@dataclass(frozen=True)
class ConsentAnswer:
    """A subject's answer to a consent notice, as the operator reports it."""

    subject_id: str
    notice_hash: str
    granted: bool
    channel: str


def record_consent(
    gh: Gatehouse, subject_id: str, notice_hash: str, *, granted: bool, channel: str
) -> ConsentRecord:
    """Append the subject's answer to a notice; granted must have been given explicitly.

    Concurrent answers in one process share a transaction, as transfers do (group commit);
    each returns only after the commit that holds it, and raises only its own error.
    """
    answer = ConsentAnswer(subject_id, notice_hash, granted, channel)
    return gh.consent_groups.submit(answer, lambda items: record_consents(gh, items))


def record_consents(
    gh: Gatehouse, answers: Sequence[ConsentAnswer]
) -> list[ConsentRecord | GatehouseError]:
    """Record every answer in one transaction: a record or the answer's own error each, in
    order; each subject's ledger shard is locked once, in order. The API keys the answers
    came with, if any, are confirmed first, in the same transaction (:mod:`key_cache`)."""
    now = gh.clock()
    results: list[ConsentRecord | GatehouseError] = []
    with gh.unit_of_work() as uow:
        gh.facts.confirm_keys(uow)
        with uow.ledger.group([a.subject_id for a in answers], now):
            results.extend(_record_each(gh, uow, answers, now))
    return results


def _record_each(
    gh: Gatehouse, uow: UnitOfWork, answers: Sequence[ConsentAnswer], now: datetime
) -> list[ConsentRecord | GatehouseError]:
    results: list[ConsentRecord | GatehouseError] = []
    for answer in answers:
        try:
            results.append(_record(gh, uow, answer, now))
        except GatehouseError as error:
            # Every refusal comes before the answer's writes, so it writes nothing.
            results.append(error)
    return results


def _record(gh: Gatehouse, uow: UnitOfWork, answer: ConsentAnswer, now: datetime) -> ConsentRecord:
    subject_id, notice_hash = answer.subject_id, answer.notice_hash
    subject = require_live_subject(uow.subjects, subject_id)
    notice = uow.notices.get(notice_hash)
    if notice is None:
        raise NotFound(f"no notice with hash {notice_hash!r}", code="notice_not_found")
    if notice.kind != "consent":
        raise InvalidInput(
            "that notice is a published disclosure, not a consent notice",
            code="not_a_consent_notice",
        )
    _check_language(gh.packs.by_id(subject.rule_pack), notice.locale)
    record = ConsentRecord(
        id=new_id("con"),
        subject_id=subject_id,
        notice_hash=notice_hash,
        purpose=notice.purpose,
        granted=answer.granted,
        channel=_channel(answer.channel),
        at=now,
        recipients=dict(notice.recipients),
        flow=notice.flow,
        language=notice.locale,
        content_digest=notice.content_digest,
        required=notice.required,
        policy_version=_policy_version(uow, now),
    )
    uow.consents.append(record)
    uow.ledger.append(
        kind="consent.granted" if answer.granted else "consent.refused",
        at=now,
        subject_id=subject_id,
        recipient_id=None,
        payload={
            "consent_id": record.id,
            "notice_hash": notice_hash,
            "purpose": notice.purpose,
            "flow": notice.flow,
            "required": notice.required,
            "channel": record.channel,
            "recipients": sorted(notice.recipients),
        },
    )
    return record


def withdraw_consent(
    gh: Gatehouse, subject_id: str, consent_id: str, *, channel: str
) -> ConsentRecord:
    """Withdraw a granted consent: future transfers stop, views resting on it close, and each
    recipient that held one of those views is asked to erase what it got (R13).

    All of it is one transaction: a failure anywhere leaves the consent in force.
    """
    now = gh.clock()
    with gh.unit_of_work() as uow, uow.ledger.group([subject_id], now):
        # The subject's shard is locked before its history is read: the withdrawal is then
        # numbered after every answer recorded before it, and two at once do not interleave.
        require_live_subject(uow.subjects, subject_id)
        states = current_consents(uow.consents.history(subject_id))
        state = next((s for s in states if s.consent_id == consent_id), None)
        if state is None:
            raise NotFound(f"no consent with id {consent_id!r}", code="consent_not_found")
        if not state.granted:
            raise Conflict("this consent is not in force", code="consent_not_granted")
        record = ConsentRecord(
            id=new_id("con"),
            subject_id=subject_id,
            notice_hash=state.notice_hash,
            purpose=state.purpose,
            granted=False,
            channel=_channel(channel),
            at=now,
            recipients=state.recipients,
            withdraws=consent_id,
            policy_version=_policy_version(uow, now),
        )
        uow.consents.append(record)
        views = uow.transfers.open_views(subject_id=subject_id, consent_notice=state.notice_hash)
        # Asked before the views close, from the views themselves: closing ends access, and
        # only the erasure request reaches the copies the recipients made meanwhile.
        notices = erasures.send_erasure_requests(
            gh,
            uow,
            subject_id=subject_id,
            held=uow.transfers.held_by_views(view.transfer_id for view in views),
            cause=erasures.ErasureCause.CONSENT_WITHDRAWN,
            consent_id=consent_id,
        )
        uow.ledger.append(
            kind="consent.withdrawn",
            at=now,
            subject_id=subject_id,
            recipient_id=None,
            payload={
                "consent_id": consent_id,
                "notice_hash": state.notice_hash,
                "erasure_ids": [notice.erasure_id for notice in notices],
            },
        )
        close_views_in(gh, uow, views, CloseReason.CONSENT_WITHDRAWN, now)
    return record


def consent_states(gh: Gatehouse, subject_id: str) -> list[ConsentState]:
    """The subject's consents, one per notice, with their current state."""
    with gh.unit_of_work(read_only=True) as uow:
        require_subject(uow.subjects, subject_id)
        return current_consents(uow.consents.history(subject_id))
