"""Operator endpoints for the ledger: verify it, sign and publish checkpoints, read and prove.

Times stay in the ledger's own text form (``...000000Z``): they are hashed that way, and an
auditor re-hashing an entry offline needs exactly those characters.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel

from gatehouse.domain.errors import Conflict, NotFound
from gatehouse.http.deps import GatehouseDep, OperatorDep
from gatehouse.http.openapi import refusals
from gatehouse.ledger import Checkpoint
from gatehouse.services import ledger as ledger_service
from gatehouse.services.ledger_anchors import published_document
from gatehouse.services.ledger_keys import checkpoint_key
from gatehouse.services.runtime import Gatehouse

__all__ = ["public_router", "router"]

router = APIRouter(prefix="/v1/ledger", tags=["ledger"])
# Published for anyone: auditors and customers compare it with what they were given.
public_router = APIRouter(prefix="/.well-known/gatehouse", tags=["public"])

IdQuery = Annotated[str | None, Query(max_length=64)]


class BadEntryOut(BaseModel):
    shard: int
    seq: int
    reason: str


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    first_bad: BadEntryOut | None


class ShardHeadOut(BaseModel):
    shard: int
    size: int
    root: str
    head_hash: str


class CheckpointOut(BaseModel):
    format: str
    sequence: int
    at: str
    shards: list[ShardHeadOut]
    root: str
    key_id: str
    signature: str
    public_key: str
    # Format v2 only: the previous checkpoint's hash and the per-shard consistency proofs.
    previous: str | None = None
    consistency: list[list[str]] = []


class PublishedCheckpointOut(CheckpointOut):
    public_key_sha256: str


class EntryOut(BaseModel):
    shard: int
    seq: int
    kind: str
    at: str
    subject_id: str | None
    recipient_id: str | None
    payload: dict[str, Any]
    prev_hash: str
    entry_hash: str


class EntryPage(BaseModel):
    items: list[EntryOut]
    next_cursor: str | None


class ProofOut(BaseModel):
    shard: int
    seq: int
    tree_size: int
    leaf_hash: str
    audit_path: list[str]
    shard_root: str
    checkpoint_sequence: int
    checkpoint_path: list[str]
    entry: EntryOut


def _document(gh: Gatehouse, checkpoint: Checkpoint) -> dict[str, Any]:
    """The checkpoint with the key that verifies it and the key's fingerprint."""
    key = checkpoint_key(gh, checkpoint)
    if key is None:
        raise Conflict(
            f"checkpoint #{checkpoint.sequence} is not signed by a trusted key;"
            " run `gatehouse ledger verify`",
            code="ledger_mismatch",
        )
    return published_document(checkpoint, key)


def _checkpoint_out(gh: Gatehouse, checkpoint: Checkpoint) -> CheckpointOut:
    return CheckpointOut.model_validate(_document(gh, checkpoint))


@router.get("/verify", response_model=VerifyOut)
def verify_ledger(gh: GatehouseDep, _: OperatorDep) -> VerifyOut:
    """Re-check every entry, chain, head and checkpoint; ``first_bad`` names the first problem."""
    return VerifyOut.model_validate(ledger_service.verify(gh).to_dict())


@router.get("/checkpoints/latest", response_model=CheckpointOut, responses=refusals(404, 409))
def latest_checkpoint(gh: GatehouseDep, _: OperatorDep) -> CheckpointOut:
    """The newest signed checkpoint with the public key that verifies it."""
    checkpoint = ledger_service.latest_checkpoint(gh)
    if checkpoint is None:
        raise NotFound("no checkpoint has been signed yet", code="no_checkpoint")
    return _checkpoint_out(gh, checkpoint)


@public_router.get(
    "/checkpoint", response_model=PublishedCheckpointOut, responses=refusals(404, 409)
)
def published_checkpoint(gh: GatehouseDep, response: Response) -> PublishedCheckpointOut:
    """The newest signed checkpoint, its public key and the key's SHA-256 fingerprint, for
    anyone: keep it, and any later ledger must extend it (``gatehouse ledger verify
    --trusted``); an evidence bundle's key must have this fingerprint."""
    checkpoint = ledger_service.latest_checkpoint(gh)
    if checkpoint is None:
        raise NotFound("no checkpoint has been signed yet", code="no_checkpoint")
    response.headers["Cache-Control"] = "public, max-age=60"
    return PublishedCheckpointOut.model_validate(_document(gh, checkpoint))


@router.post("/checkpoints", status_code=201, response_model=CheckpointOut, responses=refusals(409))
def create_checkpoint(gh: GatehouseDep, _: OperatorDep) -> CheckpointOut:
    """Sign every shard's current head as the next checkpoint."""
    return _checkpoint_out(gh, ledger_service.make_checkpoint(gh))


@router.get("/entries", response_model=EntryPage)
def list_entries(
    gh: GatehouseDep,
    _: OperatorDep,
    subject_id: IdQuery = None,
    recipient_id: IdQuery = None,
    kind: Annotated[str | None, Query(max_length=60)] = None,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> EntryPage:
    """Entries matching every filter given, in (shard, seq) order, a page at a time."""
    page, next_cursor = ledger_service.entries(
        gh,
        kind=kind,
        subject_id=subject_id,
        recipient_id=recipient_id,
        after=cursor,
        limit=limit,
    )
    items = [EntryOut.model_validate(entry.to_dict()) for entry in page]
    return EntryPage(items=items, next_cursor=next_cursor)


@router.get("/proofs", response_model=ProofOut, responses=refusals(404, 409))
def inclusion_proof(
    gh: GatehouseDep,
    _: OperatorDep,
    shard: Annotated[int, Query(ge=0, le=1_000_000)],
    seq: Annotated[int, Query(ge=0, le=2**62)],
) -> ProofOut:
    """An RFC 6962 inclusion proof of one entry in the latest checkpoint, two levels deep."""
    return ProofOut.model_validate(ledger_service.entry_proof(gh, shard, seq).to_dict())
