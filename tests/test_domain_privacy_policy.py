"""The privacy policy's domain, with no database: the builder states every required item, the
schema check names whichever one is missing, and versions hash, diff and take effect as the
pack says."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from gatehouse.domain.operator_profile import DomesticAgent, domestic_agent_requirement
from gatehouse.domain.policy import RulePack
from gatehouse.domain.policy.policy_texts import REQUIRED_SECTIONS
from gatehouse.domain.policy_document import (
    NamedRecipient,
    PolicyFacts,
    RegisterSummary,
    VersionFacts,
    build_policy,
    with_changes,
)
from gatehouse.domain.privacy_policy import (
    Change,
    Fact,
    PolicyDocument,
    PolicyIncomplete,
    Section,
    Table,
    changes_between,
    check_policy,
    document_content,
    document_from_content,
    effective_from,
    policy_hash,
)
from gatehouse.rules import PACKS_DIR, load_pack
from tests.support.operator_profiles import AGENT, make_profile

AT = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
_AGENT = DomesticAgent(**AGENT)


@pytest.fixture(scope="module")
def pack() -> RulePack:
    return load_pack(PACKS_DIR / "kr-pipa.toml")


def _storage(**changes: object) -> NamedRecipient:
    base = NamedRecipient(
        id="rcp_store",
        legal_name="Harbour Cold Storage Pte. Ltd.",
        kind="storage",
        country="SG",
        contact_phone="+6561234567",
        contact_email="ops@harbour-storage.example.sg",
        officer_name="Tan Mei Ling",
        officer_email="dpo@harbour-storage.example.sg",
        officer_phone="+6561234568",
        purposes=("fulfilment",),
        retention_days=30,
        disclosed=True,
    )
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def _facts(pack: RulePack, *, named: tuple[NamedRecipient, ...] | None = None) -> PolicyFacts:
    # Over the revenue threshold with no Korean establishment: an agent is required.
    profile = make_profile(total=2_000_000_000_000, agent=_AGENT)
    register = RegisterSummary(
        recipients=3,
        countries=(("CN", 2, 1), ("SG", 1, 0)),
        consent_only=2,
        since=AT - timedelta(days=365),
        until=AT,
    )
    return PolicyFacts(
        profile=profile,
        agent=domestic_agent_requirement(profile, pack.domestic_agent),
        named=(_storage(),) if named is None else named,
        register=register,
    )


def _versioned(pack: RulePack, language: str = "ko") -> PolicyDocument:
    document = build_policy(pack, _facts(pack), language)
    return with_changes(pack, document, VersionFacts(1, AT, AT, "a" * 64))


@pytest.mark.parametrize("language", ["ko", "en"])
def test_the_built_policy_has_every_section_in_order_and_passes(
    pack: RulePack, language: str
) -> None:
    document = _versioned(pack, language)
    check_policy(document)
    assert [s.key for s in document.sections] == list(REQUIRED_SECTIONS)
    assert all(s.heading for s in document.sections)
    remedies = document.section("remedies")
    assert remedies is not None
    table = remedies.table("remedies")
    assert table is not None
    assert [row[2] for row in table.rows] == ["118", "1833-6972", "1301", "182"]


def test_the_overseas_section_names_each_entrustee_with_every_item(pack: RulePack) -> None:
    section = _versioned(pack, "en").section("overseas_transfer")
    assert section is not None
    table = section.table("entrustees")
    assert table is not None
    (row,) = table.rows
    cells = dict(zip(table.columns, row, strict=True))
    assert cells["entrustee"] == "Harbour Cold Storage Pte. Ltd."
    assert cells["country"] == "Singapore"
    assert "ops@harbour-storage.example.sg" in cells["contact"]
    assert "Tan Mei Ling" in cells["officer_contact"]
    assert cells["retention"] == "30 days"
    assert "28-8(1) 3" in cells["legal_basis"]
    assert all(cells.values())
    basis = section.fact("legal_basis")
    assert basis is not None and "28-8(1) 1" in basis.value and "28-8(1) 3" in basis.value


def test_a_storage_provider_without_a_disclosure_rests_on_consent_only(pack: RulePack) -> None:
    facts = _facts(pack, named=(_storage(disclosed=False),))
    section = build_policy(pack, facts, "en").section("overseas_transfer")
    assert section is not None
    basis = section.fact("legal_basis")
    assert basis is not None and "28-8(1) 3" not in basis.value


def test_no_entrustee_is_said_in_words_not_left_empty(pack: RulePack) -> None:
    document = build_policy(pack, _facts(pack, named=()), "ko")
    check_policy(document, with_changes=False)
    section = document.section("entrustment")
    assert section is not None and section.paragraphs[-1] == "해당 없음"


def test_an_operator_that_needs_no_agent_says_so(pack: RulePack) -> None:
    profile = make_profile(establishment=True)
    facts = dataclasses.replace(
        _facts(pack),
        profile=profile,
        agent=domestic_agent_requirement(profile, pack.domestic_agent),
    )
    document = build_policy(pack, facts, "ko")
    check_policy(document, with_changes=False)
    section = document.section("domestic_agent")
    assert section is not None and not section.facts
    assert "국내대리인 지정 대상이 아닙니다" in section.paragraphs[0]


def _required_items(document: PolicyDocument) -> Iterator[tuple[str, PolicyDocument]]:
    """Each required item of ``document`` with the document that lacks it."""

    def swap(key: str, section: Section | None) -> PolicyDocument:
        kept = tuple(
            s if s.key != key else section for s in document.sections if section or s.key != key
        )
        return dataclasses.replace(document, sections=tuple(s for s in kept if s is not None))

    yield "title", dataclasses.replace(document, title=" ")
    yield "preamble", dataclasses.replace(document, preamble="")
    for section in document.sections:
        yield section.key, swap(section.key, None)
        if section.paragraphs:
            blank = dataclasses.replace(section, paragraphs=("",) + section.paragraphs[1:])
            yield section.key, swap(section.key, blank)
        for fact in section.facts:
            empty = Fact(fact.key, fact.label, "  ")
            facts = tuple(empty if f.key == fact.key else f for f in section.facts)
            yield (
                f"{section.key}.{fact.key}",
                swap(section.key, dataclasses.replace(section, facts=facts)),
            )
        for table in section.tables:
            for row in table.rows:
                for index, column in enumerate(table.columns[1:], start=1):
                    cells = row[:index] + ("",) + row[index + 1 :]
                    rows = tuple(cells if r is row else r for r in table.rows)
                    changed = dataclasses.replace(table, rows=rows)
                    tables = tuple(changed if t is table else t for t in section.tables)
                    yield (
                        f"{section.key}.{table.key}[{row[0]}].{column}",
                        swap(section.key, dataclasses.replace(section, tables=tables)),
                    )


def test_removing_any_required_item_fails_naming_it(pack: RulePack) -> None:
    document = _versioned(pack)
    checked = 0
    for item, broken in _required_items(document):
        with pytest.raises(PolicyIncomplete) as raised:
            check_policy(broken)
        assert raised.value.item == item
        assert raised.value.details == {"item": item}
        checked += 1
    # Every section, the facts and each table cell of the demo-sized document.
    assert checked > 100


@pytest.mark.parametrize(
    ("section", "table"),
    [
        ("purposes", "purposes"),
        ("items", "items"),
        ("retention", "retention"),
        ("rights", "channels"),
        ("remedies", "remedies"),
    ],
)
def test_an_empty_required_table_is_named(pack: RulePack, section: str, table: str) -> None:
    document = _versioned(pack)
    sections = tuple(
        dataclasses.replace(
            s,
            tables=tuple(
                dataclasses.replace(t, rows=()) if t.key == table else t for t in s.tables
            ),
        )
        if s.key == section
        else s
        for s in document.sections
    )
    with pytest.raises(PolicyIncomplete) as raised:
        check_policy(dataclasses.replace(document, sections=sections))
    assert raised.value.item == f"{section}.{table}"


@pytest.mark.parametrize("missing", ["name", "address", "phone", "email"])
def test_a_required_agent_missing_a_particular_is_named(pack: RulePack, missing: str) -> None:
    agent = dataclasses.replace(_AGENT, **{missing: None})
    profile = make_profile(total=2_000_000_000_000, agent=agent)
    facts = dataclasses.replace(
        _facts(pack),
        profile=profile,
        agent=domestic_agent_requirement(profile, pack.domestic_agent),
    )
    with pytest.raises(PolicyIncomplete) as raised:
        check_policy(build_policy(pack, facts, "ko"), with_changes=False)
    assert raised.value.item == f"domestic_agent.{missing}"


def test_a_pack_without_policy_wording_cannot_build_one(pack: RulePack) -> None:
    bare = pack.model_copy(update={"privacy_policy": None})
    with pytest.raises(PolicyIncomplete) as raised:
        build_policy(bare, _facts(pack), "ko")
    assert raised.value.item == "privacy_policy"


def test_the_hash_covers_every_language_and_the_register(pack: RulePack) -> None:
    ko = build_policy(pack, _facts(pack), "ko")
    en = build_policy(pack, _facts(pack), "en")
    base = policy_hash([ko, en], "r" * 64)
    assert policy_hash([en, ko], "r" * 64) == base
    assert policy_hash([ko, en], "s" * 64) != base
    changed = build_policy(pack, _facts(pack, named=(_storage(contact_email="x@y.sg"),)), "en")
    assert policy_hash([ko, changed], "r" * 64) != base
    # The version's own number and dates are not content.
    versioned = with_changes(pack, ko, VersionFacts(7, AT, AT, "b" * 64))
    assert policy_hash([versioned, en], "r" * 64) == base


def test_a_stored_document_reads_back_equal(pack: RulePack) -> None:
    document = build_policy(pack, _facts(pack), "ko")
    assert document_from_content(document_content(document)) == document


def test_changes_name_the_sections_and_count_the_register(pack: RulePack) -> None:
    old = build_policy(pack, _facts(pack), "ko")
    more = dataclasses.replace(
        _facts(pack),
        register=dataclasses.replace(_facts(pack).register, recipients=9, consent_only=8),
    )
    counted = build_policy(pack, more, "ko")
    material = pack.privacy_policy.material_sections if pack.privacy_policy else []
    # Only the register's counts moved: no section changed, so nothing material.
    assert changes_between(old, counted, (6, 0, 0), material) == [
        Change("register", "added", False, 6)
    ]
    renamed = build_policy(pack, _facts(pack, named=(_storage(legal_name="New Store Ltd."),)), "ko")
    changes = changes_between(old, renamed, (0, 0, 1), material)
    assert Change("entrustment", "changed", True) in changes
    assert Change("overseas_transfer", "changed", True) in changes
    first = changes_between(None, old, (3, 0, 0), material)
    assert {c.section for c in first if c.kind == "added"} >= set(REQUIRED_SECTIONS) - {"changes"}


def test_material_changes_wait_the_notice_period_and_versions_never_overtake() -> None:
    material = [Change("purposes", "changed", True)]
    minor = [Change("register", "added", False, 1)]
    assert effective_from(AT, material, 7, None) == AT
    assert effective_from(AT, material, 7, AT - timedelta(days=30)) == AT + timedelta(days=7)
    assert effective_from(AT, minor, 7, AT - timedelta(days=1)) == AT
    pending = AT + timedelta(days=5)
    assert effective_from(AT, minor, 7, pending) == pending


def test_an_unknown_section_or_label_stops_the_pack(pack: RulePack) -> None:
    texts = pack.privacy_policy
    assert texts is not None
    problems = dict(texts.model_copy(update={"labels": {}}).problems(set(pack.field_labels), {}))
    assert problems["privacy_policy.labels.legal_name"] == "required label is missing"
    sections = {k: v for k, v in texts.sections.items() if k != "rights"}
    problems = dict(
        texts.model_copy(update={"sections": sections}).problems(set(pack.field_labels), {})
    )
    assert problems["privacy_policy.sections.rights"] == "required section is missing"
    problems = dict(texts.problems(set(pack.field_labels), {"contracts": ["nowhere"]}))
    assert problems["retention_holds.contracts.fields"] == "nowhere has no label"


def test_table_and_section_lookups() -> None:
    table = Table("t", ("key", "a"), ("", "A"), (("r1", "x"),))
    section = Section("s", "S", None, facts=(Fact("f", "F", "v"),), tables=(table,))
    assert section.table("t") is table and section.table("u") is None
    assert section.fact("f") == Fact("f", "F", "v") and section.fact("g") is None


def test_a_corrected_contact_is_a_change_but_not_a_material_one(pack: RulePack) -> None:
    old = build_policy(pack, _facts(pack), "ko")
    new = build_policy(
        pack, _facts(pack, named=(_storage(contact_email="new@h.example.sg"),)), "ko"
    )
    material = pack.privacy_policy.material_sections if pack.privacy_policy else []
    assert changes_between(old, new, (0, 0, 0), material) == [
        Change("overseas_transfer", "changed", False)
    ]
