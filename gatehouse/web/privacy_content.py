"""What the privacy center's pages show, gathered from the services into plain dicts.

Kept apart from the routes in :mod:`gatehouse.web.privacy` and
:mod:`gatehouse.web.privacy_receipt` so each module has one concern: this one decides what a
customer sees (recipients, countries, consents, requests, what a deletion keeps), those handle
requests, sessions and receipts. Everything here reads through the services.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import tzinfo
from typing import Any

from babel.dates import format_date
from markupsafe import Markup

from gatehouse.domain.policy import RulePack
from gatehouse.domain.requests import RequestType
from gatehouse.domain.subjects import Subject
from gatehouse.reports.charts import Bar, bar_chart
from gatehouse.services import rights_requests as request_service
from gatehouse.services.customer_consents import customer_consents
from gatehouse.services.customer_recipients import TransferSummary
from gatehouse.services.customer_sessions import customer_subject
from gatehouse.services.customer_transfers import CustomerTransfer, order_refs
from gatehouse.services.operator_webhook import operator_webhook
from gatehouse.services.retention import HoldPreview
from gatehouse.services.runtime import Gatehouse
from gatehouse.web.i18n import N_, translations

__all__ = [
    "subject",
    "country",
    "field_label",
    "purpose_label",
    "basis_label",
    "recipients",
    "countries",
    "country_chart",
    "consents",
    "requests",
    "transfer_choices",
    "transfer_rows",
    "holds",
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
    "HOME_TRANSFERS",
    "TRANSFER_PAGE",
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

# The home page offers the newest transfers in full; the rest are a link away, a page at a time.
HOME_TRANSFERS = 20
TRANSFER_PAGE = 50


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
    """The signed-in customer's live subject and its rule pack."""
    found = customer_subject(gh, subject_id)
    return found, gh.packs.by_id(found.rule_pack)


def country(pack: RulePack, code: str | None, locale: str) -> str:
    """A country's name in the reader's language, its code when the pack has no name."""
    if not code:
        return "?"
    return pack.country_name(code, locale) or code


def field_label(pack: RulePack, field: str, locale: str) -> str:
    """A personal-data field's name as the pack labels it."""
    label = pack.field_labels.get(field)
    return label.text(locale, pack.required_language) if label else field


def purpose_label(pack: RulePack, purpose: str, locale: str) -> str:
    """A purpose of transfer as the pack labels it."""
    found = pack.purposes.get(purpose)
    return found.label.text(locale, pack.required_language) if found else purpose


def basis_label(pack: RulePack, basis: str | None, locale: str) -> str:
    """A legal basis of transfer as the pack labels it."""
    if not basis:
        return ""
    found = pack.bases.get(basis)
    return found.label.text(locale, pack.required_language) if found else basis


def _item_labels(pack: RulePack, fields: Sequence[str], locale: str) -> list[str]:
    """Field names in the pack's order, so every recipient lists them alike."""
    order = list(pack.field_labels)
    ranked = sorted(fields, key=lambda f: order.index(f) if f in order else len(order))
    return [field_label(pack, f, locale) for f in ranked]


def recipients(summary: TransferSummary, pack: RulePack, locale: str) -> list[dict[str, Any]]:
    """One row per recipient: who, where, how to reach them, what they got, why and until when.

    Complete whatever the number of transfers: the summary groups every one of them.
    """
    rows = []
    for share in summary.recipients:
        kind = pack.recipient_kind_labels.get(share.kind)
        rows.append(
            {
                "id": share.recipient_id,
                "legal_name": share.legal_name,
                "kind": kind.text(locale, pack.required_language) if kind else share.kind,
                "country": share.country,
                "country_name": country(pack, share.country, locale),
                "contact": {"phone": share.contact_phone, "email": share.contact_email},
                "privacy_officer": {
                    "name": share.officer_name,
                    "email": share.officer_email,
                    "phone": share.officer_phone,
                },
                "item_labels": _item_labels(pack, share.fields, locale),
                "purposes": [purpose_label(pack, p, locale) for p in share.purposes],
                "bases": [basis_label(pack, b, locale) for b in share.bases],
                "orders": share.transfers,
                "last_at": share.last_at,
                "until": share.until,
                "open": share.open,
            }
        )
    return rows


