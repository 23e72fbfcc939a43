"""The wording sections of a rule pack: notice items and the texts of notices and disclosures."""

from __future__ import annotations

from gatehouse.domain.policy.model import Key, Label, Model

__all__ = ["ConsentWording", "DisclosureTexts", "NoticeItem", "NoticeTexts"]


class NoticeItem(Model):
    """One item the transfer notice must state."""

    key: Key
    label: Label


class ConsentWording(Model):
    """The words that differ between a consent the order needs and an optional one."""

    heading: Label
    intro: Label
    refusal_method: Label
    refusal_effect: Label


class NoticeTexts(Model):
    """The fixed wording of the overseas-transfer notice shown before consent is asked.

    Texts may use ``{close_days}`` and ``{max_days}`` (from ``views``); ``retention`` must use
    ``{days}`` and ``field_form`` both ``{field}`` and ``{form}``.
    """

    # A consent the order cannot proceed without is never labelled optional (R10).
    required: ConsentWording
    optional: ConsentWording
    transfer_timing: Label
    transfer_method: Label
    refusal_procedure: Label
    # What a recipient sees of the order besides the customer's fields, as the items list says.
    order_items: Label
    # How a recipient's retention_days reads, e.g. "{days}일".
    retention: Label
    # How a released field reads with its form, e.g. "{field}({form})" for "성명(일부 가림 처리)".
    field_form: Label


class DisclosureTexts(Model):
    """The wording of an Art. 28-8(2) disclosure for entrustment or storage: no consent asked."""

    heading: Label
    intro: Label
    refusal_method: Label
    refusal_procedure: Label
    refusal_effect: Label
