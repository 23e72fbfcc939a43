"""The policy's entrustee tables a page at a time, on the in-memory unit of work: pages in
order with their cursors, a name search, what a page reads, the check that catches a lost
page, and versions stored whole before the tables were kept apart."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest

from gatehouse.domain.errors import InvalidInput
from gatehouse.domain.operator_profile import DomesticAgent
from gatehouse.domain.privacy_policy import (
    PolicyDocument,
    PolicyIncomplete,
    document_content,
    policy_hash,
)
from gatehouse.domain.recipients import RecipientKind
from gatehouse.services import operator_profile
from gatehouse.services.policy_entrustees import EntrusteeQuery, version_table
from gatehouse.services.policy_reading import show_policy
from gatehouse.services.policy_storage import full_document
from gatehouse.services.privacy_policy import name_key, publish_policy
from tests.support.fake_policy import FakePolicyDocuments
from tests.support.fake_world import World, new_world
from tests.support.fakes import make_recipient
from tests.support.operator_profiles import AGENT, make_profile


@pytest.fixture
def w() -> World:
    world = new_world()
    operator_profile.set_profile(
        world.gh, make_profile(total=2_000_000_000_000, agent=DomesticAgent(**AGENT))
    )
    return world


def _entrustees(w: World, count: int, *, country: str = "DE") -> list[str]:
    """``count`` logistics companies named out of order; their ids in the tables' order."""
    added = []
    for i in range(count):
        name = f"Parcel {(i * 7919) % 1000:03d} GmbH"
        r = dataclasses.replace(
            make_recipient(country=country, kind=RecipientKind.LOGISTICS), legal_name=name
        )
        w.db.add_recipient(r)
        added.append((name_key(name), r.id))
    return [rid for _, rid in sorted(added)]


def _rows(document: PolicyDocument, section: str) -> tuple[tuple[str, ...], ...]:
    found = document.section(section)
    table = None if found is None else found.table("entrustees")
    assert table is not None
    return table.rows


def _keys(rows: tuple[tuple[str, ...], ...]) -> list[str]:
    return [row[0] for row in rows]


def _walk(w: World, section: str, limit: int, **kw: Any) -> Iterator[list[str]]:
    cursor = None
    while True:
        found = version_table(w.gh, EntrusteeQuery(section, cursor=cursor, limit=limit, **kw))
        yield _keys(found.page.table.rows)
        cursor = found.page.next_cursor
        if cursor is None:
            return


def test_page_one_and_the_next_cursors_page_hold_the_right_rows_in_order(w: World) -> None:
    order = _entrustees(w, 45)
    publish_policy(w.gh)
    shown = show_policy(w.gh)
    for section in ("entrustment", "overseas_transfer"):
        assert _keys(_rows(shown.document, section)) == order[:20]
        page = shown.tables[section]
        assert page.total == 45 and page.next_cursor is not None
        second = show_policy(w.gh, browse=EntrusteeQuery(section, cursor=page.next_cursor))
        assert _keys(_rows(second.document, section)) == order[20:40]
        assert [len(p) for p in _walk(w, section, 20)] == [20, 20, 5]
        assert sum(_walk(w, section, 20), []) == order


def test_the_overseas_table_lists_only_the_entrustees_abroad(w: World) -> None:
    abroad = _entrustees(w, 3, country="SG")
    home = _entrustees(w, 2, country="KR")
    publish_policy(w.gh)
    shown = show_policy(w.gh)
    assert shown.tables["entrustment"].total == 5
    assert shown.tables["overseas_transfer"].total == 3
    assert set(sum(_walk(w, "overseas_transfer", 2), [])) == set(abroad)
    assert set(sum(_walk(w, "entrustment", 2), [])) == set(abroad + home)


def test_a_name_search_pages_through_the_matches_only(w: World) -> None:
    _entrustees(w, 30)
    target = w.db.add_recipient(
        dataclasses.replace(
            make_recipient(country="DE", kind=RecipientKind.LOGISTICS),
            legal_name="ＮＯＲＤ Fracht AG",
        )
    )
    publish_policy(w.gh)
    found = version_table(w.gh, EntrusteeQuery("entrustment", search="nord  fracht"))
    assert _keys(found.page.table.rows) == [target.id]
    assert found.page.total == 31 and found.page.next_cursor is None
    shown = show_policy(w.gh, browse=EntrusteeQuery("entrustment", search="no such name"))
    # A search that matches nothing is an empty page, not an incomplete policy.
    assert shown.tables["entrustment"].table.rows == ()
    with pytest.raises(InvalidInput) as bad:
        show_policy(w.gh, browse=EntrusteeQuery("entrustment", cursor="p.xyz"))
    assert bad.value.code == "invalid_cursor"
    with pytest.raises(InvalidInput) as bad:
        version_table(w.gh, EntrusteeQuery("remedies"))
    assert bad.value.code == "invalid_table"


