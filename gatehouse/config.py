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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read settings; with nothing set, use an SQLite file and a key file in the cwd."""
        env = dict(os.environ if environ is None else environ)
        url = env.get("GATEHOUSE_DATABASE_URL") or f"sqlite:///{DEFAULT_DATABASE_FILE}"
        key_file = Path(env.get("GATEHOUSE_KEY_FILE") or DEFAULT_KEY_FILE)
        rules = env.get("GATEHOUSE_RULES_DIR")
        return cls(
            database_url=url,
            key_file=key_file,
            environ=env,
            rules_dir=Path(rules) if rules else None,
        )
