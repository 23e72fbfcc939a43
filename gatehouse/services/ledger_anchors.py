"""Checkpoints published outside the database: one JSON file per checkpoint in a directory
(``GATEHOUSE_CHECKPOINT_DIR``), written atomically and never overwritten.

Point the directory at storage the database's users cannot rewrite (WORM, another host):
``gatehouse ledger verify`` then holds the database to every checkpoint ever published, and
each file's newly covered leaf hashes name an entry rewritten under a recomputed chain.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatehouse.domain.errors import Conflict, InvalidInput
from gatehouse.ledger import BadEntry, Checkpoint, LeafRun, key_fingerprint

__all__ = [
    "Anchors",
    "anchor_document",
    "anchor_name",
    "parse_published",
    "publish",
    "published_document",
    "read_anchors",
    "read_trusted",
]

_NAME = re.compile(r"checkpoint-([0-9]{12})\.json")


def anchor_name(sequence: int) -> str:
    """The file name of checkpoint ``sequence``: it sorts as the sequence does."""
    return f"checkpoint-{sequence:012d}.json"


def published_document(checkpoint: Checkpoint, public_key: str) -> dict[str, Any]:
    """The checkpoint as published: its fields, its public key and the key's fingerprint."""
    return {
        **checkpoint.to_dict(),
        "public_key": public_key,
        "public_key_sha256": key_fingerprint(public_key),
    }


def anchor_document(
    checkpoint: Checkpoint, public_key: str, runs: Iterable[LeafRun]
) -> dict[str, Any]:
    """:func:`published_document` plus the leaves the checkpoint newly covered, per shard."""
    leaves = [
        {
            "shard": run.shard,
            "first": run.first,
            "frontier": [node.hex() for node in run.frontier],
            "hashes": [leaf.hex() for leaf in run.leaves],
        }
        for run in runs
    ]
    return {**published_document(checkpoint, public_key), "leaves": leaves}


def _bytes(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, sort_keys=True, separators=(",", ":")) + "\n").encode("ascii")


def publish(directory: Path, checkpoint: Checkpoint, document: Mapping[str, Any]) -> Path:
    """Write ``document`` as checkpoint ``checkpoint.sequence``'s file, atomically, once.

    A file already there with the same bytes is success; with other bytes it is a Conflict:
    two different checkpoints under one number is what the directory exists to expose.
    """
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / anchor_name(checkpoint.sequence)
    data = _bytes(document)
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=".checkpoint-", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            # A hard link never replaces an existing name, unlike rename: no overwrite races.
            os.link(temporary, target)
        except FileExistsError:
            if target.read_bytes() != data:
                raise Conflict(
                    f"checkpoint #{checkpoint.sequence} was already published with other bytes",
                    code="checkpoint_published",
                ) from None
    finally:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
    with contextlib.suppress(OSError):
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    return target


def _runs(data: Any) -> list[LeafRun]:
    runs: list[LeafRun] = []
    for item in data if isinstance(data, list) else []:
        try:
            runs.append(
                LeafRun(
                    shard=int(item["shard"]),
                    first=int(item["first"]),
                    frontier=tuple(bytes.fromhex(node) for node in item["frontier"]),
                    leaves=tuple(bytes.fromhex(leaf) for leaf in item["hashes"]),
                )
            )
        except (KeyError, TypeError, ValueError):
            continue  # leaves only name an entry; a bad run just names none
    return runs


def parse_published(data: Any) -> tuple[Checkpoint, str, list[LeafRun]]:
    """The checkpoint, its public key and any leaf runs of a published document.

    Raises ValueError when it is not one, or its fingerprint does not match its key.
    """
    if not isinstance(data, dict):
        raise ValueError("not a JSON object")
    try:
        checkpoint = Checkpoint.from_dict(data)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not a checkpoint: {exc!r}") from None
    key = data.get("public_key")
    if not isinstance(key, str):
        raise ValueError("it has no public_key")
    fingerprint = data.get("public_key_sha256")
    if fingerprint is not None and fingerprint != key_fingerprint(key):
        raise ValueError("public_key_sha256 is not the SHA-256 of public_key")
    return checkpoint, key, _runs(data.get("leaves"))


@dataclass
class Anchors:
    """What an anchor directory holds: checkpoints, their keys, leaf runs and bad files."""

    checkpoints: list[tuple[str, Checkpoint]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    runs: list[tuple[Checkpoint, LeafRun]] = field(default_factory=list)
    problems: list[BadEntry] = field(default_factory=list)


def read_anchors(directory: Path) -> Anchors:
    """Every checkpoint file in ``directory``; a missing directory holds none."""
    found = Anchors()
    try:
        names = sorted(path.name for path in directory.iterdir())
    except FileNotFoundError:
        return found
    except OSError as exc:
        found.problems.append(BadEntry(-1, -1, f"the anchor directory cannot be read: {exc}"))
        return found
    for name in names:
        match = _NAME.fullmatch(name)
        if match is None:
            continue
        where = f"anchor {name}"
        try:
            checkpoint, key, runs = parse_published(json.loads((directory / name).read_bytes()))
        except (OSError, ValueError) as exc:
            found.problems.append(BadEntry(-1, -1, f"{where} is unreadable: {exc}"))
            continue
        if checkpoint.sequence != int(match[1]):
            found.problems.append(BadEntry(-1, -1, f"{where} holds #{checkpoint.sequence}"))
            continue
        found.checkpoints.append((where, checkpoint))
        found.keys.add(key)
        found.runs += [(checkpoint, run) for run in runs]
    return found


def read_trusted(path: Path) -> tuple[Checkpoint, str, list[LeafRun]]:
    """A checkpoint saved elsewhere (the well-known document or an anchor file).

    Raises ``InvalidInput`` when the file cannot be read or is not one.
    """
    try:
        return parse_published(json.loads(path.read_bytes()))
    except (OSError, ValueError) as exc:
        raise InvalidInput(
            f"the trusted checkpoint {path.name} cannot be read: {exc}", code="bad_trusted"
        ) from None
