"""What the privacy center's pages show, gathered from the services into plain dicts.

Kept apart from the routes in :mod:`gatehouse.web.privacy` so each module has one concern:
this one decides what a customer sees (recipients, countries, consents, requests, what a
deletion keeps), that one handles requests, sessions and receipts.
"""

from __future__ import annotations

import re
from datetime import datetime, tzinfo
from typing import Any

from babel.dates import format_date
from sqlalchemy import select

from gatehouse.domain.errors import (
    NotFound,
)
from gatehouse.domain.policy import RulePack
from gatehouse.domain.requests import RequestType
from gatehouse.domain.subjects import Subject
from gatehouse.services import customer as customer_service
from gatehouse.services import rights_requests as request_service
from gatehouse.services.deletion import retained_fields
from gatehouse.services.operator_webhook import operator_webhook
from gatehouse.services.retention import kept_until
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.subjects import SubjectRepository
from gatehouse.store.tables import orders
from gatehouse.vault import KeyShredded
from gatehouse.web.charts import Bar, bar_chart
from gatehouse.web.i18n import N_, translations

__all__ = [
    "subject",
    "country",
    "field_label",
    "all_transfers",
    "recipients",
    "country_chart",
    "consents",
    "requests",
    "transfer_choices",
    "retention_preview",
    "statute",
    "retained_label",
    "marketplace_told",
    "REQUEST_TYPES",
    "REQUEST_STATUS",
    "DEADLINE_STATE",
    "OUTCOMES",
    "ERASED",
    "RETAINED_FIELDS",
    "ERASED_FIELDS",
    "TRANSFER_PAGE",
    "TRANSFER_PAGES",
    "RETENTION_SHOWN",
]

REQUEST_TYPES: dict[str, str] = {
    RequestType.ACCESS.value: N_("Access to my personal data"),
    RequestType.CORRECTION.value: N_("Correction of my personal data"),
    RequestType.DELETION.value: N_("Deletion of some of my personal data"),
    RequestType.SUSPENSION.value: N_("Suspension of processing"),
    RequestType.COMPLAINT.value: N_("Complaint"),
}
REQUEST_STATUS = {
    "pending": N_("In progress"),
    "resolved": N_("Answered"),
}
DEADLINE_STATE = {
    "on_time": N_("Within the deadline"),
    "due_soon": N_("Deadline close"),
    "overdue": N_("Past the deadline"),
}
OUTCOMES = {
    "completed": N_("Done as asked"),
    "refused": N_("Refused"),
    "partially_completed": N_("Partly done"),
}
# What the deletion engine's receipt lists as erased, in the reader's language.
ERASED = {
    "orders' delivery notes": N_("Delivery notes of your orders"),
}
# Names of the fields a retained record keeps (the rule pack's retention holds).
RETAINED_FIELDS = {
    "order_ref": N_("Order number"),
    "items": N_("Items ordered"),
    "ordered_at": N_("Order date"),
    "cancelled_at": N_("Cancellation date"),
    "delivered_at": N_("Delivery date"),
    "paid_at": N_("Payment date"),
    "amount": N_("Amount paid"),
    "name": N_("Name"),
    "address": N_("Address"),
    "email": N_("Email address"),
    "request_ref": N_("Request number"),
    "type": N_("Request type"),
    "message": N_("Message"),
    "resolved_at": N_("Date answered"),
}
# The personal data the deletion erases, in the rule pack's field names.
ERASED_FIELDS = ("name", "email", "phone", "address", "customs_code", "delivery_note")

# A customer with more transfers than this sees the newest ones here and all in the export.
TRANSFER_PAGE = 100
TRANSFER_PAGES = 10


# The retention holds that concern a customer's own records (the pack also has ads and access
# logs, which hold nothing a customer gave us in an order or a request).
RETENTION_SHOWN = ("contracts", "payments", "complaints")


# "<act> 제6조 ..." as the pack writes it; the act's title is what 「」 enclose in a citation.
_CITATION = re.compile(r"(?P<act>[^「」]+?(?:법률|법|령|규칙))\s+(?P<rest>제\d.*)")


def statute(text: str) -> str:
    """A statute cited the Korean way: the act's title in 「」, then its articles."""
    match = _CITATION.fullmatch(text.strip())
    return f"「{match['act']}」 {match['rest']}" if match else text