def countries(by_country: dict[str, int], pack: RulePack, locale: str) -> list[dict[str, Any]]:
    """The transfers per country, the most first."""
    ranked = sorted(by_country.items(), key=lambda kv: (-kv[1], kv[0]))
    return [
        {"code": code, "name": country(pack, code, locale), "count": count}
        for code, count in ranked
    ]


def country_chart(by_country: dict[str, int], pack: RulePack, locale: str) -> Markup:
    """The transfers per country as a bar chart, named and described in words."""
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
    """The customer's consents, one per notice, with the recipients and countries in scope."""
    return [
        {
            "id": consent.id,
            "purpose_label": purpose_label(pack, consent.purpose, locale),
            "recipient_labels": [
                f"{r.legal_name or r.id} ({country(pack, r.country, locale)})"
                for r in consent.recipients
            ],
            "country_labels": [
                f"{country(pack, code, locale)} ({code})" for code in consent.countries
            ],
            "granted": consent.granted,
            "granted_at": consent.granted_at,
            "withdrawn_at": consent.withdrawn_at,
        }
        for consent in customer_consents(gh, subject_id)
    ]


def requests(gh: Gatehouse, subject_id: str, locale: str) -> list[dict[str, Any]]:
    """The customer's requests, newest first, with the order each one is about."""
    now = gh.clock()
    records = request_service.requests_of_subject(gh, subject_id)
    about = {r.request.transfer_id for r in records if r.request.transfer_id}
    refs = order_refs(gh, subject_id, about)
    items = []
    for record in records:
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
    transfers: list[CustomerTransfer], pack: RulePack, locale: str, zone: tzinfo
) -> list[dict[str, str]]:
    """The request form's choice of transfer: order, recipient, country and the customer's day."""
    choices = []
    for item in transfers:
        name = item.recipient.legal_name
        where = country(pack, item.country, locale)
        # The day the customer lived it, in their zone; the API keeps UTC.
        day = format_date(item.when.astimezone(zone), "medium", locale=locale)
        choices.append(
            {"id": item.transfer_id, "label": f"{item.order_ref} · {name} ({where}) · {day}"}
        )
    return choices


def transfer_rows(
    transfers: list[CustomerTransfer], pack: RulePack, locale: str
) -> list[dict[str, Any]]:
    """The transfers list's rows, labelled in the reader's language (the API uses the pack's)."""
    return [
        {
            "id": item.transfer_id,
            "order_ref": item.order_ref,
            "recipient": item.recipient.legal_name,
            "country": item.country,
            "country_name": country(pack, item.country, locale),
            "item_labels": _item_labels(pack, item.items, locale),
            "purpose": purpose_label(pack, item.purpose, locale),
            "basis": basis_label(pack, item.basis, locale),
            "when": item.when,
            "until": item.until,
            "open": item.status == "open",
        }
        for item in transfers
    ]


def holds(preview: list[HoldPreview], pack: RulePack, locale: str) -> list[dict[str, Any]]:
    """What the law makes us keep after deletion, and until when, before the customer decides.

    The fields are those of each hold that the deletion engine actually keeps, never the rest
    of the pack's list, and the dates are the engine's own (see
    :func:`gatehouse.services.retention.hold_periods`).
    """
    return [
        {
            "name": item.name,
            "label": item.hold.label.text(locale, pack.required_language),
            "fields": [retained_label(pack, field, locale) for field in item.fields],
            "statute": statute(item.hold.statute),
            "years": item.hold.months // 12 if item.hold.months % 12 == 0 else None,
            "months": item.hold.months,
            "until": item.until,
        }
        for item in preview
    ]
