"""The overseas-transfer notice (PIPA Art. 28-8(2)) shown at checkout before consent is asked.

Rendering is pure: the rule pack supplies every word, the recipient register supplies every
fact, and the result is content-hashed so that a consent can point at exactly what was shown.
A notice that would leave a required item empty for any recipient is not rendered at all (R3),
and recipients are always named one by one with their own country (R4).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING

from gatehouse.domain.contact import format_international
from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.group_names import match_group_name
from gatehouse.domain.notice_items import (
    NOTICE_KINDS,
    RECIPIENT_ITEMS,
    Notice,
    NoticeItem,
    RecipientEntry,
    canonical,
    ordered_onward,
    recipient_fingerprint,
)
from gatehouse.domain.recipients import PrivacyOfficer, Recipient

if TYPE_CHECKING:
    from gatehouse.domain.policy import Basis, Label, RulePack

__all__ = [
    "RECIPIENT_ITEMS",
    "NOTICE_KINDS",
    "Notice",
    "NoticeItem",
    "RecipientEntry",
    "notice_digest",
    "recipient_fingerprint",
    "render_notice",
]

_LOCALE_RE = re.compile(r"([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*")


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


def _basis_for(pack: RulePack, kind: str, flow: str) -> Basis:
    """The basis a notice of ``kind`` rests on: consent for a consent notice, and so on."""
    if kind not in NOTICE_KINDS:
        raise InvalidInput(
            f"a notice is one of {', '.join(NOTICE_KINDS)}", code="unknown_notice_kind"
        )
    for basis in pack.bases.values():
        if basis.requires == kind and flow in basis.flows:
            return basis
    flows = sorted({f for b in pack.bases.values() if b.requires == kind for f in b.flows})
    raise InvalidInput(
        f"{pack.id} has no {kind} basis for the flow '{flow}'; a {kind} covers {', '.join(flows)}",
        code=f"no_{kind}_basis",
        details={"flow": flow, "flows": flows},
    )


def _joined(*parts: str | None) -> str:
    return ", ".join(p for p in parts if p)


def _officer_contact(officer: PrivacyOfficer) -> str:
    # A reachable person, as for eligibility: a bare mailbox or a name alone is a gap.
    if not officer.has_contact:
        return ""
    phone = officer.phone and format_international(officer.phone)
    return f"{officer.name} ({_joined(officer.email, phone)})"


def _is_group_label(pack: RulePack, name: str) -> bool:
    return match_group_name(name, pack.group_names) is not None


class _Renderer:
    """Fills the items of one notice in one language."""

    def __init__(self, pack: RulePack, language: str, purpose: str, flow: str, kind: str) -> None:
        self.pack = pack
        self.language = language
        self.purpose = purpose
        self.flow = flow
        self.kind = kind
        self.basis = _basis_for(pack, kind, flow)
        self.required = pack.purposes[purpose].consent_required if kind == "consent" else None
        self.labels = {item.key: self.text(item.label) for item in pack.notice_items}
        texts = pack.notice_texts
        wording = texts.required if self.required else texts.optional
        # A disclosure asks for nothing, so none of its words speak of consent.
        words = pack.disclosure_texts if kind == "disclosure" else wording
        self.heading = self.template(words.heading)
        self.intro = self.template(words.intro)
        self.refusal = {
            "refusal_method": self.template(words.refusal_method),
            "refusal_procedure": self.template(
                pack.disclosure_texts.refusal_procedure
                if kind == "disclosure"
                else texts.refusal_procedure
            ),
            "refusal_effect": self.template(words.refusal_effect),
        }

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
        # Every field a view releases is listed, the order details included.
        parts = []
        for field, transform in self.pack.released_fields(self.purpose).items():
            name = self.text(self.pack.field_labels[field])
            form = self.pack.field_form(transform, self.language)
            if form:
                name = self.template(self.pack.notice_texts.field_form, field=name, form=form)
            parts.append(name)
        parts.append(self.text(self.pack.notice_texts.order_items))
        return ", ".join(parts)

    def shared(self) -> dict[str, str]:
        texts = self.pack.notice_texts
        return {
            "pi_items": self.pi_items(),
            "transfer_timing": self.template(texts.transfer_timing),
            "transfer_method": self.template(texts.transfer_method),
            **self.refusal,
            "legal_basis": f"{self.text(self.basis.label)} ({self.text(self.basis.citation)})",
        }

    def digest(self) -> str:
        """SHA-256 (hex) of everything this notice shows that is not a recipient's own fact."""
        pack = self.pack
        shown = {
            "pack": [pack.id, pack.version],
            "kind": self.kind,
            "language": self.language,
            "purpose": self.purpose,
            "flow": self.text(pack.flow_labels[self.flow]),
            "required": self.required,
            "heading": self.heading,
            "intro": self.intro,
            "labels": self.labels,
            "shared": self.shared(),
            "kinds": {k: self.text(v) for k, v in pack.recipient_kind_labels.items()},
        }
        return hashlib.sha256(canonical(shown)).hexdigest()

    def own(self, recipient: Recipient) -> dict[str, str]:
        country = recipient.country or ""
        days = recipient.retention_days
        legal_name = recipient.legal_name or ""
        return {
            # An unknown code cannot be named, which leaves the item empty like a missing one.
            "dest_country": (country and self.pack.country_name(country, self.language)) or "",
            # A group label is no name: it is what hid AliExpress's 180,000 sellers.
            "recipient_name": "" if _is_group_label(self.pack, legal_name) else legal_name,
            "recipient_contact": _joined(
                recipient.contact_phone and format_international(recipient.contact_phone),
                recipient.contact_email,
            ),
            "recipient_privacy_officer_contact": _officer_contact(recipient.privacy_officer),
            "recipient_purpose": self.text(self.pack.purposes[self.purpose].label),
            "recipient_retention": (
                "" if days is None else self.template(self.pack.notice_texts.retention, days=days)
            ),
            "onward_transfers": self.onward(recipient),
        }

    def onward(self, recipient: Recipient) -> str:
        """The recipient's onward transfers (Art. 28-11), or the pack's word for none."""
        texts = self.pack.onward_transfer_texts
        if not recipient.onward_transfers:
            return self.text(texts.none)
        labels = self.pack.field_labels
        return "; ".join(
            self.text(texts.entry).format(
                name=o.legal_name,
                country=self.pack.country_name(o.country, self.language) or o.country,
                purpose=o.purpose,
                items=", ".join(self.text(labels[f]) if f in labels else f for f in o.items),
            )
            for o in ordered_onward(recipient.onward_transfers)
        )

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