def test_a_page_reads_the_same_rows_at_5_300_or_1000_entrustees(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    returned: list[int] = []
    page = FakePolicyDocuments.page

    def counted(self: FakePolicyDocuments, where: Any, limit: int) -> Any:
        rows = page(self, where, limit)
        returned.append(len(rows))
        return rows

    monkeypatch.setattr(FakePolicyDocuments, "page", counted)
    read = []
    for count in (5, 300, 1000):
        world = new_world()
        operator_profile.set_profile(
            world.gh, make_profile(total=2_000_000_000_000, agent=DomesticAgent(**AGENT))
        )
        _entrustees(world, count)
        publish_policy(world.gh)
        returned.clear()
        shown = show_policy(world.gh)
        assert shown.tables["entrustment"].total == count
        read.append(sum(returned))
    # Each table's first page and one row more, to know whether there is a next: 2 x 21.
    assert read == [10, 42, 42]


def test_the_hash_covers_every_row_and_the_whole_document_comes_back(w: World) -> None:
    _entrustees(w, 25)
    first = publish_policy(w.gh).version
    # Nothing changed: the same content hash, no new version.
    assert publish_policy(w.gh).created is False
    documents = []
    with w.gh.unit_of_work(read_only=True) as uow:
        for language in ("ko", "en"):
            whole = full_document(uow, first, language)
            assert whole is not None
            documents.append(whole)
    assert policy_hash(documents, first.register_digest, _disclosures(w, first)) == (
        first.content_hash
    )
    # The stored version keeps no entrustee rows in its documents.
    assert first.documents == {}
    assert all(
        not t["rows"]
        for c in w.db.tables.policy_documents.values()
        for s in c["sections"]
        if s["key"] in ("entrustment", "overseas_transfer")
        for t in s["tables"]
        if t["key"] == "entrustees"
    )
    # One entrustee's contact changes: a new version, and one entrustee row written.
    rows_before = len(w.db.tables.policy_entrustees)
    changed = next(r for r in w.db.tables.recipients.values() if r.kind is RecipientKind.LOGISTICS)
    w.db.tables.recipients[changed.id] = dataclasses.replace(
        changed, contact_email="new-desk@parcel.example.de"
    )
    w.advance(hours=1)
    second = publish_policy(w.gh)
    assert second.created and second.version.content_hash != first.content_hash
    assert len(w.db.tables.policy_entrustees) == rows_before + 1
    assert {"section": "overseas_transfer", "kind": "changed", "material": False, "count": 0} in (
        second.version.changes
    )
    # The first version still shows the old contact, the second the new one.
    old = version_table(w.gh, EntrusteeQuery("overseas_transfer", limit=200), version=1)
    new = version_table(w.gh, EntrusteeQuery("overseas_transfer", limit=200), version=2)
    assert "new-desk@parcel.example.de" not in str(old.page.table.rows)
    assert "new-desk@parcel.example.de" in str(new.page.table.rows)


def _disclosures(w: World, version: Any) -> str:
    """The disclosures' digest the version was hashed with (as publish_policy computes it)."""
    rows = [
        dataclasses.asdict(d) for v, d in w.db.tables.policy_disclosures if v == version.version
    ]
    canonical = json.dumps(rows, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def test_a_version_stored_whole_before_still_renders_and_pages(w: World) -> None:
    order = _entrustees(w, 25)
    publish_policy(w.gh)
    # Turn version 1 into the form versions took before 0025: documents whole, in the row.
    with w.gh.unit_of_work(read_only=True) as uow:
        stored = uow.policies.get(1)
        assert stored is not None
        whole = {lang: full_document(uow, stored, lang) for lang in ("ko", "en")}
    t = w.db.tables
    t.policy_versions[0] = dataclasses.replace(
        t.policy_versions[0],
        documents={lang: document_content(d) for lang, d in whole.items() if d is not None},
    )
    t.policy_documents.clear()
    t.policy_entrustees.clear()
    shown = show_policy(w.gh, version=1, locale="en")
    assert shown.tables["entrustment"].total == 25
    assert _keys(_rows(shown.document, "entrustment")) == order[:20]
    assert sum(_walk(w, "entrustment", 7), []) == order
    # The next publish has the same content: no new version, and the change log still works.
    assert publish_policy(w.gh).created is False


def test_a_page_lost_from_a_table_that_has_rows_fails_the_check(w: World) -> None:
    _entrustees(w, 3)
    publish_policy(w.gh)
    w.db.tables.policy_entrustees.clear()
    with pytest.raises(PolicyIncomplete) as raised:
        show_policy(w.gh)
    assert raised.value.item == "entrustment.entrustees"
