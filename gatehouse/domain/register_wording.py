"""The rule pack's words for the overseas-transfer register and the policy, in one language.

Shared by the register pages and the privacy policy so both describe a recipient's items,
timing, method and refusal in exactly the words of the checkout notice.
"""

from __future__ import annotations

from gatehouse.domain.policy import Label, RulePack

__all__ = ["RegisterWording"]


class RegisterWording:
    """The pack's words in one language, built once and shared by every entry of a page."""

    def __init__(self, pack: RulePack, language: str) -> None:
        self.pack = pack
        self.language = language
        texts = pack.notice_texts
        self.timing = self.template(texts.transfer_timing)
        self.method = self.template(texts.transfer_method)
        self.consent_refusal = self.template(texts.refusal_procedure)
        self.disclosure_refusal = self.template(pack.disclosure_texts.refusal_procedure)

    def text(self, label: Label) -> str:
        """``label`` in this language, or in the pack's required one."""
        return label.text(self.language, self.pack.required_language)

    def template(self, label: Label, **values: object) -> str:
        """``label`` with the view clock and ``values`` filled in."""
        views = self.pack.views
        return self.text(label).format(
            close_days=views.close_days_after_delivery, max_days=views.max_days, **values
        )

    def items(self, purposes: tuple[str, ...]) -> tuple[str, ...]:
        """Every field the recipient's purposes release, in pack order, then the order details."""
        released: dict[str, str] = {}
        for purpose in purposes:
            for field, transform in self.pack.released_fields(purpose).items():
                released.setdefault(field, transform)
        parts = []
        for field in self.pack.pii_fields:
            if field not in released:
                continue
            name = self.text(self.pack.field_labels[field])
            form = self.pack.field_form(released[field], self.language)
            if form:
                name = self.template(self.pack.notice_texts.field_form, field=name, form=form)
            parts.append(name)
        parts.extend(
            self.text(self.pack.field_labels[f]) for f in released if f not in self.pack.pii_fields
        )
        parts.append(self.text(self.pack.notice_texts.order_items))
        return tuple(parts)

    def refusal(self, kind: str) -> str:
        """How to refuse: withdraw consent, and for a possible entrustee also ask to suspend."""
        if kind in self.pack.consent_only_kinds:
            return self.consent_refusal
        return f"{self.consent_refusal} {self.disclosure_refusal}"

    def purposes(self, purposes: tuple[str, ...]) -> tuple[str, ...]:
        """The labels of the pack's purposes among ``purposes``."""
        return tuple(
            self.text(self.pack.purposes[p].label) for p in purposes if p in self.pack.purposes
        )

    def kind(self, kind: str) -> str:
        """The recipient kind's label, or the kind itself."""
        label = self.pack.recipient_kind_labels.get(kind)
        return self.text(label) if label else kind

    def flows(self, kind: str) -> tuple[str, ...]:
        """The labels of the flows the kind may receive."""
        flows = self.pack.kind_flows.get(kind, [])
        return tuple(
            self.text(self.pack.flow_labels[f]) for f in flows if f in self.pack.flow_labels
        )

    def retention(self, days: int | None) -> str | None:
        """A retention period in days, in words."""
        return None if days is None else self.template(self.pack.notice_texts.retention, days=days)
