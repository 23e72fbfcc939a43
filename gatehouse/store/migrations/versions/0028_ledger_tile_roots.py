"""ledger tile roots: each stored block's roots from 64 leaves up, for proofs

A proof inside a block used to read the block's 1,024 leaves and hash 1,023 nodes. Since
this revision a checkpoint stores, with each complete block, the roots of its 64-leaf tiles
and of every level between them and the block. This stores them for the blocks already
stored, from their leaves in the hot table; a block whose leaves were archived keeps its
proofs as before, from its file.

Revision ID: 0028
Revises: 0027
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from gatehouse.ledger import BLOCK_LEAVES, BLOCK_LEVEL, TILE_LEVEL, block_subtrees

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

_subtrees = sa.table(
    "ledger_subtrees",
    sa.column("shard", sa.Integer),
    sa.column("level", sa.Integer),
    sa.column("index", sa.BigInteger),
    sa.column("hash", sa.String),
)
# Blocks read per statement: 64 blocks are 65,536 leaf hashes, about 4 MB of text.
_BLOCKS_PER_READ = 64


def _blocks_without_tiles(connection: sa.Connection) -> dict[int, list[int]]:
    rows = connection.execute(
        sa.text(
            'SELECT b.shard, b."index" FROM ledger_subtrees b WHERE b.level = :block '
            "AND NOT EXISTS (SELECT 1 FROM ledger_subtrees t WHERE t.shard = b.shard "
            'AND t.level = :tile AND t."index" = b."index" * :per_block) '
            'ORDER BY b.shard, b."index"'
        ),
        {"block": BLOCK_LEVEL, "tile": TILE_LEVEL, "per_block": 1 << (BLOCK_LEVEL - TILE_LEVEL)},
    )
    found: dict[int, list[int]] = {}
    for shard, index in rows:
        found.setdefault(int(shard), []).append(int(index))
    return found


def _tile_roots(
    connection: sa.Connection, shard: int, blocks: list[int]
) -> list[dict[str, object]]:
    low, high = blocks[0] * BLOCK_LEAVES, (blocks[-1] + 1) * BLOCK_LEAVES
    leaves: dict[int, list[bytes]] = {index: [] for index in blocks}
    rows = connection.execute(
        sa.text(
            "SELECT seq, entry_hash FROM ledger_entries "
            "WHERE shard = :shard AND seq >= :low AND seq < :high ORDER BY seq"
        ),
        {"shard": shard, "low": low, "high": high},
    )
    for seq, entry_hash in rows:
        block = leaves.get(seq // BLOCK_LEAVES)
        if block is not None and seq == (seq // BLOCK_LEAVES) * BLOCK_LEAVES + len(block):
            block.append(bytes.fromhex(entry_hash))
    new: list[dict[str, object]] = []
    for index, block in leaves.items():
        if len(block) != BLOCK_LEAVES:
            continue  # archived, or not whole: its proofs read it as they did
        for level, tile, node in block_subtrees(index, block):
            if level < BLOCK_LEVEL:
                new.append({"shard": shard, "level": level, "index": tile, "hash": node.hex()})
    return new


def upgrade() -> None:
    connection = op.get_bind()
    for shard, blocks in _blocks_without_tiles(connection).items():
        for start in range(0, len(blocks), _BLOCKS_PER_READ):
            new = _tile_roots(connection, shard, blocks[start : start + _BLOCKS_PER_READ])
            if new:
                connection.execute(sa.insert(_subtrees), new)


def downgrade() -> None:
    op.execute(
        sa.delete(_subtrees).where(_subtrees.c.level >= TILE_LEVEL, _subtrees.c.level < BLOCK_LEVEL)
    )