def retained_label(pack: RulePack, field: str, locale: str) -> str:
    """A kept field's name: the pack's own label for personal data, so both lists match."""
    if field in pack.field_labels:
        return field_label(pack, field, locale)
    return _text(locale, RETAINED_FIELDS[field]) if field in RETAINED_FIELDS else field


def marketplace_told(gh: Gatehouse) -> bool:
    """Whether a deletion reaches the marketplace's own account system (its webhook is set)."""
    return operator_webhook(gh).url is not None


def _text(locale: str, message: str) -> str:
    """A message from the catalog, as plain text (autoescaped where it is shown)."""
    return translations(locale).gettext(message)


def subject(gh: Gatehouse, subject_id: str) -> tuple[Subject, RulePack]:
    with gh.engine.connect() as connection:
        subject = SubjectRepository(connection).get(subject_id)
    if subject is None:
        raise NotFound(f"no subject with id {subject_id!r}", code="subject_not_found")
    if subject.deleted:
        raise KeyShredded(f"subject {subject_id} was erased", details={"subject_id": subject_id})
    return subject, gh.packs.by_id(subject.rule_pack)


def country(pack: RulePack, code: str | None, locale: str) -> str:
    if not code:
        return "?"
    return pack.country_name(code, locale) or code


def field_label(pack: RulePack, field: str, locale: str) -> str:
    label = pack.field_labels.get(field)
    return label.text(locale, pack.required_language) if label else field


