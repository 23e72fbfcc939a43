"""The demo marketplace's own profile: a fictional controller abroad with a domestic agent.

It has no place of business in Korea and about 1.2 million Korean customers a day, so
「개인정보 보호법」 제31조의2 requires a domestic agent; the profile names one, so the demo starts.
"""

from __future__ import annotations

from gatehouse.domain.operator_profile import (
    ChannelKind,
    DomesticAgent,
    Figures,
    OperatorProfile,
    PrivacyOfficer,
    RightsChannel,
)

__all__ = ["demo_operator_profile"]


def demo_operator_profile() -> OperatorProfile:
    """The fictional operator of the demo marketplace."""
    return OperatorProfile(
        legal_name="Hanbit Global Commerce Pte. Ltd.",
        address="1 Raffles Place, #20-01, Singapore 048616",
        representative="Tan Wei Ming",
        privacy_officer=PrivacyOfficer(
            name="Lim Su-jin",
            title="Chief Privacy Officer",
            department="Privacy Office",
            phone="+65 6123 4567",
            email="privacy@hanbit-market.example.com",
        ),
        rights_channels=(
            RightsChannel(ChannelKind.WEB, "https://hanbit-market.example.com/privacy/requests"),
            RightsChannel(ChannelKind.EMAIL, "privacy@hanbit-market.example.com"),
            RightsChannel(ChannelKind.PHONE, "+82 2-6000-1234"),
        ),
        korean_establishment=False,
        figures=Figures(
            total_revenue_krw=820_000_000_000,
            korean_revenue_krw=95_000_000_000,
            daily_korean_subjects=1_200_000,
        ),
        domestic_agent=DomesticAgent(
            name="한빛글로벌코리아 유한회사",
            address="서울특별시 중구 을지로 100, 10층",
            phone="+82 2-6000-1234",
            email="kr-agent@hanbit-market.example.com",
        ),
    )
