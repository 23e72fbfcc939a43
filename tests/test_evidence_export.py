"""The evidence bundle on each database: real transfers over HTTP on two days, a checkpoint
signed as the worker signs it, `gatehouse export` of the second day (which starts mid-chain),
and the bundled verifier run in a fresh venv without Gatehouse: yes, also with the bundle's
checkpoint kept as trusted, then no for an edited, a removed and a reordered entry, a bad
checkpoint signature and a file added. DuckDB reads the Parquet. The checkpoint history and
the signed manifest are tested in test_evidence_checkpoints.py.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from sqlalchemy import update

from gatehouse.domain.errors import Conflict
from gatehouse.evidence import verify as offline
from gatehouse.evidence.readme import AUDIT_QUERIES
from gatehouse.ledger import LedgerEntry, consistency_proof, make_entry
from gatehouse.ledger import root as merkle_root
from gatehouse.services.evidence_chain import consistency_ranges
from gatehouse.services.evidence_export import export_evidence
from gatehouse.services.ledger import checkpoint_if_due, make_checkpoint, public_key
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.ledger_tables import ledger_entries
from tests.conftest import Clock, Fresh, repo_root
from tests.support.gateway import (
    Seller,
    allowed_transfer,
    consent,
    new_order,
    new_seller,
    new_subject,
    publish_terms,
)
from tests.support.operator_profiles import profile_body
from tests.support.server import operator_api

DAY_ONE = "2026-11-28"
DAY_TWO = "2026-11-29"
WINDOW = (datetime(2026, 11, 29, tzinfo=UTC), datetime(2026, 11, 30, tzinfo=UTC))
FILES = {
    "README.md",
    "chain.json",
    "checkpoint.json",
    "checkpoint_links.json",
    "checkpoints/000001.json",
    "entries.jsonl",
    "entries.parquet",
    "public_key.json",
    "public_key.pem",
    "verify.py",
}


def _pinned_cryptography() -> str:
    text = (repo_root() / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'"cryptography==([^"]+)"', text)
    assert match is not None, "pyproject.toml pins cryptography"
    return match.group(1)


@pytest.fixture(scope="session")
def offline_python(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new venv with only the pinned ``cryptography``: the auditor's machine. Made once;
    if it cannot be made the tests fail, never skip."""
    venv = tmp_path_factory.mktemp("auditor") / "venv"
    made = subprocess.run(
        [sys.executable, "-m", "venv", str(venv)], capture_output=True, text=True, timeout=300
    )
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", f"cryptography=={_pinned_cryptography()}"],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    probe = subprocess.run(
        [str(python), "-I", "-c", "import gatehouse"], capture_output=True, text=True
    )
    assert probe.returncode != 0, "the auditor's venv must not have Gatehouse"
    return python


@dataclass
class Exported:
    fresh: Fresh
    out: Path
    allowed: int
    refused: int


@dataclass
class Parties:
    seller: Seller
    buyer: str
    stranger: str


def _parties(api: httpx.Client, base_url: str) -> Parties:
    """A seller abroad, a buyer who consented to it and a stranger who never did."""
    seller = new_seller(api, base_url, "CN", accept=publish_terms(api))
    buyer = new_subject(api)
    consent(api, buyer, seller)
    return Parties(seller, buyer, new_subject(api))


def _transfers(api: httpx.Client, parties: Parties, allowed: int) -> tuple[int, int]:
    """``allowed`` transfers for the buyer, one refused for the stranger: (allowed, refused)."""
    for _ in range(allowed):
        allowed_transfer(api, parties.buyer, parties.seller)
    order = new_order(api, parties.stranger, parties.seller)
    refused = api.post(
        f"/v1/orders/{order}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
    )
    assert refused.status_code == 403, refused.text
    return allowed, 1


