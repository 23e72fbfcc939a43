"""Publishing and reading the privacy policy on the in-memory unit of work: what a version is
built from, when a new one is made and takes effect, what it keeps, and what stops it."""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from gatehouse.domain.errors import InvalidInput, NotFound
from gatehouse.domain.operator_profile import DomesticAgent
from gatehouse.domain.privacy_policy import PolicyIncomplete
from gatehouse.domain.recipients import Recipient, RecipientKind, RecipientStatus
from gatehouse.services import operator_profile, outbox
from gatehouse.services.policy_reading import (
    PolicyRegisterQuery,
    policy_history,
    policy_in_force,
    policy_register_entries,
    policy_register_page,
    show_policy,
)
from gatehouse.services.privacy_policy import name_key, publish_job, publish_policy
from tests.support.fake_world import World, new_world
from tests.support.fakes import make_recipient
from tests.support.operator_profiles import AGENT, make_profile
from tests.test_service_overseas_register import transfer


def _named(w: World, name: str, **overrides: Any) -> Recipient:
    """A registered recipient called ``name``."""
    return w.db.add_recipient(dataclasses.replace(make_recipient(**overrides), legal_name=name))


def _transfer(w: World, recipient_id: str, at: datetime) -> None:
    transfer(w, recipient_id, at)


@pytest.fixture
def w() -> World:
    world = new_world()
    operator_profile.set_profile(
        world.gh, make_profile(total=2_000_000_000_000, agent=DomesticAgent(**AGENT))
    )
    return world


def test_nothing_is_published_without_an_operator_profile() -> None:
    bare = new_world()
    with pytest.raises(PolicyIncomplete) as raised:
        publish_policy(bare.gh)
    assert raised.value.item == "controller"
    assert bare.db.tables.policy_versions == []
    with pytest.raises(NotFound):
        show_policy(bare.gh)
    assert policy_in_force(bare.gh) is None


def test_an_incomplete_agent_stops_publishing_and_keeps_the_version_in_force(w: World) -> None:
    w.recipient(country="CN")
    first = publish_policy(w.gh).version
    agent = DomesticAgent(**{**AGENT, "phone": None})
    operator_profile.set_profile(w.gh, make_profile(total=2_000_000_000_000, agent=agent))
    with pytest.raises(PolicyIncomplete) as raised:
        publish_policy(w.gh)
    assert raised.value.item == "domestic_agent.phone"
    assert [p.version for p in w.db.tables.policy_versions] == [first.version]


def test_the_first_version_is_in_force_at_once_and_an_unchanged_one_is_not_repeated(
    w: World,
) -> None:
    seller = w.recipient(country="CN")
    outcome = publish_policy(w.gh)
    assert outcome.created and outcome.version.version == 1
    assert outcome.version.effective_at == w.clock.now
    assert outcome.version.register_count == 1
    again = publish_policy(w.gh)
    assert not again.created and again.version.version == 1
    shown = show_policy(w.gh, locale="en")
    assert shown.in_force and shown.upcoming is None
    assert shown.document.language == "en"
    assert shown.document.sections[-1].key == "changes"
    page = policy_register_page(w.gh, PolicyRegisterQuery())
    assert [e.recipient_id for e in page.entries] == [seller.id]
    assert page.entries[0].status is None and page.entries[0].transfers is None


def test_a_changed_recipient_makes_a_version_and_the_old_one_keeps_its_register(
    w: World,
) -> None:
    seller = _named(w, "Lotus Trading Co", country="CN")
    publish_policy(w.gh)
    w.db.tables.recipients[seller.id] = dataclasses.replace(
        seller, contact_email="new@lotus.example.cn"
    )
    w.advance(hours=1)
    second = publish_policy(w.gh).version
    assert second.version == 2 and second.effective_at == w.clock.now
    assert second.changes == [
        {"section": "register", "kind": "changed", "material": False, "count": 1}
    ]
    old = policy_register_page(w.gh, PolicyRegisterQuery(version=1)).entries[0]
    new = policy_register_page(w.gh, PolicyRegisterQuery(version=2)).entries[0]
    assert old.contact_email != "new@lotus.example.cn"
    assert new.contact_email == "new@lotus.example.cn"
    assert [v.version for v in policy_history(w.gh)] == [2, 1]
    assert policy_in_force(w.gh) is not None
    assert show_policy(w.gh, version=1).in_force is False


