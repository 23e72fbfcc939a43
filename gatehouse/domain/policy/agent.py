"""The domestic-agent rule: when a controller abroad must name an agent in Korea, and what of it."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PositiveInt

from gatehouse.domain.policy.model import Model, Text

__all__ = ["AgentItem", "DomesticAgentRule"]

# The particulars of an agent the profile can hold.
AgentItem = Literal["name", "address", "phone", "email"]


class DomesticAgentRule(Model):
    """Thresholds at or above which a controller without a local establishment needs an agent.

    A figure the pack leaves out (``None``) is no criterion at all.
    """

    # The provision the rule comes from, named in messages.
    article: Text
    total_revenue_krw: PositiveInt | None = None
    korean_revenue_krw: PositiveInt | None = None
    # The average number of data subjects in the jurisdiction per day, over the months below.
    daily_subjects: PositiveInt | None = None
    daily_subjects_months: PositiveInt = 3
    # Whether a place of business in the jurisdiction takes the controller out of the rule.
    establishment_exempts: bool = True
    # The agent's particulars that must all be on record once an agent is required.
    agent_items: list[AgentItem] = Field(min_length=1)
