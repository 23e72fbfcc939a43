"""Security invariants 1 and 6 on a fully seeded demo marketplace, on both databases.

Invariant 1: no plaintext PII at rest. Invariant 6: keys hashed, master key not in the DB.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import ahocorasick
import pytest
from sqlalchemy import MetaData, func, select

from gatehouse.config import Settings
from gatehouse.demo import SeedReport, seed_marketplace
from gatehouse.domain.contact import format_kr_national
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.store.tables import transfers
from gatehouse.vault import MasterKey
from tests.conftest import Backend, fresh_backend


@dataclass
class Seeded:
    backend: Backend
    gatehouse: Gatehouse
    report: SeedReport
    master_key: MasterKey


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def seeded(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Seeded]:
    for backend in fresh_backend(request.param, tmp_path_factory):
        key = MasterKey.generate()
        settings = Settings.from_env(
            {"GATEHOUSE_DATABASE_URL": backend.url, "GATEHOUSE_MASTER_KEY": key.to_b64()}
        )
        gh = open_gatehouse(settings)
        # The demo's full size: the invariant must hold at the scale the demo promises.
        report = seed_marketplace(gh, recipients=2000, subjects=10000)
        yield Seeded(backend, gh, report, key)
        gh.close()


def _needles(report: SeedReport) -> list[bytes]:
    values: set[str] = set()
    for pii in report.seeded_pii:
        values.update({pii.name, pii.email, pii.phone, format_kr_national(pii.phone)})
        values.add(pii.phone.replace("+82", "0"))
        if pii.customs_code:
            values.add(pii.customs_code)
    return sorted(v.encode() for v in values)


def _database_bytes(seeded: Seeded) -> list[bytes]:
    """Everything the database holds, as bytes: the files for SQLite, every cell for PostgreSQL."""
    if seeded.backend.name == "sqlite":
        with seeded.gatehouse.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        path = Path(seeded.backend.url.removeprefix("sqlite:///"))
        return [p.read_bytes() for p in (path, Path(f"{path}-wal")) if p.exists()]
    blobs: list[bytes] = []
    metadata = MetaData()
    metadata.reflect(seeded.gatehouse.engine)
    with seeded.gatehouse.engine.connect() as connection:
        for table in metadata.sorted_tables:
            for row in connection.execute(select(table)):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        blobs.append(bytes(value))
                    elif value is not None:
                        blobs.append(str(value).encode())
    return [b"\x1f".join(blobs)]


# Random ids and hashes are written in hex: 64-character hashes, 32-character ids. An
# 11-digit phone such as 01052287639 turns up inside one of them about once in two hundred
# seeded databases, by chance alone. A hit wholly inside such a run is counted apart: a stored
# phone would show up thousands of times, a coincidence once.
_RANDOM_TOKEN = 32
_HEX = frozenset(b"0123456789abcdefABCDEF")
_CHANCE_HITS_ALLOWED = 2


def _inside_random_token(haystack: bytes, start: int, end: int) -> bool:
    """Whether ``haystack[start:end]`` lies inside a run of hex characters as long as an id."""
    left = start
    while left > 0 and haystack[left - 1] in _HEX:
        left -= 1
    right = end
    while right < len(haystack) and haystack[right] in _HEX:
        right += 1
    return start > left and end < right and right - left >= _RANDOM_TOKEN


@dataclass(frozen=True)
class Scan:
    found: list[str]
    by_chance: list[str]


def _scan(haystacks: list[bytes], needles: list[bytes]) -> Scan:
    """Every needle that occurs in any haystack, in one Aho-Corasick pass per haystack."""
    automaton = ahocorasick.Automaton()
    # Latin-1 maps bytes to characters one to one, so byte strings can be searched as text.
    for needle in needles:
        automaton.add_word(needle.decode("latin-1"), needle)
    automaton.make_automaton()
    found: set[bytes] = set()
    by_chance: list[bytes] = []
    for haystack in haystacks:
        for last, needle in automaton.iter(haystack.decode("latin-1")):
            if _inside_random_token(haystack, last + 1 - len(needle), last + 1):
                by_chance.append(needle)
            else:
                found.add(needle)
    return Scan(sorted(n.decode() for n in found), sorted(n.decode() for n in by_chance))


def test_demo_scale(seeded: Seeded) -> None:
    assert seeded.report.recipients >= 2000
    assert seeded.report.countries >= 18
    assert seeded.report.subjects >= 10000
    assert len({p.name for p in seeded.report.seeded_pii}) > 1000  # realistic, varied names
    # Some order activity, so the console, the portal and the privacy center show something.
    with seeded.gatehouse.engine.connect() as connection:
        outcomes = dict(
            connection.execute(
                select(transfers.c.allowed, func.count()).group_by(transfers.c.allowed)
            ).all()
        )
    assert outcomes[True] > 100 and outcomes[False] > 0
    assert seeded.report.privacy_subject_id


def test_invariant_1_no_seeded_pii_at_rest(seeded: Seeded) -> None:
    haystacks = _database_bytes(seeded)
    needles = _needles(seeded.report)
    assert len(needles) > 30000
    scan = _scan(haystacks, needles)
    assert scan.found == [], f"{len(scan.found)} PII values in plaintext, e.g. {scan.found[:3]}"
    assert len(scan.by_chance) <= _CHANCE_HITS_ALLOWED, f"inside hex runs: {scan.by_chance[:3]}"


def test_invariant_1_check_can_fail(seeded: Seeded) -> None:
    """The scan itself works: a value that is stored in plaintext is found."""
    haystacks = _database_bytes(seeded)
    plain = [b"Co., Ltd.", b"rcp_", "테스트 아님".encode()]  # legal names and ids are not PII
    assert _scan(haystacks, plain).found == ["Co., Ltd.", "rcp_"]


def test_a_phone_inside_a_random_hash_is_chance_and_beside_one_is_found() -> None:
    phone = b"01052287639"
    digest = b"9f3c" + b"a" * 40
    inside = digest[:20] + phone + digest[20:]
    assert _scan([inside], [phone]) == Scan(found=[], by_chance=["01052287639"])
    # A stored value that merely touches a hash (SQLite packs a row's values end to end) counts.
    for beside in (digest + phone + b'"', b"\x02" + phone + digest, phone):
        assert _scan([beside], [phone]) == Scan(found=["01052287639"], by_chance=[])
    # A short hex run around it is no id: the value counts.
    assert _scan([b"ab" + phone + b"cd"], [phone]).found == ["01052287639"]


def test_invariant_6_master_key_absent_and_keys_hashed(seeded: Seeded) -> None:
    haystacks = _database_bytes(seeded)
    key = seeded.master_key
    for needle in (key.material, key.to_b64().encode(), key.to_b64().rstrip("=").encode()):
        assert not any(needle in h for h in haystacks)
    for token in (seeded.report.operator_key, seeded.report.recipient_key):
        assert not any(token.encode() in h for h in haystacks)
