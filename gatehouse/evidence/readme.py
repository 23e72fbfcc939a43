"""The README.md written into every evidence bundle: what is in it, how to verify, what to ask."""

from __future__ import annotations

__all__ = ["AUDIT_QUERIES", "bundle_readme"]

# (title, DuckDB SQL over the bundle's Parquet); the payload fields are those transfer
# decisions write to the ledger (see gatehouse/services/transfers.py).
AUDIT_QUERIES: tuple[tuple[str, str], ...] = (
    (
        "Allowed transfers by lawful basis",
        "SELECT json_extract_string(payload, '$.basis') AS basis, count(*) AS transfers\n"
        "FROM 'entries.parquet'\n"
        "WHERE kind = 'transfer.allowed'\n"
        "GROUP BY basis ORDER BY transfers DESC;",
    ),
    (
        "Refused transfers by reason",
        "SELECT json_extract_string(payload, '$.refusal') AS reason, count(*) AS refusals\n"
        "FROM 'entries.parquet'\n"
        "WHERE kind = 'transfer.refused'\n"
        "GROUP BY reason ORDER BY refusals DESC;",
    ),
    (
        "Allowed transfers by recipient country and month",
        "SELECT json_extract_string(payload, '$.country') AS country,\n"
        "       strftime(at_utc, '%Y-%m') AS month, count(*) AS transfers\n"
        "FROM 'entries.parquet'\n"
        "WHERE kind = 'transfer.allowed'\n"
        "GROUP BY country, month ORDER BY month, country;",
    ),
)


def bundle_readme(start: str, end: str, checkpoint_sequence: int, entries: int) -> str:
    """The bundle's README for the window ``[start, end)``."""
    queries = "\n\n".join(f"{title}:\n\n```sql\n{sql}\n```" for title, sql in AUDIT_QUERIES)
    return f"""# Gatehouse evidence bundle

Ledger entries stamped from {start} up to (not including) {end}: {entries} entries, tied to
signed checkpoint #{checkpoint_sequence}. The ledger holds identifiers and facts, never a
customer's name, phone number or address.

## Files

- `entries.jsonl`: one ledger entry per line, every field exactly as it was hashed.
- `entries.parquet`: the same entries for analysis, with `at_utc` as a timestamp and
  `payload` as JSON text.
- `chain.json`: for each shard, the state its first exported entry chains from (the previous
  entry's hash and the Merkle frontier) and an RFC 6962 consistency proof to the checkpoint.
- `checkpoint.json`: the Ed25519-signed checkpoint: every shard's size and Merkle root.
- `public_key.json`, `public_key.pem`: the checkpoint key and its fingerprint. Compare the
  fingerprint with the one the operator publishes at `/.well-known/gatehouse/checkpoint`.
- `policies/`: every privacy-policy version (number, dates, content hash, documents).
- `verify.py`: the stand-alone verifier. `manifest.json`: the SHA-256 of every file.

## Verify

On any machine with Python 3.11 or later:

```sh
python -m venv venv
venv/bin/pip install cryptography
venv/bin/python verify.py .
```

It prints `yes` and exits 0 when every entry's hash, every chain link, the consistency proof
to the checkpoint, the checkpoint's signature and the manifest check out. Otherwise it prints
`no`, the first bad entry (shard and seq) and the reason, and exits 1. `verify.py` checks the
JSONL; the Parquet is a copy for queries, covered by the manifest.

## Audit queries (DuckDB)

Run `duckdb` in this folder (or `python -c "import duckdb; print(duckdb.sql(...))"`).

{queries}
"""
