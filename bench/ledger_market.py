"""A year of a marketplace's ledger events, with the ids they link kept consistent.

Each event carries the payload of the use case that appends it (transfers, views, consents,
rights requests, deletions, erasures, suspensions, incidents, policy versions): a view reads
a transfer that was allowed, an erasure acknowledged was asked for by a deletion or a
withdrawal, a request resolved was created before, a transfer to a suspended recipient is
refused. Ids come from :func:`gatehouse.domain.ids.new_id`; choices from a seeded generator.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Generic, TypeVar

from gatehouse.domain.consents import Channel
from gatehouse.domain.decision import Refusal
from gatehouse.domain.ids import new_id
from gatehouse.domain.incidents import Step
from gatehouse.domain.requests import Outcome, RequestType
from gatehouse.domain.views import CloseReason
from gatehouse.services.erasures import ErasureCause

__all__ = ["COUNTRIES", "KINDS", "Event", "Market"]

# Sellers abroad cluster in a few countries, as on the marketplaces the PIPC fined.
COUNTRIES = {
    "CN": 40, "US": 12, "JP": 10, "HK": 8, "SG": 5, "VN": 5,
    "DE": 4, "GB": 4, "FR": 3, "AU": 3, "TW": 3, "TH": 3,
}  # fmt: skip
# Share of entries by kind; an event that needs an earlier one (a view needs an allowed
# transfer) becomes an allowed transfer when there is none yet.
KINDS = {
    "transfer.allowed": 52_000, "transfer.refused": 6_000, "view.read": 20_000,
    "view.closed": 10_000, "consent.granted": 7_000, "consent.refused": 1_200,
    "consent.withdrawn": 600, "request.created": 800, "request.resolved": 760,
    "subject.deleted": 200, "erasure.acknowledged": 300, "recipient.suspended": 4,
    "recipient.resumed": 3, "country.suspended": 1, "country.resumed": 1,
    "incident.opened": 1, "incident.step": 3, "policy.published": 1,
}  # fmt: skip
REFUSALS = {
    Refusal.NO_LAWFUL_BASIS: 70, Refusal.RECIPIENT_NOT_ELIGIBLE: 15,
    Refusal.SUBJECT_DELETED: 8, Refusal.RECIPIENT_SUSPENDED: 5, Refusal.COUNTRY_SUSPENDED: 2,
}  # fmt: skip
INCIDENT_KINDS = ["hacking", "recipient_breach", "misdelivery", "lost_media", "insider_misuse"]
RING = 20_000  # open views, consents and transfers remembered for later events
Event = tuple[str, datetime, str | None, str | None, dict[str, Any]]
T = TypeVar("T")


class _Ring(Generic[T]):
    """The last ``RING`` items kept, one drawn at random; a taken item leaves a hole."""

    def __init__(self) -> None:
        self._items: list[T | None] = []
        self._next = 0

    def put(self, item: T) -> None:
        """Keep ``item``, in place of the oldest once the ring is full."""
        if len(self._items) < RING:
            self._items.append(item)
        else:
            self._items[self._next] = item
            self._next = (self._next + 1) % RING

    def draw(self, rng: random.Random, *, take: bool = False) -> T | None:
        """A kept item at random (removed when ``take``), or None when none is found."""
        if not self._items:
            return None
        for _ in range(3):  # a few tries past holes left by taken items
            slot = rng.randrange(len(self._items))
            item = self._items[slot]
            if item is not None:
                if take:
                    self._items[slot] = None
                return item
        return None


@dataclass(frozen=True)
class _Recipient:
    id: str
    country: str
    kind: str  # seller, logistics or storage
    notice_hash: str  # the consent notice or the disclosure the basis rests on
    certified: bool


def _hex(rng: random.Random) -> str:
    return hashlib.sha256(rng.randbytes(16)).hexdigest()


class Market:
    """The marketplace's state between events: who is suspended, deleted, waiting."""

    def __init__(self, rng: random.Random, subjects: int, recipients: int) -> None:
        self.rng = rng
        self.subjects = [new_id("sub") for _ in range(subjects)]
        codes, weights = list(COUNTRIES), list(COUNTRIES.values())
        self.recipients = [
            _Recipient(
                new_id("rcp"),
                rng.choices(codes, weights)[0],
                kind,
                _hex(rng),
                kind != "seller" and rng.random() < 0.3,
            )
            for kind in rng.choices(["seller", "logistics", "storage"], [85, 10, 5], k=recipients)
        ]
        self.suspended: set[str] = set()
        self.countries_suspended: set[str] = set()
        self.deleted: set[str] = set()
        self.views: _Ring[tuple[str, str, str, list[str]]] = _Ring()
        self.consents: _Ring[tuple[str, str, str, list[str]]] = _Ring()
        self.transfers: _Ring[str] = _Ring()
        self.requests: list[tuple[str, str, datetime, str]] = []
        self.erasures: list[tuple[str, str, str | None, str, datetime]] = []
        self.incidents: list[tuple[str, str | None, datetime, bool, list[str]]] = []
        self.policy_version = 0
        self._kinds = list(KINDS)
        self._cum = list(_cumulative(KINDS.values()))

    def _subject(self) -> str:
        # A few customers buy often and most rarely: the head of the list is drawn more.
        return self.subjects[int(len(self.subjects) * self.rng.random() ** 1.6)]

    def _recipient(self) -> _Recipient:
        return self.recipients[int(len(self.recipients) * self.rng.random() ** 2.0)]

    def _seller(self) -> _Recipient:
        while True:
            recipient = self._recipient()
            if recipient.kind == "seller":
                return recipient

    def event(self, at: datetime) -> Event:
        """The next event at ``at``."""
        kind = self.rng.choices(self._kinds, cum_weights=self._cum)[0]
        made = getattr(self, "_" + kind.replace(".", "_"))(at)
        return made if made is not None else self._transfer(at, refused=False)

    # -- transfers and views -------------------------------------------------------------

    def _transfer(self, at: datetime, *, refused: bool) -> Event:
        rng, recipient, subject = self.rng, self._recipient(), self._subject()
        refusal: str | None = None
        if recipient.id in self.suspended:
            refusal = Refusal.RECIPIENT_SUSPENDED
        elif recipient.country in self.countries_suspended:
            refusal = Refusal.COUNTRY_SUSPENDED
        elif subject in self.deleted:
            refusal = Refusal.SUBJECT_DELETED
        elif refused:
            refusal = rng.choices(list(REFUSALS), list(REFUSALS.values()))[0]
        purpose = "fulfilment" if rng.random() < 0.9 else "customer_service"
        flow = {"seller": "provision", "logistics": "entrustment"}.get(recipient.kind, "storage")
        basis = notice = None
        fields: list[str] = []
        if refusal is None:
            fields = ["name", "phone", "address"]
            if purpose == "fulfilment" and rng.random() < 0.3:
                fields.append("delivery_note")
            if purpose == "fulfilment" and rng.random() < 0.6:
                fields.append("customs_code")
            if recipient.kind == "seller":
                basis, notice = "SEPARATE_CONSENT", recipient.notice_hash
            elif recipient.certified:
                basis = "RECIPIENT_CERTIFIED"
            else:
                basis, notice = "CONTRACT_ENTRUST_STORE", recipient.notice_hash
        transfer_id = new_id("trf")
        self.transfers.put(transfer_id)
        if refusal is None:
            self.views.put((transfer_id, subject, recipient.id, fields))
        payload = {
            "transfer_id": transfer_id,
            "order_id": new_id("ord"),
            "purpose": purpose,
            "flow": flow,
            "country": recipient.country,
            "basis": basis,
            "notice_hash": notice,
            "fields": fields,
            "refusal": None if refusal is None else str(refusal),
            "legal_provision": None,
        }
        kind = "transfer.allowed" if refusal is None else "transfer.refused"
        return kind, at, subject, recipient.id, payload

    def _transfer_allowed(self, at: datetime) -> Event:
        return self._transfer(at, refused=False)

    def _transfer_refused(self, at: datetime) -> Event:
        return self._transfer(at, refused=True)

    def _view_read(self, at: datetime) -> Event | None:
        view = self.views.draw(self.rng)
        if view is None:
            return None
        transfer_id, subject, recipient, fields = view
        payload = {"transfer_id": transfer_id, "fields": sorted(fields)}
        return "view.read", at, subject, recipient, payload

    def _view_closed(self, at: datetime) -> Event | None:
        view = self.views.draw(self.rng, take=True)
        if view is None:
            return None
        reason = self.rng.choices(
            [
                CloseReason.DELIVERED_WINDOW_ENDED,
                CloseReason.MAX_WINDOW_ENDED,
                CloseReason.CANCELLED,
            ],
            [80, 12, 8],
        )[0]
        payload = {"transfer_id": view[0], "reason": str(reason)}
        return "view.closed", at, view[1], view[2], payload

    # -- consents ------------------------------------------------------------------------

    def _consent(self, at: datetime, granted: bool) -> Event:
        rng = self.rng
        # One notice per seller: the consent answers the notice the seller's transfers cite.
        seller = self._seller()
        sellers = [seller.id]
        purpose = "fulfilment" if rng.random() < 0.85 else "customer_service"
        consent_id, notice_hash, subject = new_id("con"), seller.notice_hash, self._subject()
        if granted:
            self.consents.put((consent_id, notice_hash, subject, sellers))
        payload = {
            "consent_id": consent_id,
            "notice_hash": notice_hash,
            "purpose": purpose,
            "flow": "provision",
            "required": purpose == "fulfilment",
            "channel": str(rng.choices([Channel.WEB, Channel.APP, Channel.PHONE], [55, 43, 2])[0]),
            "recipients": sellers,
        }
        return ("consent.granted" if granted else "consent.refused"), at, subject, None, payload

    def _consent_granted(self, at: datetime) -> Event:
        return self._consent(at, True)

    def _consent_refused(self, at: datetime) -> Event:
        return self._consent(at, False)

    def _consent_withdrawn(self, at: datetime) -> Event | None:
        consent = self.consents.draw(self.rng, take=True)
        if consent is None:
            return None
        consent_id, notice_hash, subject, sellers = consent
        erasures = self._ask_erasures(at, sellers, ErasureCause.CONSENT_WITHDRAWN, None)
        payload = {"consent_id": consent_id, "notice_hash": notice_hash, "erasure_ids": erasures}
        return "consent.withdrawn", at, subject, None, payload

    # -- rights requests, deletions and erasures -----------------------------------------

    def _request_created(self, at: datetime) -> Event:
        rng = self.rng
        kind = rng.choices(list(RequestType), [40, 15, 25, 10, 10])[0]
        request_id, subject, due = new_id("req"), self._subject(), at + timedelta(days=10)
        transfer_id = self.transfers.draw(rng) if rng.random() < 0.5 else None
        self.requests.append((request_id, str(kind), due, subject))
        payload = {
            "request_id": request_id,
            "type": str(kind),
            "transfer_id": transfer_id,
            "channel": str(rng.choices([Channel.WEB, Channel.APP, Channel.EMAIL], [60, 30, 10])[0]),
            "due_at": due.isoformat(),
        }
        return "request.created", at, subject, None, payload

    def _request_resolved(self, at: datetime) -> Event | None:
        if not self.requests:
            return None
        request_id, kind, due, subject = self.requests.pop(0)
        outcome = self.rng.choices(list(Outcome), [85, 7, 8])[0]
        state = (
            "overdue" if at > due else "due_soon" if due - at <= timedelta(days=3) else "on_time"
        )
        payload = {
            "request_id": request_id,
            "type": kind,
            "outcome": str(outcome),
            "due_at": due.isoformat(),
            "deadline_state": state,
        }
        return "request.resolved", at, subject, None, payload

    def _ask_erasures(
        self, at: datetime, recipients: list[str], cause: ErasureCause, deletion: str | None
    ) -> list[str]:
        ids = []
        for recipient in recipients:
            erasure_id = new_id("era")
            ids.append(erasure_id)
            self.erasures.append(
                (erasure_id, str(cause), deletion, recipient, at + timedelta(days=10))
            )
        return ids

    def _subject_deleted(self, at: datetime) -> Event:
        rng, subject, deletion_id = self.rng, self._subject(), new_id("del")
        self.deleted.add(subject)
        held = sorted({self._recipient().id for _ in range(rng.choice([0, 1, 1, 2, 3]))})
        erasures = self._ask_erasures(at, held, ErasureCause.SUBJECT_DELETED, deletion_id)
        kept = (at + timedelta(days=5 * 365)).isoformat()
        payload = {
            "deletion_id": deletion_id,
            "requested_by": "customer" if rng.random() < 0.8 else "operator",
            "views_closed": rng.choice([0, 0, 1, 1, 2, 3]),
            "erasure_ids": erasures,
            "marketplace_notified": rng.random() < 0.9,
            "retained": [{"hold": hold, "kept_until": kept} for hold in ("contracts", "payments")],
        }
        return "subject.deleted", at, subject, None, payload

    def _erasure_acknowledged(self, at: datetime) -> Event | None:
        if not self.erasures:
            return None
        erasure_id, cause, deletion, recipient, due = self.erasures.pop(0)
        payload = {
            "erasure_id": erasure_id,
            "cause": cause,
            "deletion_id": deletion,
            "late": due <= at,
            "attested": self.rng.random() < 0.7,
        }
        return "erasure.acknowledged", at, None, recipient, payload

    # -- suspensions and incidents ------------------------------------------------------

    def _standing(self, kind: str, target: str, recipient: str | None, at: datetime) -> Event:
        payload = {"target": target, "reason_digest": _hex(self.rng)}
        return kind, at, None, recipient, payload

    def _recipient_suspended(self, at: datetime) -> Event:
        recipient = self._recipient().id
        self.suspended.add(recipient)
        return self._standing("recipient.suspended", recipient, recipient, at)

    def _recipient_resumed(self, at: datetime) -> Event | None:
        if not self.suspended:
            return None
        recipient = self.rng.choice(sorted(self.suspended))
        self.suspended.discard(recipient)
        return self._standing("recipient.resumed", recipient, recipient, at)

    def _country_suspended(self, at: datetime) -> Event:
        country = self.rng.choice(["VN", "TH", "TW"])
        self.countries_suspended.add(country)
        return self._standing("country.suspended", country, None, at)

    def _country_resumed(self, at: datetime) -> Event | None:
        if not self.countries_suspended:
            return None
        country = self.countries_suspended.pop()
        return self._standing("country.resumed", country, None, at)

    def _incident_opened(self, at: datetime) -> Event:
        rng, incident_id = self.rng, new_id("inc")
        kind = rng.choice(INCIDENT_KINDS)
        recipient = self._recipient().id if kind == "recipient_breach" else None
        affected = int(rng.paretovariate(0.6)) * 10
        discovered = at - timedelta(hours=rng.randrange(1, 12))
        notify_by = discovered + timedelta(hours=72)
        reasons = ["subject_threshold"] if affected >= 1000 else []
        steps = [str(Step.SUBJECTS_NOTIFIED)] + ([str(Step.REGULATOR_REPORTED)] if reasons else [])
        self.incidents.append((incident_id, recipient, notify_by, bool(reasons), steps))
        payload = {
            "incident_id": incident_id,
            "kind": kind,
            "discovered_at": discovered.isoformat(),
            "notify_by": notify_by.isoformat(),
            "affected_subjects": affected,
            "recipients": 1 if recipient else 0,
            "fields": ["name", "phone", "address"],
            "report_required": bool(reasons),
            "report_reasons": reasons,
        }
        return "incident.opened", at, None, recipient, payload

    def _incident_step(self, at: datetime) -> Event | None:
        if not self.incidents:
            return None
        incident_id, recipient, notify_by, _, steps = self.incidents[0]
        step = steps.pop(0) if steps else str(Step.CLOSED)
        if step == Step.CLOSED:
            self.incidents.pop(0)
        payload = {
            "incident_id": incident_id,
            "step": step,
            "at": at.isoformat(),
            "late": at > notify_by,
            "operator_event": new_id("evt"),
        }
        return "incident.step", at, None, recipient, payload

    def _policy_published(self, at: datetime) -> Event:
        self.policy_version += 1
        payload = {
            "version": self.policy_version,
            "content_hash": _hex(self.rng),
            "register_digest": _hex(self.rng),
            "register_count": len(self.recipients),
            "material": self.rng.random() < 0.5,
            "effective_at": (at + timedelta(days=7)).isoformat(),
        }
        return "policy.published", at, None, None, payload

    def notice_rows(self, at: datetime) -> list[dict[str, Any]]:
        """A ``notices`` row for each notice the transfers cite, so that each resolves."""
        return [
            {
                "hash": r.notice_hash,
                "kind": "consent" if r.kind == "seller" else "disclosure",
                "locale": "ko",
                "purpose": "fulfilment",
                "flow": {"seller": "provision", "logistics": "entrustment"}.get(r.kind, "storage"),
                "pack_id": "KR-PIPA",
                "pack_version": "bench",
                "recipients": {r.id: _hex(self.rng)},
                "countries": [r.country],
                "body": {},
                "text": "",
                "created_at": at,
                "content_digest": _hex(self.rng),
                "required": True if r.kind == "seller" else None,
            }
            for r in self.recipients
            if not r.certified
        ]


def _cumulative(weights: Iterable[int]) -> Iterator[int]:
    total = 0
    for weight in weights:
        total += weight
        yield total