def all_transfers(gh: Gatehouse, subject_id: str) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The customer's allowed transfers, newest first, and how many went to each country.

    Without inclusion proofs: the pages only list transfers and show no proof, and each proof
    reads its whole ledger shard, so proving every transfer on every view made a page's time
    grow with the ledger. The proofs stay in the customer API (``/v1/me/transfers``).
    """
    items: list[dict[str, Any]] = []
    by_country: dict[str, int] = {}
    after: str | None = None
    for _ in range(TRANSFER_PAGES):
        page = customer_service.transfers_of(
            gh, subject_id, after=after, limit=TRANSFER_PAGE, with_proofs=False
        )
        items.extend(page.items)
        by_country = page.by_country
        if page.next_cursor is None:
            break
        after = page.next_cursor
    return items, by_country


def recipients(
    transfers: list[dict[str, Any]], pack: RulePack, locale: str
) -> list[dict[str, Any]]:
    """One row per recipient: who, where, how to reach them, which items and until when."""
    rows: dict[str, dict[str, Any]] = {}
    for item in transfers:
        recipient = item["recipient"]
        row = rows.get(recipient["id"])
        if row is None:
            kind = pack.recipient_kind_labels.get(recipient["kind"])
            row = rows[recipient["id"]] = {
                "id": recipient["id"],
                "legal_name": recipient["legal_name"],
                "kind": kind.text(locale, pack.required_language) if kind else recipient["kind"],
                "country": item["country"],
                "country_name": country(pack, item["country"], locale),
                "contact": recipient["contact"],
                "privacy_officer": recipient["privacy_officer"],
                "fields": [],
                "purposes": [],
                "orders": 0,
                "until": None,
                "open": False,
            }
        row["orders"] += 1
        for field in item["items"]:
            if field not in row["fields"]:
                row["fields"].append(field)
        purpose = pack.purposes.get(item["purpose"])
        label = purpose.label.text(locale, pack.required_language) if purpose else item["purpose"]
        if label not in row["purposes"]:
            row["purposes"].append(label)
        until = item["until"]
        if until is not None and (row["until"] is None or until > row["until"]):
            row["until"] = until
        row["open"] = row["open"] or item["status"] == "open"
    order = list(pack.field_labels)
    for row in rows.values():
        fields = sorted(row["fields"], key=lambda f: order.index(f) if f in order else len(order))
        row["item_labels"] = [field_label(pack, f, locale) for f in fields]
    return sorted(rows.values(), key=lambda r: (r["country"] or "", r["legal_name"] or ""))


def country_chart(by_country: dict[str, int], pack: RulePack, locale: str) -> Any:
    ranked = sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))
    bars = [Bar(f"{country(pack, code, locale)} ({code})", count) for code, count in ranked]
    summary = ", ".join(f"{bar.label} {bar.value}" for bar in bars)
    return bar_chart(
        bars,
        chart_id="chart-countries",
        title=_text(locale, N_("Transfers of your data by country")),
        description=summary,
    )


def consents(gh: Gatehouse, subject_id: str, pack: RulePack, locale: str) -> list[dict[str, Any]]:
    items = []
    for state in customer_service.consents_of(gh, subject_id):
        purpose = pack.purposes.get(state["purpose"])
        items.append(
            {
                **state,
                "purpose_label": purpose.label.text(locale, pack.required_language)
                if purpose
                else state["purpose"],
                "recipient_labels": [
                    f"{r['legal_name'] or r['id']} ({country(pack, r['country'], locale)})"
                    for r in state["recipients"]
                ],
                "country_labels": [
                    f"{country(pack, code, locale)} ({code})" for code in state["countries"]
                ],
            }
        )
    return items


def requests(
    gh: Gatehouse, subject_id: str, transfers: list[dict[str, Any]], locale: str
) -> list[dict[str, Any]]:
    now = gh.clock()
    refs = {t["transfer_id"]: t["order_ref"] for t in transfers}
    items = []
    for record in request_service.requests_of_subject(gh, subject_id):
        request = record.request
        resolution = request.resolution
        items.append(
            {
                "id": request.id,
                "type": request.type.value,
                "type_label": _text(locale, REQUEST_TYPES[request.type.value]),
                "order_ref": refs.get(request.transfer_id or ""),
                "message": record.message,
                "status": request.status.value,
                "status_label": _text(locale, REQUEST_STATUS[request.status.value]),
                "deadline_state": request.deadline_state(now).value,
                "deadline_label": _text(locale, DEADLINE_STATE[request.deadline_state(now).value]),
                "created_at": request.deadline.created_at,
                "due_at": request.deadline.due_at,
                "outcome_label": _text(locale, OUTCOMES[resolution.outcome.value])
                if resolution
                else None,
                "refused": resolution is not None and resolution.outcome.refuses,
                "response": resolution.message if resolution else None,
                "refusal_reason": resolution.refusal_reason if resolution else None,
                "appeal_route": resolution.appeal_route if resolution else None,
            }
        )
    return items


def transfer_choices(
    transfers: list[dict[str, Any]], pack: RulePack, locale: str, zone: tzinfo
) -> list[dict[str, str]]:
    choices = []
    for item in transfers:
        name = item["recipient"]["legal_name"]
        where = country(pack, item["country"], locale)
        # The day the customer lived it, in their zone; the API keeps UTC.
        day = format_date(item["when"].astimezone(zone), "medium", locale=locale)
        choices.append(
            {"id": item["transfer_id"], "label": f"{item['order_ref']} · {name} ({where}) · {day}"}
        )
    return choices


def retention_preview(
    gh: Gatehouse, subject_id: str, pack: RulePack, locale: str
) -> list[dict[str, Any]]:
    """What the law makes us keep after deletion, and until when, before the customer decides.

    The fields are those of each hold that the deletion engine actually keeps, never the rest
    of the pack's list. The dates follow the deletion engine: a contract record runs from the
    order's last
    event (cancelled, delivered or placed), a supply record exists for delivered orders
    only, and a complaint record runs from the complaint.
    """
    with gh.engine.connect() as connection:
        rows = connection.execute(
            select(orders.c.created_at, orders.c.delivered_at, orders.c.cancelled_at).where(
                orders.c.subject_id == subject_id
            )
        ).all()
    complaints = [
        record.request.deadline.created_at
        for record in request_service.requests_of_subject(gh, subject_id)
        if record.request.type is RequestType.COMPLAINT
    ]
    starts: dict[str, list[datetime]] = {
        "contracts": [r.cancelled_at or r.delivered_at or r.created_at for r in rows],
        "payments": [r.cancelled_at or r.delivered_at for r in rows if r.delivered_at],
        "complaints": complaints,
    }
    holds = []
    for name in RETENTION_SHOWN:
        hold = pack.retention_holds.get(name)
        if hold is None:
            continue
        dates = [kept_until(hold, start) for start in starts.get(name, [])]
        holds.append(
            {
                "name": name,
                "label": hold.label.text(locale, pack.required_language),
                "fields": [
                    retained_label(pack, field, locale) for field in retained_fields(pack, name)
                ],
                "statute": statute(hold.statute),
                "years": hold.months // 12 if hold.months % 12 == 0 else None,
                "months": hold.months,
                "until": max(dates) if dates else None,
            }
        )
    return holds
