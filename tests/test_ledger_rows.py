"""Entry rows on real databases: the payload is stored as its canonical text, and the database
assembles each entry's canonical bytes exactly, whatever its strings hold."""

from __future__ import annotations

import pytest

from gatehouse.ledger import LedgerEntry
from gatehouse.services import ledger
from gatehouse.store.ledger import consistent_read
from gatehouse.store.ledger_rows import leaf_documents
from tests.conftest import Fresh

AWKWARD = [
    "plain",
    'a "quote" and a \\ backslash',
    "주소 and ünïcödé",
    "tab\tnew\nline",
    "\x01",
    "\x7f\u2028",
]


@pytest.mark.parametrize("text", AWKWARD)
def test_the_database_assembles_the_canonical_bytes(fresh: Fresh, text: str) -> None:
    gh = fresh.gatehouse
    entries: list[LedgerEntry] = []
    for number in range(3):
        with gh.engine.begin() as connection:
            entries.append(
                ledger.append(
                    connection,
                    kind=f"test.{number}",
                    at=gh.clock(),
                    subject_id=None,
                    recipient_id=text if number else None,
                    payload={"z": text, "a": [text, number, None, True], "m": {"k": text}},
                )
            )

    with consistent_read(gh.engine) as connection:
        rows = leaf_documents(connection, 0, 0, 10)

    assert [row[0] for row in rows] == [0, 1, 2]
    for (seq, document, entry_hash, prev_hash), entry in zip(rows, entries, strict=True):
        assert (seq, entry_hash, prev_hash) == (entry.seq, entry.entry_hash, entry.prev_hash)
        assert bytes(document) == entry.canonical()
