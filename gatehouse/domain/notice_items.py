"""What a notice is: its items, its recipients, and the fingerprint of what it said of each.

Kept apart from the renderer so that services and the decision can name these types without
pulling in the wording machinery.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from gatehouse.domain.recipients import OnwardTransfer, Recipient

__all__ = [
    "NOTICE_KINDS",
    "RECIPIENT_ITEMS",
    "Notice",
    "NoticeItem",
    "RecipientEntry",
    "canonical",
    "ordered_onward",
    "recipient_fingerprint",
]

# A consent notice asks for separate consent (Art. 28-8(1) 1); a disclosure informs of
# entrustment or storage (Art. 28-8(1) 3) and asks nothing. Each rests on the basis whose
# ``requires`` is its own name, and has its own wording.
NOTICE_KINDS = ("consent", "disclosure")

# Items whose value differs per recipient; every other item is shared by the whole notice.
RECIPIENT_ITEMS = (
    "dest_country",
    "recipient_name",
    "recipient_contact",
    "recipient_privacy_officer_contact",
    "recipient_purpose",
    "recipient_retention",
    "onward_transfers",
)


def canonical(value: Any) -> bytes:
    """Compact UTF-8 JSON with sorted keys: the bytes every notice hash covers."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def recipient_fingerprint(recipient: Recipient) -> str:
    """SHA-256 (hex) over the recipient facts a notice shows, as canonical JSON.

    A consent is valid only while the fingerprint recorded when its notice was rendered equals
    the recipient's current one: changing any shown fact (name, country, contacts, privacy
    officer, purposes, retention, kind, onward transfers) needs a new notice and a new consent
    (R5). Facts the
    notice does not show, such as status or the accepted terms version, leave it unchanged.
    """
    officer = recipient.privacy_officer
    shown: dict[str, Any] = {
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
    if recipient.onward_transfers:
        # Only when declared, so recipients without any keep the fingerprints their consents
        # were given under.
        shown["onward_transfers"] = [
            [o.legal_name, o.country, o.purpose, sorted(o.items)]
            for o in ordered_onward(recipient.onward_transfers)
        ]
    return hashlib.sha256(canonical(shown)).hexdigest()


def ordered_onward(onward: Sequence[OnwardTransfer]) -> list[OnwardTransfer]:
    """Onward transfers in a fixed order, whatever order they were declared in."""
    # Declaration order carries no meaning, so neither the fingerprint nor the notice follow it.
    return sorted(onward, key=lambda o: (o.legal_name, o.country, o.purpose, sorted(o.items)))


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
    kind: str
    # Whether the order cannot proceed without this consent; None for a disclosure.
    required: bool | None
    # Digest of everything shown that is not a recipient's own fact (see ``notice_digest``).
    content_digest: str
    recipients: tuple[RecipientEntry, ...]
    countries: tuple[str, ...]
    items: tuple[NoticeItem, ...]
    fields: tuple[str, ...]
    text: str
    # A consent notice in the pack's required language; any other is shown beside it only.
    carries_consent: bool = False

    @property
    def heading(self) -> str:
        """The notice's heading, as its text opens."""
        return self.text.split("\n", 1)[0]

    def body(self) -> dict[str, Any]:
        """Everything the notice says except its hash, as JSON-ready data."""
        return {
            "pack_id": self.pack_id,
            "pack_version": self.pack_version,
            "locale": self.locale,
            "purpose": self.purpose,
            "flow": self.flow,
            "kind": self.kind,
            "required": self.required,
            "content_digest": self.content_digest,
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
        return canonical(self.body())


def _items_body(items: tuple[NoticeItem, ...]) -> list[dict[str, str]]:
    return [{"key": i.key, "label": i.label, "value": i.value} for i in items]
