"""A complete operator profile, as a request body and as the domain value."""

from __future__ import annotations

import copy
from typing import Any

from gatehouse.domain.operator_profile import (
    ChannelKind,
    DomesticAgent,
    Figures,
    OperatorProfile,
    PrivacyOfficer,
    RightsChannel,
)

__all__ = ["AGENT", "profile_body", "make_profile"]

AGENT = {
    "name": "바다마켓코리아 유한회사 (대표 이서연)",
    "address": "서울특별시 마포구 양화로 45, 7층",
    "phone": "02-6000-4321",
    "email": "agent@badamarket.example.kr",
}

_BODY: dict[str, Any] = {
    "legal_name": "Bada Market Ltd.",
    "address": "Unit 5, 8 Harbour Road, Wan Chai, Hong Kong",
    "representative": "Chan Ka Ho",
    "privacy_officer": {
        "name": "박지민",
        "title": "개인정보 보호책임자",
        "department": "개인정보보호팀",
        "phone": "+82 2-6000-1000",
        "email": "Privacy@BadaMarket.example.kr",
    },
    "rights_channels": [
        {"kind": "web", "value": "https://badamarket.example.kr/privacy"},
        {"kind": "email", "value": "privacy@badamarket.example.kr"},
    ],
    "korean_establishment": False,
    "figures": {
        "total_revenue_krw": 2_000_000_000_000,
        "korean_revenue_krw": 50_000_000_000,
        "daily_korean_subjects": 300_000,
    },
    "domestic_agent": AGENT,
}


def profile_body(**changes: Any) -> dict[str, Any]:
    """A complete body for PUT /v1/operator/profile, with top-level ``changes``."""
    body = copy.deepcopy(_BODY)
    body.update(changes)
    return body


def make_profile(
    *,
    establishment: bool = False,
    total: int = 0,
    korean: int = 0,
    daily: int = 0,
    pipc: bool = False,
    agent: DomesticAgent | None = None,
) -> OperatorProfile:
    """A valid domain profile with the given figures and agent."""
    return OperatorProfile(
        legal_name="Bada Market Ltd.",
        address="Unit 5, 8 Harbour Road, Wan Chai, Hong Kong",
        representative="Chan Ka Ho",
        privacy_officer=PrivacyOfficer(
            "박지민", "개인정보 보호책임자", "개인정보보호팀", "02-6000-1000", "p@bada.example.kr"
        ),
        rights_channels=(RightsChannel(ChannelKind.PHONE, "02-6000-1000"),),
        korean_establishment=establishment,
        figures=Figures(total, korean, daily, pipc),
        domestic_agent=agent,
    )
