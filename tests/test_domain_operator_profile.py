"""The operator profile's validation and the domestic-agent rule (「개인정보 보호법」 제31조의2)."""

from __future__ import annotations

import pytest

from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.operator_profile import (
    ChannelKind,
    DomesticAgent,
    RightsChannel,
    content_hash,
    domestic_agent_requirement,
    profile_content,
    profile_from_content,
)
from gatehouse.domain.policy.agent import DomesticAgentRule
from gatehouse.rules import load_packs
from tests.support.operator_profiles import AGENT, make_profile

TRILLION = 1_000_000_000_000
MILLION = 1_000_000
FULL_AGENT = DomesticAgent(**AGENT)
ALL_ITEMS = (
    "domestic_agent.name",
    "domestic_agent.address",
    "domestic_agent.phone",
    "domestic_agent.email",
)


@pytest.fixture(scope="module")
def rule() -> DomesticAgentRule:
    found = load_packs().for_country("KR").domestic_agent
    assert found is not None
    return found


def test_the_pack_declares_the_statutory_thresholds(rule: DomesticAgentRule) -> None:
    assert rule.article == "「개인정보 보호법」 제31조의2제1항"
    assert rule.total_revenue_krw == TRILLION
    assert rule.daily_subjects == MILLION
    assert rule.daily_subjects_months == 3
    assert rule.establishment_exempts is True
    assert rule.korean_revenue_krw is None
    assert rule.agent_items == ["name", "address", "phone", "email"]


@pytest.mark.parametrize(
    ("total", "daily", "required"),
    [
        (TRILLION - 1, MILLION - 1, False),
        (TRILLION, 0, True),
        (0, MILLION, True),
        (TRILLION - 1, MILLION, True),
        (TRILLION + 1, MILLION + 1, True),
    ],
)
def test_each_threshold_is_met_at_or_above_its_figure(
    rule: DomesticAgentRule, total: int, daily: int, required: bool
) -> None:
    verdict = domestic_agent_requirement(make_profile(total=total, daily=daily), rule)
    assert verdict.required is required
    assert verdict.missing == (ALL_ITEMS if required else ())
    assert verdict.satisfied is not required


def test_the_reasons_name_each_threshold_met(rule: DomesticAgentRule) -> None:
    verdict = domestic_agent_requirement(make_profile(total=TRILLION, daily=MILLION), rule)
    assert verdict.reasons == ("total_revenue", "daily_subjects")
    assert verdict.article == rule.article


def test_korean_sales_decide_nothing_under_the_current_decree(rule: DomesticAgentRule) -> None:
    verdict = domestic_agent_requirement(make_profile(korean=10**15), rule)
    assert not verdict.required


def test_a_korean_revenue_threshold_counts_where_a_pack_sets_one(rule: DomesticAgentRule) -> None:
    with_sales = rule.model_copy(update={"korean_revenue_krw": 10_000_000_000})
    assert domestic_agent_requirement(make_profile(korean=10_000_000_000), with_sales).reasons == (
        "korean_revenue",
    )
    assert not domestic_agent_requirement(make_profile(korean=9_999_999_999), with_sales).required


def test_a_korean_place_of_business_exempts(rule: DomesticAgentRule) -> None:
    big = make_profile(establishment=True, total=10 * TRILLION, daily=10 * MILLION)
    assert not domestic_agent_requirement(big, rule).required
    strict = rule.model_copy(update={"establishment_exempts": False})
    assert domestic_agent_requirement(big, strict).required


def test_a_pipc_request_requires_an_agent_whatever_the_figures(rule: DomesticAgentRule) -> None:
    verdict = domestic_agent_requirement(make_profile(establishment=True, pipc=True), rule)
    assert verdict.required and verdict.reasons == ("pipc_request",)


def test_only_the_missing_particulars_are_named(rule: DomesticAgentRule) -> None:
    partial = DomesticAgent(name="바다마켓코리아 유한회사", email="agent@bada.example.kr")
    verdict = domestic_agent_requirement(make_profile(daily=MILLION, agent=partial), rule)
    assert verdict.missing == ("domestic_agent.address", "domestic_agent.phone")
    complete = domestic_agent_requirement(make_profile(daily=MILLION, agent=FULL_AGENT), rule)
    assert complete.required and complete.missing == () and complete.satisfied


def test_no_rule_requires_nothing() -> None:
    assert not domestic_agent_requirement(make_profile(total=10 * TRILLION), None).required


def test_phones_and_emails_are_normalised() -> None:
    profile = make_profile(agent=FULL_AGENT)
    assert profile.privacy_officer.phone == "+82260001000"
    assert profile.rights_channels[0].value == "+82260001000"
    assert profile.domestic_agent is not None
    assert profile.domestic_agent.phone == "+82260004321"


@pytest.mark.parametrize(
    ("agent", "field"),
    [
        (DomesticAgent(phone="12"), "domestic_agent.phone"),
        (DomesticAgent(email="not-an-address"), "domestic_agent.email"),
        (DomesticAgent(name="   "), "domestic_agent.name"),
        (DomesticAgent(address="가" * 301), "domestic_agent.address"),
    ],
)
def test_a_bad_agent_particular_is_named_without_its_value(
    agent: DomesticAgent, field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        make_profile(agent=agent)
    assert caught.value.details[0]["field"] == field
    for value in (agent.phone, agent.email):
        if value:
            assert value not in caught.value.message


def test_a_web_channel_must_be_https() -> None:
    with pytest.raises(InvalidInput) as caught:
        make_profile().__class__(
            **{
                **make_profile().__dict__,
                "rights_channels": (RightsChannel(ChannelKind.WEB, "http://x.example"),),
            }
        )
    assert caught.value.details[0]["field"] == "rights_channels[0].value"


def test_content_round_trips_and_hashes_stably() -> None:
    profile = make_profile(daily=MILLION, agent=FULL_AGENT)
    content = profile_content(profile)
    assert profile_from_content(content) == profile
    assert content_hash(content) == content_hash(profile_content(profile_from_content(content)))
    assert len(content_hash(content)) == 64