def _check_kinds(renderer: _Renderer, recipients: Sequence[Recipient]) -> None:
    """Each recipient's kind must take this flow, and the notice's basis must reach it."""
    pack, flow = renderer.pack, renderer.flow
    wrong_flow = [r for r in recipients if flow not in pack.kind_flows.get(r.kind.value, [])]
    if wrong_flow:
        ids = [r.id for r in wrong_flow]
        permitted = {r.kind.value: pack.kind_flows.get(r.kind.value, []) for r in wrong_flow}
        why = "; ".join(f"a {kind} takes {', '.join(flows)}" for kind, flows in permitted.items())
        raise InvalidInput(
            f"recipient {', '.join(ids)} cannot receive data by {flow} ({why}); a seller is an "
            "independent controller and receives data only by provision, with consent",
            code="flow_not_permitted",
            details={"flow": flow, "recipient_ids": ids, "permitted_flows": permitted},
        )
    unreachable = [r.id for r in recipients if r.kind.value not in renderer.basis.kinds]
    if unreachable:
        raise InvalidInput(
            f"a {renderer.kind} cannot cover recipient {', '.join(unreachable)}: only the "
            "customer's separate consent may open transfers to it",
            code=f"{renderer.kind}_not_permitted",
            details={"recipient_ids": unreachable},
        )


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
    kind: str = "consent",
) -> Notice:
    """Render a consent notice or a disclosure for ``recipients`` in one of the pack's languages.

    Raises InvalidInput naming the problem; when a required item would be empty for any
    recipient, ``notice_incomplete`` lists every gap as ``{"recipient_id", "item"}``.
    """
    language = _language(pack, locale)
    _check_request(pack, purpose, flow, recipients)
    renderer = _Renderer(pack, language, purpose, flow, kind)
    _check_kinds(renderer, recipients)
    shared = renderer.shared()
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
    lines = [renderer.heading, renderer.intro, ""]
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
        kind=kind,
        required=renderer.required,
        content_digest=renderer.digest(),
        recipients=tuple(entries),
        countries=tuple(sorted({e.country for e in entries})),
        items=shared_items,
        fields=tuple(pack.released_fields(purpose)),
        text="\n".join(lines) + "\n",
        carries_consent=kind == "consent" and language == pack.required_language,
    )
    return replace(notice, hash=hashlib.sha256(notice.canonical_body()).hexdigest())


def notice_digest(
    pack: RulePack, *, kind: str, language: str, purpose: str, flow: str
) -> str | None:
    """The content digest a notice of this kind would carry if rendered now (None: no such).

    The transfer hot path compares it with the digest stored with each consent, so it is
    memoised per pack object: a pack is immutable once loaded.
    """
    key = (id(pack), kind, language, purpose, flow)
    cached = _DIGESTS.get(key)
    if cached is not None and cached[0] is pack:
        return cached[1]
    try:
        digest: str | None = _Renderer(pack, language, purpose, flow, kind).digest()
    except InvalidInput:
        digest = None  # no basis of this kind covers the flow, so no such notice exists
    _DIGESTS[key] = (pack, digest)
    return digest


# Keyed by the pack's identity and holding the pack itself, so an id is never reused.
_DIGESTS: dict[tuple[int, str, str, str, str], tuple[RulePack, str | None]] = {}
