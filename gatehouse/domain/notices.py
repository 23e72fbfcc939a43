"""The overseas-transfer notice (PIPA Art. 28-8(2)) shown at checkout before consent is asked.

Rendering is pure: the rule pack supplies every word, the recipient register supplies every
fact, and the result is content-hashed so that a consent can point at exactly what was shown.
A notice that would leave a required item empty for any recipient is not rendered at all (R3),
and recipients are always named one by one with their own country (R4).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import phonenumbers

from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.recipients import PrivacyOfficer, Recipient

if TYPE_CHECKING:
    from gatehouse.rules.pack import Basis, Label, RulePack

__all__ = [
    "GROUP_PLACEHOLDERS",
    "RECIPIENT_ITEMS",
    "Notice",
    "NoticeItem",
    "RecipientEntry",
    "recipient_fingerprint",
    "render_notice",
]

# Destination and recipient wordings PIPC faulted AliExpress for: a notice names each country and
# each recipient, so neither pack texts nor a recipient's legal name may be such a group label.
GROUP_PLACEHOLDERS = (
    "worldwide",
    "world wide",
    "전 세계",
    "전세계",
    "all sellers",
    "all recipients",
    "판매자 전체",
    "전체 판매자",
)

# Items whose value differs per recipient; every other item is shared by the whole notice.
RECIPIENT_ITEMS = (
    "dest_country",
    "recipient_name",
    "recipient_contact",
    "recipient_privacy_officer_contact",
    "recipient_purpose",
    "recipient_retention",
)

_LOCALE_RE = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*")


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def recipient_fingerprint(recipient: Recipient) -> str:
    """SHA-256 (hex) over the recipient facts a notice shows, as canonical JSON.

    A consent is valid only while the fingerprint recorded when its notice was rendered equals
    the recipient's current one: changing any shown fact (name, country, contacts, privacy
    officer, purposes, retention, kind) needs a new notice and a new consent (R5). Facts the
    notice does not show, such as status or the accepted terms version, leave it unchanged.
    """
    officer = recipient.privacy_officer
    shown = {
        "kind": recipient.kind.value,
        "legal_name": recipient.legal_name,
        "country": recipient.country,
        "contact_phone": recipient.contact_phone,
        "contact_email": recipient.contact_email,
        "privacy_officer": {"name": officer.name, "email": officer.email, "phone": officer.phone},
        # Registration order carries no meaning, so it must not change the fingerprint.
        "purposes": sorted(recipient.purposes),
        "retention_days": recipient.retention_days,
    }
    return hashlib.sha256(_canonical(shown)).hexdigest()


@dataclass(frozen=True)
class NoticeItem:
    """One filled notice item: the pack's key, its label in the notice language, the value."""

    key: str
    label: str
    value: str


@dataclass(frozen=True)
class RecipientEntry:
    """One recipient as the notice names it; ``items`` is the complete notice for it."""

    recipient_id: str
    kind: str
    legal_name: str
    country: str
    country_name: str
    contact: str
    privacy_officer_contact: str
    purpose: str
    retention: str
    fingerprint: str
    # Every notice item in pack order, shared ones included, as this recipient's consent sees it.
    items: tuple[NoticeItem, ...]


@dataclass(frozen=True)
class Notice:
    """A rendered notice; ``hash`` is SHA-256 (hex) of ``canonical_body()``.

    ``items`` holds the items shared by all recipients, in pack order; each entry of
    ``recipients`` holds every item for that recipient. ``fields`` are the fields the purpose
    releases, and ``text`` is the plain-text notice shown to the customer.
    """

    hash: str
    pack_id: str
    pack_version: str
    locale: str
    purpose: str
    flow: str
    recipients: tuple[RecipientEntry, ...]
    countries: tuple[str, ...]
    items: tuple[NoticeItem, ...]
    fields: tuple[str, ...]
    text: str

    def body(self) -> dict[str, Any]:
        """Everything the notice says except its hash, as JSON-ready data."""
        return {
            "pack_id": self.pack_id,
            "pack_version": self.pack_version,
            "locale": self.locale,
            "purpose": self.purpose,
            "flow": self.flow,
            "recipients": [
                {
                    "recipient_id": r.recipient_id,
                    "kind": r.kind,
                    "legal_name": r.legal_name,
                    "country": r.country,
                    "country_name": r.country_name,
                    "contact": r.contact,
                    "privacy_officer_contact": r.privacy_officer_contact,
                    "purpose": r.purpose,
                    "retention": r.retention,
                    "fingerprint": r.fingerprint,
                    "items": _items_body(r.items),
                }
                for r in self.recipients
            ],
            "countries": list(self.countries),
            "items": _items_body(self.items),
            "fields": list(self.fields),
            "text": self.text,
        }

    def canonical_body(self) -> bytes:
        """``body()`` as compact UTF-8 JSON with sorted keys: the bytes the hash covers."""
        return _canonical(self.body())


