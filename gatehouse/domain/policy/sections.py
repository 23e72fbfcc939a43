"""The plain sections of a rule pack: purposes, view clock, deadlines, retention holds, remedies."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, PositiveInt, StringConstraints

from gatehouse.domain.policy.model import Key, Label, Model, Text

__all__ = ["Deadlines", "Purpose", "Remedy", "RetentionHold", "Views"]


class Purpose(Model):
    """A purpose and the transform each field gets for it."""

    label: Label
    # Whether an order for this purpose cannot proceed without the transfer: its consent is
    # then labelled required and its refusal effect says the order stops (R10).
    consent_required: bool
    fields: dict[Key, Key] = Field(min_length=1)
    # Replaces the transform of the listed fields once the purchase is confirmed.
    after_confirmation: dict[Key, Key] = Field(default_factory=dict)


class Views(Model):
    """How long a recipient's view of transferred data stays open."""

    close_days_after_delivery: PositiveInt
    max_days: PositiveInt
    safe_number_cooldown_days: Annotated[int, Field(ge=0)]


class Deadlines(Model):
    """Statutory clocks for rights requests and breaches."""

    rights_request_days: PositiveInt
    rights_request_alert_day: PositiveInt
    breach_notify_hours: PositiveInt
    breach_report_threshold: PositiveInt
    # Days a recipient has to confirm an erasure before it is escalated and loses eligibility.
    erasure_ack_days: PositiveInt = 10


class RetentionHold(Model):
    """Records a statute makes us keep after deletion, and for how long."""

    months: PositiveInt
    label: Label
    statute: Text
    fields: list[Key] = Field(min_length=1)


class Remedy(Model):
    """A public body a data subject can turn to."""

    name: Label
    phone: Annotated[str, StringConstraints(pattern=r"^[0-9]+(?:-[0-9]+)*$")]
    url: Annotated[str, StringConstraints(pattern=r"^https://[^\s/]+(?:/\S*)?$")]
