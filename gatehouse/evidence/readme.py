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


def bundle_readme(start: str, end: str, checkpoints: tuple[int, int], entries: int) -> str:
    """The bundle's README for the window ``[start, end)`` and checkpoints ``#first..#latest``."""
    first, latest = checkpoints
    queries = "\n\n".join(f"{title}:\n\n```sql\n{sql}\n```" for title, sql in AUDIT_QUERIES)
    return f"""# Gatehouse evidence bundle

Ledger entries stamped from {start} up to (not including) {end}: {entries} entries, tied to
signed checkpoint #{latest}. The bundle also carries every checkpoint signed from #{first} to
#{latest}. The ledger holds identifiers and facts, never a customer's name, phone number or
address.

## Files

- `entries.jsonl`: one ledger entry per line, every field exactly as it was hashed.
- `entries.parquet`: the same entries for analysis, with `at_utc` as a timestamp and
  `payload` as JSON text.
- `chain.json`: for each shard, the state its first exported entry chains from (the previous
  entry's hash and the Merkle frontier) and an RFC 6962 consistency proof to the checkpoint.
- `checkpoint.json`: the Ed25519-signed checkpoint the entries are proven against: every
  shard's size and Merkle root. It is the latest one.
- `checkpoints/`: every signed checkpoint from the last one signed at or before the window's
  start (or the ledger's first, if none is that old) up to the latest, one file each, named
  by its number (`000042.json` is checkpoint #42), exactly as Gatehouse published it.
- `checkpoint_links.json`: for each checkpoint and the one after it, per shard, an RFC 6962
  consistency proof that the later shard tree only adds entries to the earlier one.
- `public_key.json`, `public_key.pem`: the checkpoint key and its fingerprint. Compare the
  fingerprint with the one the operator publishes at `/.well-known/gatehouse/checkpoint`.
- `policies/`: every privacy-policy version (number, dates, content hash, documents).
- `verify.py`: the stand-alone verifier.
- `manifest.json`: the SHA-256 of every other file. `manifest.sig`: an Ed25519 signature
  (base64) over the exact bytes of `manifest.json`, made with the checkpoint key.

## Verify

On any machine with Python 3.11 or later, keep the virtual environment outside this folder
(every file in it must be one the manifest lists):

```sh
python -m venv ~/gatehouse-verify
~/gatehouse-verify/bin/pip install cryptography
~/gatehouse-verify/bin/python verify.py .
```

It prints `yes` and exits 0 when all of these check out:

1. Every checkpoint is signed by the bundled public key, their numbers follow one another
   without a gap, no checkpoint is dated before the one it follows, and each shard of each
   checkpoint is proven to extend the same shard of the checkpoint before it. A history
   rewritten and signed again by someone holding the key would still agree with itself:
   what exposes it is a checkpoint you kept from before (see below).
2. Every entry's hash and every chain link, and the consistency proof that ties each shard's
   entries to the latest checkpoint.
3. The manifest's signature, and every file against its SHA-256: a file changed, missing or
   added is named. Files and folders whose names start with a dot (such as `.DS_Store`) are
   ignored.

Otherwise it prints `no`, the first bad item (an entry by shard and seq, a checkpoint by
number and shard, or a file by name) and the reason, and exits 1. `verify.py` checks the
JSONL; the Parquet is a copy for queries, covered by the manifest.

## Check against a checkpoint you kept

Keep `checkpoint.json` from every bundle you receive, or a checkpoint the operator gave you
(the JSON of `GET /v1/ledger/checkpoints/latest`). Give it to the next bundle's verifier:

```sh
~/gatehouse-verify/bin/python verify.py . --trusted saved-checkpoint.json
```

It then also checks that your checkpoint is one of this bundle's checkpoints: same number,
same root, same signature. A different checkpoint under the same number means the ledger's
history was changed after you saved yours. A checkpoint older than #{first} or newer than
#{latest} cannot be checked against this bundle: ask for a bundle whose window starts before
yours was signed, or for a fresh one.

## Audit queries (DuckDB)

Run `duckdb` in this folder (or `python -c "import duckdb; print(duckdb.sql(...))"`).

{queries}
"""