def _items_body(items: tuple[NoticeItem, ...]) -> list[dict[str, str]]:
    return [{"key": i.key, "label": i.label, "value": i.value} for i in items]


def _language(pack: RulePack, locale: str) -> str:
    match = _LOCALE_RE.fullmatch(locale.strip()) if isinstance(locale, str) else None
    language = match.group(1).lower() if match else None
    if language is None or language not in pack.languages:
        raise InvalidInput(
            f"notices are available in {', '.join(pack.languages)} only",
            code="unsupported_locale",
            details={"supported": list(pack.languages)},
        )
    return language


def _consent_basis(pack: RulePack, flow: str) -> Basis:
    # The notice exists to ask for consent, so its legal basis is the pack's consent basis.
    for basis in pack.bases.values():
        if basis.requires == "consent" and flow in basis.flows:
            return basis
    raise InvalidInput(
        f"{pack.id} has no consent basis for the flow '{flow}'",
        code="no_consent_basis",
        details={"flow": flow},
    )


def _format_phone(e164: str) -> str:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def _joined(*parts: str | None) -> str:
    return ", ".join(p for p in parts if p)


def _officer_contact(officer: PrivacyOfficer) -> str:
    # A reachable person, as for eligibility: a bare mailbox or a name alone is a gap.
    if not officer.has_contact:
        return ""
    phone = officer.phone and _format_phone(officer.phone)
    return f"{officer.name} ({_joined(officer.email, phone)})"


def _is_group_label(name: str) -> bool:
    return " ".join(name.split()).casefold() in GROUP_PLACEHOLDERS


class _Renderer:
    """Fills the items of one notice in one language."""

    def __init__(self, pack: RulePack, language: str, purpose: str, flow: str) -> None:
        self.pack = pack
        self.language = language
        self.purpose = purpose
        self.flow = flow
        self.labels = {item.key: self.text(item.label) for item in pack.notice_items}

    def text(self, label: Label) -> str:
        """A label as written; only notice texts are templates (the pack checks those)."""
        return label.text(self.language, self.pack.required_language)

    def template(self, label: Label, **values: object) -> str:
        """A notice text with the view clock and ``values`` filled in."""
        views = self.pack.views
        return self.text(label).format(
            close_days=views.close_days_after_delivery, max_days=views.max_days, **values
        )

    def pi_items(self) -> str:
        parts = []
        for field, transform in self.pack.released_fields(self.purpose).items():
            name = self.text(self.pack.field_labels[field])
            form = self.pack.field_form(transform, self.language)
            if form:
                name = self.template(self.pack.notice_texts.field_form, field=name, form=form)
            parts.append(name)
        return ", ".join(parts)

    def shared(self, basis: Basis) -> dict[str, str]:
        texts = self.pack.notice_texts
        return {
            "pi_items": self.pi_items(),
            "transfer_timing": self.template(texts.transfer_timing),
            "transfer_method": self.template(texts.transfer_method),
            "refusal_method": self.template(texts.refusal_method),
            "refusal_procedure": self.template(texts.refusal_procedure),
            "refusal_effect": self.template(texts.refusal_effect),
            "legal_basis": f"{self.text(basis.label)} ({basis.article})",
        }

    def own(self, recipient: Recipient) -> dict[str, str]:
        country = recipient.country or ""
        days = recipient.retention_days
        legal_name = recipient.legal_name or ""
        return {
            # An unknown code cannot be named, which leaves the item empty like a missing one.
            "dest_country": (country and self.pack.country_name(country, self.language)) or "",
            # A group label is no name: it is what hid AliExpress's 180,000 sellers.
            "recipient_name": "" if _is_group_label(legal_name) else legal_name,
            "recipient_contact": _joined(
                recipient.contact_phone and _format_phone(recipient.contact_phone),
                recipient.contact_email,
            ),
            "recipient_privacy_officer_contact": _officer_contact(recipient.privacy_officer),
            "recipient_purpose": self.text(self.pack.purposes[self.purpose].label),
            "recipient_retention": (
                "" if days is None else self.template(self.pack.notice_texts.retention, days=days)
            ),
        }

    def items(self, values: dict[str, str]) -> tuple[NoticeItem, ...]:
        return tuple(
            NoticeItem(key=item.key, label=self.labels[item.key], value=values.get(item.key, ""))
            for item in self.pack.notice_items
        )

    def block(self, number: int, recipient: Recipient, entry: RecipientEntry) -> list[str]:
        kind = self.text(self.pack.recipient_kind_labels[recipient.kind.value])
        flow = self.text(self.pack.flow_labels[self.flow])
        lines = [f"{number}. {entry.legal_name} ({kind}, {flow})"]
        lines += [f"{i.label}: {i.value}" for i in entry.items if i.key in RECIPIENT_ITEMS]
        return lines


