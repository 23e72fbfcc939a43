"""Migration 0025 on each backend: it stores the versions published before it compact, rows
written once per change, and its downgrade puts every version's entrustee rows back."""

from __future__ import annotations

from sqlalchemy import func, insert, inspect, select, update

from gatehouse.services.policy_entrustees import EntrusteeQuery, version_table
from gatehouse.services.policy_reading import show_policy
from gatehouse.services.privacy_policy import publish_policy
from gatehouse.services.runtime import Gatehouse
from gatehouse.store import migrate
from gatehouse.store.policy_documents import policy_entrustees
from gatehouse.store.privacy_policies import policy_versions
from gatehouse.store.tables import recipients
from tests.conftest import Fresh
from tests.support.migrations import downgrade_to
from tests.support.operator_profiles import profile_body
from tests.support.register_rows import RegisterRows
from tests.support.server import operator_api

SECTIONS = ("entrustment", "overseas_transfer")


def _tables(gh: Gatehouse, version: int) -> dict[tuple[str, str], list[tuple[str, ...]]]:
    """Every row of both entrustee tables of ``version`` in both languages, page by page."""
    found = {}
    for language in ("ko", "en"):
        for section in SECTIONS:
            rows: list[tuple[str, ...]] = []
            cursor = None
            while True:
                query = EntrusteeQuery(section, cursor=cursor, limit=4)
                page = version_table(gh, query, version=version, locale=language).page
                rows.extend(page.table.rows)
                cursor = page.next_cursor
                if cursor is None:
                    break
            found[(language, section)] = rows
    return found


def test_downgrade_restores_whole_documents_and_upgrade_reads_them(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    rows = RegisterRows(gh.engine)
    ids = [rows.recipient(f"Parcel {n:02d} GmbH", country="DE", kind="logistics") for n in range(9)]
    rows.recipient("Haneul Logistics", country="KR", kind="logistics")
    rows.recipient("Shenzhen Seller", country="CN")
    with operator_api(gh) as (_, api):
        assert api.put("/v1/operator/profile", json=profile_body()).status_code == 200
    first = publish_policy(gh).version
    with gh.engine.begin() as c:
        c.execute(
            update(recipients)
            .where(recipients.c.id == ids[3])
            .values(contact_email="desk@parcel.example.de")
        )
    second = publish_policy(gh).version
    assert second.version == 2 and second.content_hash != first.content_hash
    before = {v: _tables(gh, v) for v in (1, 2)}
    assert len(before[1][("ko", "entrustment")]) == 10
    assert len(before[1][("en", "overseas_transfer")]) == 9
    assert before[1] != before[2]
    shown = {v: show_policy(gh, version=v, locale="en").document for v in (1, 2)}

    downgrade_to(gh.engine, "0024")
    names = set(inspect(gh.engine).get_table_names())
    assert "policy_documents" not in names and "policy_entrustees" not in names
    with gh.engine.connect() as c:
        stored = {r.version: r.documents for r in c.execute(select(policy_versions))}
    for version in (1, 2):
        for language in ("ko", "en"):
            sections = {s["key"]: s for s in stored[version][language]["sections"]}
            for section in SECTIONS:
                table = next(t for t in sections[section]["tables"] if t["key"] == "entrustees")
                assert "total" not in table
                expected = before[version][(language, section)]
                assert [tuple(r) for r in table["rows"]] == expected

    migrate.upgrade(gh.engine)
    # Converted: no version keeps its documents whole, and an entrustee's row is stored once
    # per change (10 entrustees, one changed in version 2).
    with gh.engine.connect() as c:
        assert [r.documents for r in c.execute(select(policy_versions))] == [{}, {}]
        assert c.execute(select(func.count()).select_from(policy_entrustees)).scalar() == 11
    assert {v: _tables(gh, v) for v in (1, 2)} == before
    assert {v: show_policy(gh, version=v, locale="en").document for v in (1, 2)} == shown
    # Same content and the same rows: no new version, no row written.
    assert publish_policy(gh).created is False
    with gh.engine.begin() as c:
        c.execute(update(recipients).where(recipients.c.id == ids[0]).values(legal_name="Zed AG"))
    third = publish_policy(gh).version
    assert third.version == 3 and third.documents == {}
    with gh.engine.connect() as c:
        # The converted rows hash as publishing hashes them: only the renamed one is written.
        assert c.execute(select(func.count()).select_from(policy_entrustees)).scalar() == 12
    after = _tables(gh, 3)[("en", "entrustment")]
    assert [r[1] for r in after][-1] == "Zed AG"
    assert _tables(gh, 1) == before[1]
    # A version stored whole (as an instance older than 0025 may still write one during a
    # rolling upgrade) is read from its documents, the same rows in the same order.
    with gh.engine.begin() as c:
        c.execute(
            insert(policy_versions).values(
                version=4,
                content_hash="f" * 64,
                documents=stored[2],
                register_digest=second.register_digest,
                register_count=second.register_count,
                changes=[],
                material=False,
                published_at=second.published_at,
                effective_at=second.effective_at,
                profile_version=second.profile_version,
            )
        )
    assert _tables(gh, 4) == before[2]
