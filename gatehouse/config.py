"""Settings read from the environment, in one place, so every entry point agrees."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Settings", "DEFAULT_DATABASE_FILE", "DEFAULT_KEY_FILE", "MAX_BODY_BYTES"]

DEFAULT_DATABASE_FILE = "gatehouse.db"
DEFAULT_KEY_FILE = "gatehouse.key"
# Bodies above 1 MiB are refused before parsing: no legitimate request comes near it.
MAX_BODY_BYTES = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Where the database and the master key live."""

    database_url: str
    key_file: Path
    environ: Mapping[str, str]
    rules_dir: Path | None = None
    # Ledger anchors: a directory outside the database (WORM storage, another host) where
    # every signed checkpoint is also written, once, and never overwritten.
    checkpoint_dir: Path | None = None
    # Ledger archives: the directory of the Parquet files that old entries are moved to by
    # `gatehouse ledger archive`; verification and proofs read them from here.
    archive_dir: Path | None = None
    # Webhooks: hosts and networks beyond the public internet that webhooks may reach (a
    # comma-separated list, checked when Gatehouse opens; see services/webhook_address.py).
    webhook_allow: str = ""
    # The per-key request rate: empty keeps it in each process; "database" or a redis:// URL
    # shares it between processes and hosts (see services/rate_backends.py).
    rate_limit_url: str = ""
    # A read replica of the database, for the pages that may show data a moment old (the
    # console, the registers, the audit); None reads everything from ``database_url``. Writes,
    # and reads that decide or answer right after a change, always go to ``database_url``.
    read_database_url: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings; with nothing set, use an SQLite file and a key file in the cwd.

        ``GATEHOUSE_READ_DATABASE_URL`` names the read replica; unset or empty, there is none.
        """
        env = dict(os.environ if environ is None else environ)
        url = env.get("GATEHOUSE_DATABASE_URL") or f"sqlite:///{DEFAULT_DATABASE_FILE}"
        key_file = Path(env.get("GATEHOUSE_KEY_FILE") or DEFAULT_KEY_FILE)
        rules = env.get("GATEHOUSE_RULES_DIR")
        anchors = env.get("GATEHOUSE_CHECKPOINT_DIR")
        archives = env.get("GATEHOUSE_ARCHIVE_DIR")
        return cls(
            database_url=url,
            key_file=key_file,
            environ=env,
            rules_dir=Path(rules) if rules else None,
            checkpoint_dir=Path(anchors) if anchors else None,
            archive_dir=Path(archives) if archives else None,
            webhook_allow=env.get("GATEHOUSE_WEBHOOK_ALLOW", ""),
            rate_limit_url=env.get("GATEHOUSE_RATE_LIMIT_URL", ""),
            read_database_url=env.get("GATEHOUSE_READ_DATABASE_URL") or None,
        )
