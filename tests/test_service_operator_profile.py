"""The operator-profile use cases on the in-memory unit of work: versions are only appended."""

from __future__ import annotations

import pytest

from gatehouse.domain.operator_profile import DomesticAgent
from gatehouse.services import console
from gatehouse.services import operator_profile as service
from tests.support.fakes import Clock, FakeDatabase, fake_gatehouse
from tests.support.operator_profiles import AGENT, make_profile


def test_no_profile_reads_as_none_and_does_not_block() -> None:
    gh = fake_gatehouse(FakeDatabase())
    assert service.current_profile(gh) is None
    check = service.startup_check(gh)
    assert not check.has_profile and not check.blocking


def test_each_set_appends_a_version_with_its_hash_and_time() -> None:
    db, clock = FakeDatabase(), Clock()
    gh = fake_gatehouse(db, clock)
    first = service.set_profile(gh, make_profile(daily=1_000_000))
    clock.now = clock.now.replace(hour=10)
    second = service.set_profile(gh, make_profile(daily=1_000_000, agent=DomesticAgent(**AGENT)))
    assert (first.version, second.version) == (1, 2)
    assert first.content_hash != second.content_hash
    assert second.created_at > first.created_at
    versions = db.tables.operator_profiles
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].content_hash == first.content_hash  # the first version is kept unchanged
    current = service.current_profile(gh)
    assert current is not None and current.version == 2
    assert current.profile == second.profile


def test_the_agent_check_blocks_until_the_agent_is_complete() -> None:
    gh = fake_gatehouse(FakeDatabase())
    stored = service.set_profile(gh, make_profile(daily=1_000_000))
    assert stored.agent.required and len(stored.agent.missing) == 4
    assert service.startup_check(gh).blocking
    service.set_profile(gh, make_profile(daily=1_000_000, agent=DomesticAgent(**AGENT)))
    assert not service.startup_check(gh).blocking


def test_a_failed_append_keeps_nothing() -> None:
    db = FakeDatabase()
    gh = fake_gatehouse(db)
    db.fail("OperatorProfiles.append", RuntimeError("disk full"))
    with pytest.raises(RuntimeError):
        service.set_profile(gh, make_profile())
    assert db.tables.operator_profiles == []


def test_the_console_dashboard_carries_the_check() -> None:
    gh = fake_gatehouse(FakeDatabase())
    assert not console.dashboard(gh, "ko").profile.has_profile
    service.set_profile(gh, make_profile(total=10**12))
    board = console.dashboard(gh, "ko").profile
    assert board.has_profile and board.blocking