def test_a_recipient_that_can_no_longer_receive_and_received_nothing_leaves_the_register(
    w: World,
) -> None:
    kept = w.recipient(country="CN")
    gone = w.recipient(country="JP")
    _transfer(w, kept.id, w.clock.now - timedelta(days=10))
    publish_policy(w.gh)
    for recipient in (kept, gone):
        w.db.tables.recipients[recipient.id] = dataclasses.replace(
            recipient, status=RecipientStatus.SUSPENDED
        )
    second = publish_policy(w.gh).version
    assert {"section": "register", "kind": "removed", "material": False, "count": 1} in (
        second.changes
    )
    entries = policy_register_page(w.gh, PolicyRegisterQuery()).entries
    assert [(e.recipient_id, e.received) for e in entries] == [(kept.id, True)]


def test_a_new_entrustee_is_material_and_waits_for_its_notice_period(w: World) -> None:
    w.recipient(country="CN")
    first = publish_policy(w.gh).version
    _named(w, "Rhein Parcel GmbH", country="DE", kind=RecipientKind.LOGISTICS)
    w.advance(hours=2)
    second = publish_policy(w.gh).version
    assert second.material is True
    assert second.effective_at == w.clock.now + timedelta(days=7)
    shown = show_policy(w.gh)
    assert shown.version.version == first.version
    assert shown.upcoming is not None and shown.upcoming.version == second.version
    # A non-material change in the meantime does not overtake the announced one.
    w.recipient(country="CN")
    third = publish_policy(w.gh).version
    assert third.effective_at == second.effective_at
    w.advance(days=7, seconds=1)
    in_force = policy_in_force(w.gh)
    assert in_force is not None and in_force.version == third.version


def test_the_register_pages_by_country_then_name_and_searches_folded_names(w: World) -> None:
    names = ["Zeta Goods", "alpha goods", "Beta Goods", "ＦＵＬＬ Width Co"]
    for name, country in zip(names, ["CN", "CN", "US", "JP"], strict=True):
        _named(w, name, country=country)
    publish_policy(w.gh)
    seen: list[str | None] = []
    cursor = None
    while True:
        page = policy_register_page(w.gh, PolicyRegisterQuery(limit=1, cursor=cursor))
        assert page.matched == 4
        seen.extend(e.legal_name for e in page.entries)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["alpha goods", "Zeta Goods", "ＦＵＬＬ Width Co", "Beta Goods"]
    found = policy_register_page(w.gh, PolicyRegisterQuery(search="full width"))
    assert [e.legal_name for e in found.entries] == ["ＦＵＬＬ Width Co"]
    assert name_key("  ＡＢ  c ") == "ab c"
    us = policy_register_page(w.gh, PolicyRegisterQuery(country="us"))
    assert [e.legal_name for e in us.entries] == ["Beta Goods"]
    everything = list(policy_register_entries(w.gh, PolicyRegisterQuery()))
    assert [e.legal_name for e in everything] == seen


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (PolicyRegisterQuery(cursor="p.bm90IGpzb24"), "invalid_cursor"),
        (PolicyRegisterQuery(cursor="r.abc"), "invalid_cursor"),
        (PolicyRegisterQuery(limit=0), "invalid_limit"),
        (PolicyRegisterQuery(search=" "), "invalid_search"),
        (PolicyRegisterQuery(locale="fr"), "unsupported_locale"),
    ],
)
def test_bad_register_queries_are_named(w: World, query: PolicyRegisterQuery, code: str) -> None:
    w.recipient(country="CN")
    publish_policy(w.gh)
    with pytest.raises(InvalidInput) as raised:
        policy_register_page(w.gh, query)
    assert raised.value.code == code


def test_an_unknown_version_is_not_found(w: World) -> None:
    publish_policy(w.gh)
    with pytest.raises(NotFound) as raised:
        show_policy(w.gh, version=5)
    assert raised.value.code == "policy_not_found"
    with pytest.raises(NotFound):
        policy_register_page(w.gh, PolicyRegisterQuery(version=5))


def test_the_worker_job_logs_an_incomplete_policy_by_item_and_does_not_fail(
    caplog: pytest.LogCaptureFixture,
) -> None:
    bare = new_world()
    assert "policy.publish" in outbox.known_kinds()
    with caplog.at_level(logging.WARNING, logger="gatehouse.policy"):
        publish_job(bare.gh, None)
    assert "controller is missing or empty" in caplog.text
    assert bare.db.tables.policy_versions == []


def test_received_follows_the_period(w: World) -> None:
    seller = w.recipient(country="CN")
    _transfer(w, seller.id, datetime(2024, 1, 1, tzinfo=UTC))
    publish_policy(w.gh)
    (entry,) = policy_register_page(w.gh, PolicyRegisterQuery()).entries
    assert entry.received is False
