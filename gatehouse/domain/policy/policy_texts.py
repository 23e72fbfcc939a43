"""The privacy-policy section of a rule pack: headings, fixed texts, purposes and item labels.

The generator (:mod:`gatehouse.domain.privacy_policy`) knows which sections the law requires
and fills them from the register and the operator profile; the pack holds every word.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from pydantic import Field, PositiveInt

from gatehouse.domain.policy.model import Key, Label, Model

__all__ = ["PolicyProcessing", "PolicySection", "PolicyTexts", "REQUIRED_SECTIONS"]

# Every section a privacy policy must have, in the order it is shown: Art. 30(1) and
# Enforcement Decree Art. 31(1), the overseas section of Art. 28-8(2), the domestic agent of
# Art. 31-2 and the remedies block the PIPC's guideline asks for.
REQUIRED_SECTIONS = (
    "controller",
    "purposes",
    "items",
    "retention",
    "third_party_provision",
    "entrustment",
    "overseas_transfer",
    "destruction",
    "sensitive_data",
    "pseudonymised_data",
    "rights",
    "safety_measures",
    "automatic_collection",
    "privacy_officer",
    "domestic_agent",
    "remedies",
    "changes",
)

# The labels the generator uses; a pack lacking one does not load.
REQUIRED_LABELS = (
    "legal_name",
    "address",
    "representative",
    "purpose",
    "items",
    "retention",
    "hold",
    "statute",
    "hold_items",
    "period",
    "months",
    "recipient",
    "entrustee",
    "task",
    "country",
    "recipients",
    "received",
    "provision_abroad",
    "provision_abroad_value",
    "register",
    "register_value",
    "legal_basis",
    "timing",
    "method",
    "refusal_consent",
    "refusal_disclosure",
    "refusal_effect",
    "contact",
    "officer_contact",
    "name",
    "title",
    "department",
    "phone",
    "email",
    "channel",
    "web",
    "body",
    "website",
    "version",
    "effective",
    "published",
    "content_hash",
)


class PolicySection(Model):
    """A section's heading, the provision it answers, and its fixed paragraphs."""

    heading: Label
    article: Label | None = None
    texts: list[Label] = Field(default_factory=list)
    # Said instead of the section's items when the law does not require them (domestic agent).
    not_required: Label | None = None


class PolicyProcessing(Model):
    """One purpose of processing: its items, its retention, and the holds that outlast it."""

    label: Label
    # Keys of the pack's field_labels.
    fields: list[Key] = Field(min_length=1)
    other_items: list[Label] = Field(default_factory=list)
    retention: Label
    # Keys of the pack's retention_holds.
    holds: list[Key] = Field(default_factory=list)


class PolicyTexts(Model):
    """Everything the generated privacy policy says that is not the operator's or a recipient's."""

    title: Label
    # Uses {operator}, the controller's legal name.
    preamble: Label
    none: Label
    # Days a material change is announced before it takes effect.
    notice_days: PositiveInt
    # Sections whose change is material; the rest take effect when published.
    material_sections: list[Key] = Field(default_factory=list)
    sections: dict[Key, PolicySection]
    processing: dict[Key, PolicyProcessing] = Field(min_length=1)
    labels: dict[Key, Label]
    # Names of the record items the retention holds keep that are no customer field.
    record_labels: dict[Key, Label] = Field(default_factory=dict)

    def problems(
        self, fields: set[str], holds: Mapping[str, list[str]]
    ) -> Iterator[tuple[str, str]]:
        """Yield (dotted key, problem) for a missing section or label, or an unknown reference."""
        for key in REQUIRED_SECTIONS:
            if key not in self.sections:
                yield f"privacy_policy.sections.{key}", "required section is missing"
        for key in self.sections:
            if key not in REQUIRED_SECTIONS:
                yield f"privacy_policy.sections.{key}", "not a section of the privacy policy"
        for key in self.material_sections:
            if key not in REQUIRED_SECTIONS:
                yield "privacy_policy.material_sections", f"{key} is not a section"
        for key in REQUIRED_LABELS:
            if key not in self.labels:
                yield f"privacy_policy.labels.{key}", "required label is missing"
        for key, processing in self.processing.items():
            for field in processing.fields:
                if field not in fields:
                    yield f"privacy_policy.processing.{key}.fields", f"{field} has no field label"
            for hold in processing.holds:
                if hold not in holds:
                    yield f"privacy_policy.processing.{key}.holds", f"{hold} is no retention hold"
        for hold, items in holds.items():
            for item in items:
                if item not in fields and item not in self.record_labels:
                    yield f"retention_holds.{hold}.fields", f"{item} has no label"
        agent = self.sections.get("domestic_agent")
        if agent is not None and agent.not_required is None:
            yield "privacy_policy.sections.domestic_agent.not_required", "required text is missing"
