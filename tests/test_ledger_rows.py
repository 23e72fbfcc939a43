"""Entry rows on real databases: the payload is stored as its canonical text, and the database
assembles each entry's canonical bytes exactly, whatever its strings hold and whatever an
insider defined beside the ledger."""

from __future__ import annotations

import pytest

from gatehouse.ledger import BadEntry, LedgerEntry
from gatehouse.services import ledger, ledger_keys
from gatehouse.services.ledger_verify import verify_sharded
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


# What an insider who may create objects in the database defines beside the ledger: a
# function that writes an edited kind back as the one the entry was signed with.
_FORGED_TO_JSON = """
CREATE FUNCTION {schema}.to_json(value character varying) RETURNS json
LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN value = 'test.edited' THEN '"test.run"'::json
    ELSE pg_catalog.to_json(value::text) END
$$
"""


@pytest.mark.parametrize("schema", ["public", "forged"])
def test_a_function_defined_beside_the_ledger_cannot_assemble_an_edited_entry_back(
    postgres_fresh: Fresh, schema: str
) -> None:
    """The database assembles the canonical bytes with the system catalog's functions and
    operators named in full, so one of the same name defined in a schema the search path
    lists (the tables' own, or one listed before the catalog) cannot turn an edited entry's
    columns back into the bytes its hash covers: the verifier names the edit."""
    gh = postgres_fresh.gatehouse
    for number in range(6):
        with gh.engine.begin() as connection:
            ledger.append(
                connection, kind="test.run", at=gh.clock(), subject_id=None,
                recipient_id=None, payload={"n": number},
            )  # fmt: skip
    keys = ledger_keys.trusted_keys(gh)
    database = gh.engine.url.database
    with gh.engine.begin() as connection:
        connection.exec_driver_sql("UPDATE ledger_entries SET kind = 'test.edited' WHERE seq = 3")
        connection.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        connection.exec_driver_sql(_FORGED_TO_JSON.format(schema=schema))
        connection.exec_driver_sql(
            f'ALTER DATABASE "{database}" SET search_path = {schema}, pg_catalog, public'
        )
    gh.engine.dispose()  # new connections take the database's search path

    with consistent_read(gh.engine) as connection:
        (seq, document, _, _) = leaf_documents(connection, 0, 3, 4)[0]
    url = gh.engine.url.render_as_string(hide_password=False)
    result = verify_sharded(gh.engine, url, keys, workers=1)

    assert b'"kind":"test.edited"' in bytes(document)
    assert not result.ok
    assert result.first_bad == BadEntry(0, 3, "hash mismatch (entry was edited)")