def _check_request(
    pack: RulePack, purpose: str, flow: str, recipients: Sequence[Recipient]
) -> None:
    if purpose not in pack.purposes:
        raise InvalidInput(
            f"unknown purpose '{purpose}'",
            code="unknown_purpose",
            details={"purpose": purpose, "known": sorted(pack.purposes)},
        )
    if flow not in pack.flows:
        raise InvalidInput(
            f"unknown flow '{flow}'",
            code="unknown_flow",
            details={"flow": flow, "known": list(pack.flows)},
        )
    if not recipients:
        raise InvalidInput(
            f"notice rendering failed: required {pack.notice_article} items are empty "
            "because no recipient was given",
            code="notice_incomplete",
            details={"missing": [{"recipient_id": None, "item": "recipient_name"}]},
        )
    ids = [r.id for r in recipients]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise InvalidInput(
            "each recipient may appear only once in a notice",
            code="duplicate_recipient",
            details={"recipient_ids": duplicates},
        )
    unregistered = [r.id for r in recipients if purpose not in r.purposes]
    if unregistered:
        raise InvalidInput(
            f"recipient {', '.join(unregistered)} is not registered for the purpose '{purpose}'",
            code="purpose_not_registered",
            details={"purpose": purpose, "recipient_ids": unregistered},
        )


def render_notice(
    pack: RulePack,
    *,
    purpose: str,
    flow: str,
    recipients: Sequence[Recipient],
    locale: str,
) -> Notice:
    """Render the notice asking for separate consent to transfer data to ``recipients``.

    ``locale`` picks one of the pack's languages (``ko``, ``ko-KR``, ``en-US``...). Raises
    InvalidInput with code ``unsupported_locale``, ``unknown_purpose``, ``unknown_flow``,
    ``no_consent_basis``, ``duplicate_recipient``, ``purpose_not_registered`` or, when a
    required item would be empty for any recipient, ``notice_incomplete`` with every gap in
    ``details["missing"]`` as ``{"recipient_id", "item"}``.
    """
    language = _language(pack, locale)
    _check_request(pack, purpose, flow, recipients)
    renderer = _Renderer(pack, language, purpose, flow)
    shared = renderer.shared(_consent_basis(pack, flow))
    required = set(pack.required_notice_items)
    # Sorted so that the same recipients give the same notice whatever order they came in.
    ordered = sorted(recipients, key=lambda r: r.id)
    entries: list[RecipientEntry] = []
    missing: list[dict[str, str]] = []
    for recipient in ordered:
        own = renderer.own(recipient)
        items = renderer.items({**shared, **own})
        missing += [
            {"recipient_id": recipient.id, "item": i.key}
            for i in items
            if i.key in required and not i.value
        ]
        entries.append(
            RecipientEntry(
                recipient_id=recipient.id,
                kind=recipient.kind.value,
                legal_name=own["recipient_name"],
                country=recipient.country or "",
                country_name=own["dest_country"],
                contact=own["recipient_contact"],
                privacy_officer_contact=own["recipient_privacy_officer_contact"],
                purpose=own["recipient_purpose"],
                retention=own["recipient_retention"],
                fingerprint=recipient_fingerprint(recipient),
                items=items,
            )
        )
    if missing:
        raise InvalidInput(
            f"notice rendering failed: required {pack.notice_article} items are empty "
            f"({len(missing)} gaps)",
            code="notice_incomplete",
            details={"missing": missing},
        )
    shared_items = tuple(i for i in entries[0].items if i.key not in RECIPIENT_ITEMS and i.value)
    texts = pack.notice_texts
    lines = [renderer.template(texts.heading), renderer.template(texts.intro), ""]
    lines += [f"{i.label}: {i.value}" for i in shared_items]
    for number, (recipient, entry) in enumerate(zip(ordered, entries, strict=True), start=1):
        lines += ["", *renderer.block(number, recipient, entry)]
    notice = Notice(
        hash="",
        pack_id=pack.id,
        pack_version=pack.version,
        locale=language,
        purpose=purpose,
        flow=flow,
        recipients=tuple(entries),
        countries=tuple(sorted({e.country for e in entries})),
        items=shared_items,
        fields=tuple(pack.released_fields(purpose)),
        text="\n".join(lines) + "\n",
    )
    return replace(notice, hash=hashlib.sha256(notice.canonical_body()).hexdigest())
