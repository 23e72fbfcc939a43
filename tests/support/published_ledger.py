"""A real Gatehouse ledger as an outsider receives it: the published checkpoints, the
well-known document and an inclusion proof, fetched over HTTP from a live server.

Kept apart so that the test of the documented format imports nothing from Gatehouse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from gatehouse.services import ledger
from gatehouse.services.access import issue_operator_key
from tests.conftest import Fresh
from tests.support.server import LiveServer

__all__ = ["Published", "publish_ledger"]


@dataclass(frozen=True)
class Published:
    """What a customer or auditor holds: every anchor file, the well-known document, a proof."""

    anchors: list[dict[str, Any]]
    well_known: dict[str, Any]
    proof: dict[str, Any]


def publish_ledger(fresh: Fresh, anchors: Path) -> Published:
    """Append entries for a few subjects, sign three checkpoints and fetch what is published."""
    gh = fresh.gatehouse
    gh.checkpoint_dir = anchors
    for round_ in range(3):
        for number in range(5):
            fresh.clock.advance(seconds=1)
            with gh.engine.begin() as connection:
                entry = ledger.append(
                    connection,
                    kind="test.published",
                    at=gh.clock(),
                    subject_id=f"sub_published_{number}",
                    recipient_id="rcp_published",
                    payload={"round": round_, "name": "배송 대행", "fields": ["name", "phone"]},
                )
        ledger.make_checkpoint(gh)
    key = issue_operator_key(gh, fresh.clock(), label="format test")
    with LiveServer(gh) as server:
        well_known = httpx.get(f"{server.url}/.well-known/gatehouse/checkpoint").json()
        proof = httpx.get(
            f"{server.url}/v1/ledger/proofs",
            params={"shard": entry.shard, "seq": 0},
            headers={"Authorization": f"Bearer {key}"},
        ).json()
    files = sorted(anchors.iterdir())
    return Published([json.loads(path.read_text()) for path in files], well_known, proof)