def _cli(fresh: Fresh, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GATEHOUSE_DATABASE_URL": fresh.backend.url,
        "GATEHOUSE_MASTER_KEY": fresh.master_key.to_b64(),
    }
    return subprocess.run(
        [sys.executable, "-m", "gatehouse", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=repo_root(),
        timeout=120,
    )


@pytest.fixture
def exported(fresh: Fresh, tmp_path: Path) -> Iterator[Exported]:
    gh = fresh.gatehouse
    with operator_api(gh) as (server, api):
        assert api.put("/v1/operator/profile", json=profile_body()).status_code == 200
        assert api.post("/v1/privacy-policy/publish").status_code == 200
        parties = _parties(api, server.url)
        _transfers(api, parties, 1)
        # Day two continues the same chains, so the window starts mid-chain.
        fresh.clock.advance(days=1)
        allowed, refused = _transfers(api, parties, 3)
        # As the worker's ledger.checkpoint job does it.
        assert checkpoint_if_due(gh, timedelta(minutes=10)) is not None
        fresh.clock.advance(minutes=1)
        # After the checkpoint: in the window, but nothing signed covers it yet.
        _transfers(api, parties, 1)
        parties.seller.client.close()
    out = tmp_path / "bundle"
    result = _cli(fresh, "export", "--from", DAY_TWO, "--to", DAY_TWO, "--out", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "left out" in result.stdout
    yield Exported(fresh, out, allowed, refused)


def _lines(out: Path) -> list[dict[str, Any]]:
    text = (out / "entries.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


def _checked(fresh: Fresh) -> tuple[list[Any], Any]:
    """The stored entries of the window that the latest checkpoint covers, and it."""
    with fresh.gatehouse.unit_of_work(read_only=True) as uow:
        checkpoint = uow.ledger.latest_checkpoint()
        entries = uow.ledger.find()
    assert checkpoint is not None
    sizes = {head.shard: head.size for head in checkpoint.shards}
    covered = [e for e in entries if e.seq < sizes[e.shard] and WINDOW[0] <= e.at < WINDOW[1]]
    return covered, checkpoint


def test_export_writes_every_file_with_a_manifest(exported: Exported) -> None:
    out = exported.out
    names = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}
    assert FILES | {"manifest.json", "manifest.sig", "policies/v1.json"} == names
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == names - {"manifest.json", "manifest.sig"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest

    covered, checkpoint = _checked(exported.fresh)
    lines = _lines(out)
    # Exactly the signed entries of day two, as stored; the window starts mid-chain.
    assert sorted((e["shard"], e["seq"]) for e in lines) == [(e.shard, e.seq) for e in covered]
    assert [e.to_dict() for e in covered] == sorted(lines, key=lambda e: (e["shard"], e["seq"]))
    chain = json.loads((out / "chain.json").read_text(encoding="utf-8"))
    assert any(span["first_seq"] > 0 and span["frontier"] for span in chain["shards"])
    assert json.loads((out / "checkpoint.json").read_text()) == checkpoint.to_dict()
    # The only checkpoint is both the latest and the whole history.
    assert json.loads((out / "checkpoints/000001.json").read_text()) == checkpoint.to_dict()
    key = json.loads((out / "public_key.json").read_text(encoding="utf-8"))
    assert key["public_key_b64"] == public_key(exported.fresh.gatehouse)
    assert key["key_id"] == checkpoint.key_id
    policy = json.loads((out / "policies/v1.json").read_text(encoding="utf-8"))
    assert policy["version"] == 1 and len(policy["content_hash"]) == 64
    # Whole in each language, as hashed: no table is a page with a total.
    assert set(policy["documents"]) == {"ko", "en"}
    tables = [t for d in policy["documents"].values() for s in d["sections"] for t in s["tables"]]
    assert tables and all("total" not in t for t in tables)
    readme = (out / "README.md").read_text(encoding="utf-8")
    assert "python verify.py" in readme and readme.count("```sql") == 3
    assert "import gatehouse" not in (out / "verify.py").read_text(encoding="utf-8")


def _verify(python: Path, bundle: Path, *options: str) -> subprocess.CompletedProcess[str]:
    # -I: no PYTHONPATH, no user site, no current directory; only the venv's packages.
    return subprocess.run(
        [str(python), "-I", str(bundle / "verify.py"), str(bundle), *options],
        capture_output=True,
        text=True,
        cwd=bundle,
        timeout=120,
    )


def _tampered(out: Path, name: str, lines: list[dict[str, Any]]) -> Path:
    copy = out.parent / name
    shutil.copytree(out, copy)
    text = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in lines)
    (copy / "entries.jsonl").write_text(text, encoding="utf-8")
    return copy


def _allowed_run(lines: list[dict[str, Any]]) -> tuple[int, int]:
    """The index in the file of a transfer with entries of its shard on both sides."""
    for i in range(1, len(lines) - 1):
        window = lines[i - 1 : i + 2]
        if {e["shard"] for e in window} == {lines[i]["shard"]} and (
            lines[i]["kind"] == "transfer.allowed"
        ):
            return i, lines[i]["shard"]
    raise AssertionError("no transfer sits between two entries of its shard")


def test_verifier_in_a_fresh_venv_says_yes_then_names_the_bad_entry(
    exported: Exported, offline_python: Path
) -> None:
    good = _verify(offline_python, exported.out)
    assert good.returncode == 0, good.stdout + good.stderr
    assert good.stdout.startswith("yes:")
    # The auditor keeps this bundle's checkpoint and hands it to the next bundle's verifier.
    kept = exported.out.parent / "kept-checkpoint.json"
    shutil.copyfile(exported.out / "checkpoint.json", kept)
    trusted = _verify(offline_python, exported.out, "--trusted", str(kept))
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    assert "your trusted checkpoint (kept-checkpoint.json) is one of them" in trusted.stdout

    lines = _lines(exported.out)
    i, shard = _allowed_run(lines)
    seq = lines[i]["seq"]
    bad_line = f"first bad entry: shard {shard}, seq {seq}"

    edited = [dict(e) for e in lines]
    edited[i]["payload"] = {**edited[i]["payload"], "basis": "LAW_TREATY"}
    result = _verify(offline_python, _tampered(exported.out, "edited", edited))
    assert result.returncode == 1 and result.stdout.startswith("no:"), result.stdout
    assert bad_line in result.stdout and "edited" in result.stdout

    removed = lines[:i] + lines[i + 1 :]
    result = _verify(offline_python, _tampered(exported.out, "removed", removed))
    assert result.returncode == 1 and bad_line in result.stdout, result.stdout
    assert "missing entry" in result.stdout

    reordered = [*lines[:i], lines[i + 1], lines[i], *lines[i + 2 :]]
    result = _verify(offline_python, _tampered(exported.out, "reordered", reordered))
    assert result.returncode == 1 and bad_line in result.stdout, result.stdout
    assert "out of order" in result.stdout

    forged = _tampered(exported.out, "forged", lines)
    body = json.loads((forged / "checkpoint.json").read_text(encoding="utf-8"))
    body["at"] = body["at"].replace(body["at"][:4], str(int(body["at"][:4]) + 1), 1)
    (forged / "checkpoint.json").write_text(json.dumps(body), encoding="utf-8")
    result = _verify(offline_python, forged)
    assert result.returncode == 1, result.stdout
    assert "signature does not verify" in result.stdout
    assert "first bad item: checkpoint #1 (checkpoint.json)" in result.stdout

    added = exported.out.parent / "added"
    shutil.copytree(exported.out, added)
    (added / "note.txt").write_text("not from Gatehouse", encoding="utf-8")
    result = _verify(offline_python, added)
    assert result.returncode == 1 and "first bad item: note.txt" in result.stdout, result.stdout


def test_duckdb_reads_the_parquet_and_counts_like_the_ledger(exported: Exported) -> None:
    covered, _ = _checked(exported.fresh)
    parquet = str(exported.out / "entries.parquet")
    db = duckdb.connect()
    total = db.execute("SELECT count(*) FROM read_parquet(?)", [parquet]).fetchone()
    assert total == (len(covered),)
    allowed = db.execute(
        "SELECT count(*) FROM read_parquet(?) WHERE kind = 'transfer.allowed'", [parquet]
    ).fetchone()
    assert allowed == (sum(e.kind == "transfer.allowed" for e in covered),)
    assert allowed == (exported.allowed,)
    # The README's queries, run as an auditor would: from inside the bundle folder.
    db.execute(f"SET file_search_path = '{exported.out}'")
    by_basis, refusals, by_month = (db.execute(sql).fetchall() for _, sql in AUDIT_QUERIES)
    assert by_basis == [("SEPARATE_CONSENT", exported.allowed)]
    assert refusals == [("no_lawful_basis", exported.refused)]
    assert by_month == [("CN", DAY_TWO[:7], exported.allowed)]
    db.close()


def test_export_needs_a_checkpoint_and_a_valid_day(fresh: Fresh, tmp_path: Path) -> None:
    out = tmp_path / "bundle"
    refused = _cli(fresh, "export", "--from", DAY_ONE, "--to", DAY_ONE, "--out", str(out))
    assert refused.returncode == 1 and "no_checkpoint" in refused.stderr
    bad_day = _cli(fresh, "export", "--from", "29-11-2026", "--to", DAY_ONE, "--out", str(out))
    assert bad_day.returncode == 2 and "--from" in bad_day.stderr


def test_consistency_ranges_give_the_rfc_6962_proof() -> None:
    leaves = [hashlib.sha256(bytes([n])).digest() for n in range(40)]
    for new in range(1, 41):
        for old in range(new + 1):
            ranges = consistency_ranges(old, new)
            nodes = [merkle_root(leaves[lo:hi]) for lo, hi in ranges]
            assert nodes == consistency_proof(leaves[:new], old), (old, new)


def _append_hours(gh: Gatehouse, clock: Clock, hours: int) -> None:
    """One entry an hour, rotating over five subjects (and so over their shards)."""
    for hour in range(hours):
        with gh.unit_of_work() as uow:
            uow.ledger.append(
                kind="test.event",
                at=clock(),
                subject_id=f"subject-{hour % 5}",
                recipient_id=None,
                payload={"hour": hour, "note": "한국어"},
            )
        clock.advance(hours=1)


def test_every_window_verifies_and_a_rewritten_chain_does_not(
    fresh: Fresh, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    gh = fresh.gatehouse
    start = fresh.clock()
    _append_hours(gh, fresh.clock, 72)
    make_checkpoint(gh)
    days = [start + timedelta(days=n) for n in range(4)]
    for n, (first, last) in enumerate([(0, 1), (1, 2), (2, 3), (0, 3), (1, 3)]):
        out = tmp_path / f"window{n}"
        summary = export_evidence(gh, days[first], days[last], out)
        expected = sum(days[first] <= start + timedelta(hours=h) < days[last] for h in range(72))
        assert summary.entries == expected and summary.uncovered == 0
        assert offline.verify(out)[0] == expected

    # A forger who edits an entry and rewrites every later hash in the bundle still fails:
    # the rebuilt tree no longer extends the signed checkpoint.
    bundle = tmp_path / "window1"
    lines = _lines(bundle)
    shard = lines[0]["shard"]
    rewritten: list[dict[str, Any]] = []
    prev = None
    for line in lines:
        entry = LedgerEntry.from_dict(line)
        if entry.shard == shard:
            payload = dict(entry.payload)
            if prev is None:
                payload["note"] = "edited"
            fields = (entry.shard, entry.seq, entry.kind, entry.at, entry.subject_id)
            remade = make_entry(*fields, entry.recipient_id, payload, prev or entry.prev_hash)
            prev = remade.entry_hash
            line = remade.to_dict()
        rewritten.append(line)
    forged = _tampered(bundle, "rewritten", rewritten)
    with pytest.raises(offline.Bad) as bad:
        offline.verify(forged)
    assert (bad.value.shard, bad.value.seq) == (shard, lines[0]["seq"])
    assert "signed checkpoint" in bad.value.reason
    assert offline.main(["verify.py", str(forged)]) == 1
    assert offline.main(["verify.py", str(bundle)]) == 0
    (bundle / "README.md").write_text("changed", encoding="utf-8")
    assert offline.main(["verify.py", str(bundle)]) == 1
    said = capsys.readouterr().out
    assert f"first bad entry: shard {shard}, seq {lines[0]['seq']}" in said
    assert said.count("yes:") == 1 and "README.md does not match its SHA-256" in said

    # An entry edited in the database is refused at export, not bundled as if it were sound.
    with gh.engine.begin() as connection:
        connection.execute(
            update(ledger_entries)
            .where(ledger_entries.c.shard == shard, ledger_entries.c.seq == lines[0]["seq"])
            .values(payload={"hour": -1})
        )
    with pytest.raises(Conflict) as refused:
        export_evidence(gh, days[1], days[2], tmp_path / "after-edit")
    assert refused.value.code == "ledger_mismatch"
