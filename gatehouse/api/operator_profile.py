"""Operator endpoints for the controller's own profile and its domestic agent.

``PUT`` stores a new version (append-only; the latest is current), ``GET`` reads the current
one. Each answer says whether 「개인정보 보호법」 제31조의2 requires a domestic agent and which of
its particulars are still missing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictBool, StrictInt, StrictStr

from gatehouse.api.bodies import Body
from gatehouse.domain.errors import NotFound
from gatehouse.domain.operator_profile import (
    MAX_ADDRESS,
    MAX_KRW,
    MAX_SUBJECTS,
    MAX_TEXT,
    ChannelKind,
    DomesticAgent,
    Figures,
    OperatorProfile,
    PrivacyOfficer,
    RightsChannel,
    profile_content,
)
from gatehouse.http.deps import GatehouseDep, OperatorDep
from gatehouse.http.openapi import refusals
from gatehouse.services import operator_profile as service

__all__ = ["router"]

router = APIRouter(prefix="/v1/operator/profile", tags=["operator"])

Line = Annotated[StrictStr, Field(min_length=1, max_length=MAX_TEXT)]
AddressLine = Annotated[StrictStr, Field(min_length=1, max_length=MAX_ADDRESS)]
Value = Annotated[StrictStr, Field(min_length=1, max_length=2000)]
Krw = Annotated[StrictInt, Field(ge=0, le=MAX_KRW)]


class PrivacyOfficerIn(Body):
    name: Line
    title: Line
    department: Line
    phone: Line
    email: Line


class RightsChannelIn(Body):
    kind: Literal["web", "email", "phone"]
    value: Value


class FiguresIn(Body):
    """The previous (business) year's figures the domestic-agent rule weighs."""

    total_revenue_krw: Krw
    korean_revenue_krw: Krw
    daily_korean_subjects: Annotated[StrictInt, Field(ge=0, le=MAX_SUBJECTS)] = Field(
        description="Average per day of Korean data subjects whose data is stored, "
        "over the last three months of the previous year."
    )
    pipc_requested_agent: StrictBool = False


class DomesticAgentIn(Body):
    name: Line | None = None
    address: AddressLine | None = None
    phone: Line | None = None
    email: Line | None = None


class OperatorProfileIn(Body):
    legal_name: Line
    address: AddressLine
    representative: Line
    privacy_officer: PrivacyOfficerIn
    rights_channels: Annotated[list[RightsChannelIn], Field(min_length=1, max_length=10)]
    korean_establishment: StrictBool
    figures: FiguresIn
    domestic_agent: DomesticAgentIn | None = None

    def to_domain(self) -> OperatorProfile:
        """The domain profile; it normalises phones and e-mails and refuses bad values."""
        agent = self.domestic_agent
        return OperatorProfile(
            legal_name=self.legal_name,
            address=self.address,
            representative=self.representative,
            privacy_officer=PrivacyOfficer(**self.privacy_officer.model_dump()),
            rights_channels=tuple(
                RightsChannel(ChannelKind(c.kind), c.value) for c in self.rights_channels
            ),
            korean_establishment=self.korean_establishment,
            figures=Figures(**self.figures.model_dump()),
            domestic_agent=DomesticAgent(**agent.model_dump()) if agent is not None else None,
        )


class DomesticAgentStatusOut(BaseModel):
    required: bool
    article: str | None
    reasons: list[str] = Field(description="total_revenue, korean_revenue, daily_subjects, ...")
    missing: list[str] = Field(description="Particulars of the agent still to be given.")


class OperatorProfileOut(BaseModel):
    version: int
    content_hash: str
    created_at: datetime
    profile: dict[str, object]
    domestic_agent_status: DomesticAgentStatusOut


def _out(current: service.ProfileVersion) -> OperatorProfileOut:
    agent = current.agent
    return OperatorProfileOut(
        version=current.version,
        content_hash=current.content_hash,
        created_at=current.created_at,
        profile=profile_content(current.profile),
        domestic_agent_status=DomesticAgentStatusOut(
            required=agent.required,
            article=agent.article,
            reasons=list(agent.reasons),
            missing=list(agent.missing),
        ),
    )


@router.get("", response_model=OperatorProfileOut, responses=refusals(404))
def get_profile(gh: GatehouseDep, _: OperatorDep) -> OperatorProfileOut:
    """The current profile and what the domestic-agent rule makes of it."""
    current = service.current_profile(gh)
    if current is None:
        raise NotFound("no operator profile has been set", code="operator_profile_not_set")
    return _out(current)


@router.put("", response_model=OperatorProfileOut)
def put_profile(body: OperatorProfileIn, gh: GatehouseDep, _: OperatorDep) -> OperatorProfileOut:
    """Store a new version of the profile; earlier versions are kept unchanged."""
    return _out(service.set_profile(gh, body.to_domain()))
