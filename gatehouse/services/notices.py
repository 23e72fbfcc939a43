"""Rendering checkout notices and publishing disclosures, each stored once by content hash."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from gatehouse.domain.errors import InvalidInput, NotFound
from gatehouse.domain.ids import new_id
from gatehouse.domain.notices import Notice, render_notice
from gatehouse.domain.policy import RulePack
from gatehouse.domain.recipients import Recipient, RecipientStatus
from gatehouse.services.ports import Notices, Recipients
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.subjects import require_live_subject
from gatehouse.services.unit_of_work import UnitOfWork
from gatehouse.store.records import StoredNotice

__all__ = [
    "MAX_NOTICE_RECIPIENTS",
    "NoticeScope",
    "RenderedNotice",
    "render_for_subject",
    "render_with_policy",
    "publish_disclosure",
    "get_notice",
]

# A notice must name every recipient; past this many it stops being readable at checkout.
MAX_NOTICE_RECIPIENTS = 200

# Recipients of a country scope are read this many at a time.
_PAGE = 500


def _recipients_in_scope(
    recipients: Recipients,
    pack: RulePack,
    recipient_ids: Sequence[str],
    countries: Sequence[str],
    purpose: str,
    flow: str,
) -> list[Recipient]:
    chosen: dict[str, Recipient] = {}
    for recipient_id in recipient_ids:
        recipient = recipients.get(recipient_id)
        if recipient is None:
            raise NotFound(f"no recipient with id {recipient_id!r}", code="recipient_not_found")
        chosen[recipient.id] = recipient
    for country in countries:
        # A country scope still lists each recipient by name: never "sellers in CN". It takes
        # the recipients this purpose and flow can reach (named ones are checked instead), so
        # they are filtered before the size limit, a page at a time, until past the limit.
        after: str | None = None
        while len(chosen) <= MAX_NOTICE_RECIPIENTS:
            page = recipients.list(
                country=country, status=RecipientStatus.ACTIVE.value, after=after, limit=_PAGE
            )
            for recipient in page:
                if purpose in recipient.purposes and flow in pack.kind_flows.get(
                    recipient.kind.value, []
                ):
                    chosen[recipient.id] = recipient
            if len(page) < _PAGE:
                break
            after = page[-1].id
    if not chosen:
        raise InvalidInput(
            "the notice's scope names no recipient; give recipient_id or a country with recipients",
            code="empty_scope",
        )
    if len(chosen) > MAX_NOTICE_RECIPIENTS:
        raise InvalidInput(
            f"the scope covers more than {MAX_NOTICE_RECIPIENTS} recipients; a notice must name "
            "each one, so narrow the scope to the recipients of this order",
            code="scope_too_large",
        )
    return sorted(chosen.values(), key=lambda r: r.id)


def _store(notices: Notices, notice: Notice, at: datetime) -> None:
    notices.save(
        notice_hash=notice.hash,
        kind=notice.kind,
        locale=notice.locale,
        purpose=notice.purpose,
        flow=notice.flow,
        pack_id=notice.pack_id,
        pack_version=notice.pack_version,
        recipients={entry.recipient_id: entry.fingerprint for entry in notice.recipients},
        countries=list(notice.countries),
        body=notice.body(),
        text=notice.text,
        at=at,
        content_digest=notice.content_digest,
        required=notice.required,
    )


@dataclass(frozen=True)
class NoticeScope:
    """What a checkout notice covers: the recipients named or the countries, purpose and flow."""

    subject_id: str
    recipient_ids: Sequence[str]
    countries: Sequence[str]
    purpose: str
    flow: str
    locale: str | None


@dataclass(frozen=True)
class RenderedNotice:
    """A rendered checkout notice and the privacy policy version in force when it was shown.

    The version sits beside the notice, outside its body: publishing a policy version must not
    change a notice's hash, or every consent given to it would look like one to another notice.
    """

    notice: Notice
    policy_version: int | None


def _render_in(gh: Gatehouse, uow: UnitOfWork, scope: NoticeScope, now: datetime) -> Notice:
    subject = require_live_subject(uow.subjects, scope.subject_id)
    pack = gh.packs.by_id(subject.rule_pack)
    chosen = _recipients_in_scope(
        uow.recipients, pack, scope.recipient_ids, scope.countries, scope.purpose, scope.flow
    )
    notice = render_notice(
        # The notice that carries consent is in the pack's required language, whatever the
        # customer's locale; another language is rendered on request, to show beside it.
        pack,
        purpose=scope.purpose,
        flow=scope.flow,
        recipients=chosen,
        locale=scope.locale or pack.required_language,
    )
    _store(uow.notices, notice, now)
    return notice


def render_for_subject(
    gh: Gatehouse,
    *,
    subject_id: str,
    recipient_ids: Sequence[str],
    countries: Sequence[str],
    purpose: str,
    flow: str,
    locale: str | None,
) -> Notice:
    """Render the checkout notice in the subject's pack, and store it once.

    Without ``locale`` it is in the pack's required language: the only notice a consent can
    be recorded against.
    """
    scope = NoticeScope(subject_id, recipient_ids, countries, purpose, flow, locale)
    with gh.unit_of_work() as uow:
        return _render_in(gh, uow, scope, gh.clock())


def render_with_policy(gh: Gatehouse, scope: NoticeScope) -> RenderedNotice:
    """:func:`render_for_subject`, with the privacy policy version in force to link beside it.

    Both are read in one transaction, so the link is the version in force as the notice was
    stored.
    """
    now = gh.clock()
    with gh.unit_of_work() as uow:
        notice = _render_in(gh, uow, scope, now)
        in_force = uow.policies.in_force(now, with_documents=False)
    return RenderedNotice(notice, None if in_force is None else in_force.version)


def publish_disclosure(
    gh: Gatehouse,
    *,
    pack_id: str,
    recipient_ids: Sequence[str],
    purpose: str,
    flow: str,
    locale: str,
) -> tuple[str, Notice]:
    """Publish an overseas-transfer disclosure (basis for entrustment and storage)."""
    pack = gh.packs.by_id(pack_id)
    with gh.unit_of_work() as uow:
        chosen = _recipients_in_scope(uow.recipients, pack, recipient_ids, (), purpose, flow)
        notice = render_notice(
            pack, purpose=purpose, flow=flow, recipients=chosen, locale=locale, kind="disclosure"
        )
        now = gh.clock()
        _store(uow.notices, notice, now)
        disclosure_id = new_id("dis")
        uow.notices.publish_disclosure(
            disclosure_id,
            notice.hash,
            purpose,
            {entry.recipient_id: entry.fingerprint for entry in notice.recipients},
            now,
        )
    return disclosure_id, notice


def get_notice(gh: Gatehouse, notice_hash: str) -> StoredNotice:
    """A stored notice by hash, or ``NotFound``."""
    with gh.unit_of_work(read_only=True) as uow:
        notice = uow.notices.get(notice_hash)
    if notice is None:
        raise NotFound(f"no notice with hash {notice_hash!r}", code="notice_not_found")
    return notice
