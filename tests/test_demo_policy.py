"""The demo's published privacy policy, on each backend: complete in both languages, naming the
domestic agent and every entrustee, and a register of exactly the recipients abroad it made.

The demo is seeded by the CLI's own function, with its 2,000 recipients abroad but 300
Korean customers instead of 10,000 and orders from 60 of them instead of 150: customers and
orders only feed the transfers that mark recipients as having received data, and at full size
they would take most of the run (PostgreSQL pays a round trip per statement of each transfer).
It is seeded once per backend, so one test checks everything on it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from gatehouse.demo import PolicyReport, SeedReport, seed_marketplace
from gatehouse.demo.operator import demo_operator_profile
from gatehouse.domain.policy.policy_texts import REQUIRED_SECTIONS
from gatehouse.domain.privacy_policy import PolicyDocument, Section, Table, check_policy
from gatehouse.services.overseas_register import MAX_PAGE_SIZE, RegisterEntry
from gatehouse.services.policy_reading import (
    PolicyRegisterQuery,
    policy_register_page,
    show_policy,
)
from gatehouse.services.runtime import Gatehouse
from tests.conftest import Clock, Fresh

DEMO_RECIPIENTS = 2000
SUBJECTS = 300
ACTIVITY = 60
REMEDY_PHONES = ["118", "1833-6972", "1301", "182"]


@dataclass
class Demo:
    gatehouse: Gatehouse
    report: SeedReport
    policy: PolicyReport


def _ticking(clock: Clock) -> Callable[[], datetime]:
    """The test clock moving a millisecond a reading, as a real one would.

    Publishing counts the transfers decided before its own instant; on a clock that stands
    still, the demo's transfers would share that instant and none would count as received.
    """

    def now() -> datetime:
        clock.advance(milliseconds=1)
        return clock.now

    return now


def _seed(fresh: Fresh) -> Demo:
    gh = fresh.gatehouse
    gh.clock = _ticking(fresh.clock)
    report = seed_marketplace(gh, recipients=DEMO_RECIPIENTS, subjects=SUBJECTS, activity=ACTIVITY)
    assert report.policy is not None
    return Demo(gh, report, report.policy)


def _section(document: PolicyDocument, key: str) -> Section:
    section = document.section(key)
    assert section is not None, key
    return section


def _table(section: Section, key: str) -> Table:
    table = section.table(key)
    assert table is not None, f"{section.key}.{key}"
    return table


def _column(table: Table, column: str) -> list[str]:
    index = table.columns.index(column)
    return [row[index] for row in table.rows]


def _check_complete(demo: Demo, locale: str) -> None:
    shown = show_policy(demo.gatehouse, locale=locale)
    assert shown.version.version == demo.policy.version and shown.in_force
    document = shown.document
    assert document.language == locale
    check_policy(document)
    assert [s.key for s in document.sections] == list(REQUIRED_SECTIONS)
    for section in document.sections:
        for fact in section.facts:
            assert fact.value.strip(), f"{section.key}.{fact.key} is empty"
    remedies = _table(_section(document, "remedies"), "remedies")
    assert _column(remedies, "phone") == REMEDY_PHONES
    agent = demo_operator_profile().domestic_agent
    assert agent is not None
    facts = {f.key: f.value for f in _section(document, "domestic_agent").facts}
    assert facts["name"] == agent.name and facts["address"] == agent.address
    assert facts["email"] == agent.email
    assert facts["phone"].replace(" ", "").replace("-", "").endswith("260001234")
    # Every carrier and warehouse is named, in the entrustment section and again abroad.
    entrusted = _table(_section(document, "entrustment"), "entrustees")
    assert sorted(_column(entrusted, "entrustee")) == sorted(demo.policy.entrustees.values())
    assert sorted(_column(entrusted, "key")) == sorted(demo.policy.entrustees)
    abroad = _table(_section(document, "overseas_transfer"), "entrustees")
    assert sorted(_column(abroad, "key")) == sorted(demo.policy.entrustees)
    assert len(demo.policy.entrustees) >= 10


def _walk(gh: Gatehouse, limit: int) -> list[RegisterEntry]:
    entries: list[RegisterEntry] = []
    cursor = None
    while True:
        page = policy_register_page(gh, PolicyRegisterQuery(cursor=cursor, limit=limit))
        entries.extend(page.entries)
        if page.next_cursor is None:
            return entries
        cursor = page.next_cursor


def _check_register(demo: Demo) -> None:
    policy = demo.policy
    assert len(policy.abroad) == DEMO_RECIPIENTS
    # Suspended recipients that never received data are not listed; the demo suspends only
    # recipients outside its order activity, so every suspended one is left out.
    expected = set(policy.abroad) - (policy.suspended - policy.received)
    assert policy.suspended and policy.received and len(policy.received) >= 10
    entries = _walk(demo.gatehouse, MAX_PAGE_SIZE)
    ids = [e.recipient_id for e in entries]
    assert len(ids) == len(set(ids)) == len(expected) == policy.register_count
    assert set(ids) == expected
    assert {e.recipient_id for e in entries if e.received} == policy.received
    assert all(e.legal_name == policy.abroad[e.recipient_id] for e in entries)
    first = policy_register_page(demo.gatehouse, PolicyRegisterQuery(limit=1))
    assert first.matched == len(expected) and first.version == policy.version


def test_the_demo_publishes_a_complete_policy_of_its_recipients_abroad(fresh: Fresh) -> None:
    demo = _seed(fresh)
    for locale in ("ko", "en"):
        _check_complete(demo, locale)
    _check_register(demo)
