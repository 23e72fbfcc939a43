"""Splitting the policy's long tables from the document and putting them back."""

from __future__ import annotations

from gatehouse.domain.policy_pages import (
    compact,
    fold_name,
    paged_rows,
    with_page,
    with_rows,
)
from gatehouse.domain.privacy_policy import (
    PolicyDocument,
    Section,
    Table,
    document_content,
    document_from_content,
    policy_hash,
)

_COLUMNS = ("key", "entrustee", "country")


def _document(rows: tuple[tuple[str, ...], ...]) -> PolicyDocument:
    table = Table("entrustees", _COLUMNS, ("", "Entrustee", "Country"), rows)
    other = Table("countries", ("key", "country"), ("", "Country"), (("DE", "Germany"),))
    return PolicyDocument(
        "en",
        "Privacy policy",
        "Preamble",
        (
            Section("entrustment", "Entrusted processing", None, ("We entrust.",), (), (table,)),
            Section("overseas_transfer", "Overseas", None, ("Abroad.",), (), (table, other)),
            Section("remedies", "Remedies", None, ("Ask.",)),
        ),
        agent_required=False,
    )


ROWS = (("rcp_1", "Alpha GmbH", "Germany"), ("rcp_2", "Beta GmbH", "Germany"))


def test_compact_keeps_the_count_and_with_rows_restores_the_hashed_content() -> None:
    whole = _document(ROWS)
    small = compact(whole)
    assert paged_rows(small) == {"entrustment": (), "overseas_transfer": ()}
    section = small.section("overseas_transfer")
    assert section is not None
    table, countries = section.tables
    assert table.rows == () and table.total == 2
    # The other table of the section is left whole.
    assert countries.rows == (("DE", "Germany"),) and countries.total is None
    stored = document_from_content(document_content(small))
    assert stored == small
    back = with_rows(stored, paged_rows(whole))
    assert back == whole
    assert document_content(back) == document_content(whole)
    # A whole table's content has no total, as before tables were split: the hash is unchanged.
    assert "total" not in str(document_content(whole))
    assert policy_hash([back], "r") == policy_hash([whole], "r")


def test_a_page_keeps_the_table_total() -> None:
    small = compact(_document(ROWS))
    page = with_page(small, {"entrustment": ROWS[:1], "overseas_transfer": ROWS[:1]})
    section = page.section("entrustment")
    assert section is not None and section.tables[0].rows == ROWS[:1]
    assert section.tables[0].total == 2
    # A section left out gets an empty page; check_policy refuses that while the total is
    # above 0 (tests/test_service_policy_entrustees.py shows it on a whole policy).
    lost = with_page(small, {"overseas_transfer": ROWS[:1]})
    section = lost.section("entrustment")
    assert section is not None and section.tables[0].rows == ()
    empty = compact(_document(()))
    assert paged_rows(empty) == {"entrustment": (), "overseas_transfer": ()}
    section = empty.section("entrustment")
    assert section is not None and section.tables[0].total == 0


def test_names_fold_for_order_and_search() -> None:
    assert fold_name("  ＡＢ  c ") == "ab c"
    assert len(fold_name("x" * 500)) == 200
