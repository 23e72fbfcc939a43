"""The breach section of a rule pack: what makes an incident reportable, and the subject notice.

Under 「개인정보 보호법」 제34조 a controller tells the affected data subjects five things, and
reports to the regulator when the Enforcement Decree's conditions hold (제40조: 1,000 subjects or
more, sensitive or unique-identifier data, or unauthorised access from outside). The threshold
and the 72-hour clock sit in the pack's ``deadlines``; the lists and the notice wording sit here.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from gatehouse.domain.policy.model import Key, Label, Model, Text

__all__ = ["NOTICE_ITEMS", "BreachNotice", "BreachRules"]

# The five items of 「개인정보 보호법」 제34조제1항, in the statute's order.
NOTICE_ITEMS = ("leaked_items", "when_and_how", "self_protection", "countermeasures", "contact")


class NoticeHeadings(Model):
    """The heading of each Art. 34(1) item, in each language."""

    leaked_items: Label
    when_and_how: Label
    self_protection: Label
    countermeasures: Label
    contact: Label


class BreachNotice(Model):
    """The notice to affected data subjects: a title, an opening and the five items."""

    title: Label
    intro: Label
    headings: NoticeHeadings
    # How the second item reads; it must use {discovered}, {period} and {description}.
    when_and_how: Label
    # How the fifth item names the privacy officer; {department}, {name}, {phone}, {email}.
    contact: Label

    def heading(self, item: str, language: str, fallback: str) -> str:
        """The heading of one of :data:`NOTICE_ITEMS`."""
        label: Label = getattr(self.headings, item)
        return label.text(language, fallback)


class BreachRules(Model):
    """What the pack says about breaches beyond the clock and the threshold in ``deadlines``."""

    # Where the subject notice's items are listed, and where the report duty is.
    notice_article: Text
    report_article: Text
    # The kinds an operator may give an incident, and which of them are access from outside.
    kinds: list[Key] = Field(min_length=1)
    external_access_kinds: list[Key] = Field(default_factory=list)
    # Fields whose leak alone makes a report due: unique identifiers and sensitive data.
    unique_identifier_fields: list[Key] = Field(default_factory=list)
    sensitive_fields: list[Key] = Field(default_factory=list)
    kind_labels: dict[Key, Label] = Field(default_factory=dict)
    notice: BreachNotice

    @model_validator(mode="after")
    def _kinds_known(self) -> BreachRules:
        for kind in [*self.external_access_kinds, *self.kind_labels]:
            if kind not in self.kinds:
                raise ValueError(f"breach kind '{kind}' is not in breach.kinds")
        for kind in self.kinds:
            if kind not in self.kind_labels:
                raise ValueError(f"breach kind '{kind}' has no entry in breach.kind_labels")
        return self
