"""Stored subtree roots of the ledger's shards (``ledger_subtrees``), on a caller's connection."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, func, insert, select, tuple_

from gatehouse.ledger import Subtree
from gatehouse.store.ledger_archive import ArchiveRepository
from gatehouse.store.ledger_tables import ledger_subtrees

__all__ = ["SubtreeRepository"]

_table = ledger_subtrees.c
# ``index`` is also a method name on rows and column collections: always by key.
_index = ledger_subtrees.c["index"]


class SubtreeRepository:
    """Reads and writes stored subtree roots in the caller's transaction."""

    def __init__(self, connection: Connection) -> None:
        self._c = connection

    @property
    def archives(self) -> ArchiveRepository:
        """The records of the archive files, on the same connection: like the stored roots,
        they are what a proof reads instead of entries the hot table does not hold."""
        return ArchiveRepository(self._c)

    def subtree(self, shard: int, level: int, index: int) -> bytes | None:
        """One stored root, or None."""
        found = self._c.execute(
            select(_table.hash).where(_table.shard == shard, _table.level == level, _index == index)
        ).scalar_one_or_none()
        return None if found is None else bytes.fromhex(found)

    def subtrees_at(
        self, shard: int, keys: Sequence[tuple[int, int]]
    ) -> dict[tuple[int, int], bytes]:
        """The stored roots among ``(level, index)`` keys, in one query; absent keys are
        not stored."""
        if not keys:
            return {}
        rows = self._c.execute(
            select(_table.level, _index, _table.hash).where(
                _table.shard == shard, tuple_(_table.level, _index).in_(keys)
            )
        )
        return {(level, index): bytes.fromhex(node) for level, index, node in rows}

    def subtrees_of(self, shard: int) -> list[tuple[int, int, str]]:
        """Every stored ``(level, index, hex root)`` of the shard, unparsed: the verifier
        compares the text, so a mangled row is reported rather than raised."""
        rows = self._c.execute(
            select(_table.level, _index, _table.hash)
            .where(_table.shard == shard)
            .order_by(_table.level, _index)
        )
        return [(level, index, node) for level, index, node in rows]

    def last_index(self, shard: int, level: int) -> int:
        """The highest index stored at ``level`` in the shard, or -1."""
        found = self._c.execute(
            select(func.max(_index)).where(_table.shard == shard, _table.level == level)
        ).scalar_one()
        return -1 if found is None else int(found)

    def add_subtrees(self, shard: int, subtrees: Iterable[Subtree]) -> None:
        """Store new roots; one already stored raises IntegrityError."""
        rows = [
            {"shard": shard, "level": level, "index": index, "hash": node.hex()}
            for level, index, node in subtrees
        ]
        if rows:
            self._c.execute(insert(ledger_subtrees), rows)
