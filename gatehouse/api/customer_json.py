"""The customer's consents and export as the customer API writes them.

Their field names are a public contract: the marketplace's app and the customers' own tools
read them. FastAPI's encoder renders the values (times as ISO 8601 with ``+00:00``).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from gatehouse.domain.subjects import unmasked_pii
from gatehouse.services.customer_consents import CustomerConsent
from gatehouse.services.customer_export import ExportedConsent, SubjectExport
from gatehouse.services.policy_reading import policy_url
from gatehouse.services.rights_requests import RequestRecord

__all__ = ["consent_json", "export_json", "policy_link_json"]


def policy_link_json(version: int | None) -> dict[str, Any] | None:
    """A privacy policy version as the answers link it: its number and permanent page."""
    return None if version is None else {"version": version, "url": policy_url(version)}


def consent_json(consent: CustomerConsent) -> dict[str, Any]:
    """One consent of ``/v1/me/consents``."""
    return {
        "id": consent.id,
        "notice_hash": consent.notice_hash,
        "purpose": consent.purpose,
        "purpose_label": consent.purpose_label,
        "recipients": [
            {"id": r.id, "legal_name": r.legal_name, "country": r.country}
            for r in consent.recipients
        ],
        "countries": list(consent.countries),
        "granted": consent.granted,
        "granted_at": consent.granted_at,
        "withdrawn_at": consent.withdrawn_at,
        "channel": consent.channel,
        # The version in force when the latest answer was given, so the customer can read what
        # the policy said then.
        "policy_version": consent.policy_version,
        "policy_url": None
        if consent.policy_version is None
        else policy_url(consent.policy_version),
    }


def _answer_json(answer: ExportedConsent) -> dict[str, Any]:
    notice = answer.notice
    return {
        "id": answer.id,
        "granted": answer.granted,
        "withdraws": answer.withdraws,
        "channel": answer.channel,
        "at": answer.at,
        "purpose": answer.purpose,
        "recipients": list(answer.recipients),
        "policy_version": answer.policy_version,
        "notice": None
        if notice is None
        else {
            "hash": notice.hash,
            "locale": notice.locale,
            "purpose": notice.purpose,
            "flow": notice.flow,
            "countries": list(notice.countries),
            "shown_at": notice.shown_at,
            "text": notice.text,
        },
    }


def _request_json(record: RequestRecord) -> dict[str, Any]:
    request = record.request
    resolution = request.resolution
    return {
        "id": request.id,
        "type": request.type.value,
        "transfer_id": request.transfer_id,
        "channel": record.channel,
        "message": record.message,
        "status": request.status.value,
        "created_at": request.deadline.created_at,
        "due_at": request.deadline.due_at,
        "resolution": None
        if resolution is None
        else {
            "outcome": resolution.outcome.value,
            "message": resolution.message,
            "refusal_reason": resolution.refusal_reason,
            "appeal_route": resolution.appeal_route,
            "resolved_at": resolution.resolved_at,
        },
    }


def export_json(data: SubjectExport) -> dict[str, Any]:
    """The body of ``/v1/me/export`` (format ``gatehouse.subject-export/1``)."""
    subject = data.subject
    return {
        "format": data.format,
        "generated_at": data.generated_at,
        "subject": {
            "id": subject.id,
            "residence_country": subject.residence_country,
            "locale": subject.locale,
            "rule_pack": subject.rule_pack,
            "created_at": subject.created_at,
        },
        "profile": unmasked_pii(data.profile),
        "consents": [_answer_json(answer) for answer in data.consents],
        "orders": [
            {
                **{k: v for k, v in asdict(item.order).items() if k != "has_delivery_note"},
                "items": item.items,
                "delivery_note": item.delivery_note,
            }
            for item in data.orders
        ],
        "transfers": [asdict(decision) for decision in data.transfers],
        "requests": [_request_json(record) for record in data.requests],
        "operator_reads": [asdict(read) for read in data.operator_reads],
        "ledger": [entry.to_dict() for entry in data.ledger],
    }
