"""A scale run written by several processes at once: ``gatehouse demo --scale large
--processes N``.

The parent registers the marketplace's recipients (:func:`gatehouse.demo.scale.prepare`),
then starts one process per :class:`Part`; each writes its own customers, their orders and
their ledger shards, and continues where it stopped on a rerun. The parent shows how far the
slowest part has come, and signs the checkpoint once every part is done. The rows are those a
single process would write, shard by shard in the same order (``tests/test_demo_scale.py``).
"""

from __future__ import annotations

import queue as queues
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from multiprocessing import get_context
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from typing import Any

from gatehouse.config import Settings
from gatehouse.demo.scale import (
    Progress,
    Scale,
    ScaleReport,
    finish,
    generate_part,
    history_end,
    prepare,
    table_counts,
)
from gatehouse.demo.scale_parts import Part
from gatehouse.services.runtime import open_gatehouse

__all__ = ["generate_in_parallel"]


def _run_part(
    environ: dict[str, str], scale: Scale, part: Part, out: Queue[Any], stop_after: int | None
) -> None:
    """One part, in its own process; what it did, or why it failed, goes to ``out``."""
    try:
        gh = open_gatehouse(Settings.from_env(environ), run_migrations=False)
        try:

            def progress(stage: str, done: int, total: int) -> None:
                out.put(("progress", part.index, stage, done, total))

            report = generate_part(gh, scale, part, progress, stop_after=stop_after)
        finally:
            gh.close()
        out.put(("done", part.index, report.complete, report.chunks_written))
    except BaseException as failure:
        out.put(("failed", part.index, f"{type(failure).__name__}: {failure}"))
        raise


def generate_in_parallel(
    environ: Mapping[str, str],
    scale: Scale,
    processes: int,
    progress: Progress | None = None,
    *,
    stop_after: int | None = None,
) -> ScaleReport:
    """Generate ``scale`` into the database ``environ`` configures, with ``processes`` parts
    at once; ``stop_after`` bounds each part's chunks, as :func:`generate`'s does the run's."""
    began = time.perf_counter()
    gh = open_gatehouse(Settings.from_env(dict(environ)))
    try:
        prepare(gh, scale, progress)
        context = get_context("spawn")
        out: Queue[Any] = context.Queue()
        workers = [
            context.Process(
                target=_run_part,
                args=(dict(environ), scale, Part(index, processes), out, stop_after),
                name=f"gatehouse-scale-{index}",
            )
            for index in range(processes)
        ]
        for worker in workers:
            worker.start()
        outcomes = _follow(out, workers, progress)
        for worker in workers:
            worker.join()
        failed = [o.failure for o in outcomes.values() if o.failure is not None]
        if failed or len(outcomes) < processes:
            raise RuntimeError("a part of the scale run failed: " + "; ".join(failed or ["died"]))
        chunks = sum(o.chunks for o in outcomes.values())
        end = history_end(gh, scale)
        if not all(o.complete for o in outcomes.values()):
            return ScaleReport(time.perf_counter() - began, False, end, chunks)
        finish(gh, progress, signed=chunks == 0)
        counts = table_counts(gh.engine)
        return ScaleReport(time.perf_counter() - began, True, end, chunks, counts)
    finally:
        gh.close()


@dataclass(frozen=True)
class _Outcome:
    complete: bool
    chunks: int
    failure: str | None = None


def _follow(
    out: Queue[Any], workers: Sequence[BaseProcess], progress: Progress | None
) -> dict[int, _Outcome]:
    """Relay the parts' progress (the slowest part's, which everything before is written
    by) until each has said how it ended or every process is gone."""
    reached: dict[str, dict[int, int]] = {}
    outcomes: dict[int, _Outcome] = {}
    while len(outcomes) < len(workers):
        try:
            message = out.get(timeout=0.5)
        except queues.Empty:
            if not any(worker.is_alive() for worker in workers) and out.empty():
                break
            continue
        kind, index = message[0], message[1]
        if kind == "progress":
            stage, done, total = message[2:]
            reached.setdefault(stage, {})[index] = done
            slowest = min(reached[stage].get(i, 0) for i in range(len(workers)))
            if progress is not None:
                progress(stage, slowest, total)
        elif kind == "done":
            outcomes[index] = _Outcome(bool(message[2]), int(message[3]))
        else:
            outcomes[index] = _Outcome(False, 0, str(message[2]))
    return outcomes
