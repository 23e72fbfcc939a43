"""A steady mixed load for minutes on end: does the server stay flat?

Setup (not timed) seeds through the services, as ``bench/http_load.py`` does (its ``seed``):
sellers abroad, Korean customers with a consent, a new order for every transfer to come,
customers with one transfer each to delete, open views for the sellers to read, and customers
with a privacy-center token. Then ``gatehouse serve`` starts as its own process and this
process sends it, open loop, a fixed number of requests a second for ``--minutes``, spread
over the mix below; each request leaves at its scheduled time whatever the answers before it
did, and its latency counts from that time, so a server that falls behind shows as latency
instead of as a slower sender (no coordinated omission). At most ``--inflight`` requests are
open at once; past that the run fails rather than queueing without bound.

- transfers: ``POST /v1/orders/{id}/transfers`` (every request a new order);
- view reads: a seller's ``GET /v1/recipient/transfers/{id}`` with its own key;
- consent saves: ``POST /v1/subjects/{id}/consents``;
- who has my data: a customer's ``GET /v1/me/transfers`` with their token (a page's data),
  customers whose history is longer than the page (``HISTORY`` transfers each, the page
  holds 50), so the page read in the last minute is the size of the first minute's; the
  transfers of the run go to other customers;
- deletions: a customer's ``DELETE /v1/me``;
- baseline: ``GET /v1/recipients?limit=1``, the cheapest authenticated answer, the peer that
  every minute's p99 is set against.

Every minute it records the answers, the errors (a status other than the one expected, or no
answer), p50 and p99 of the mix and of the baseline, and the server's RSS (all its processes,
sampled every second, the minute's median), and each kind's p99 by minute, so a rise can be
traced to the request that makes it. The first ``--warmup`` seconds (caches filling, the first
SQLite pages read) are sent but left out of the figures; the table says so.

As in production (``compose.yaml``), ``gatehouse worker`` runs beside the server: it signs
checkpoints, so customers' proofs stay near a recent one, and drains the deletions' erasure
notices (``--no-worker`` leaves it out). Both run with ``MALLOC_ARENA_MAX=2``, as the
``Dockerfile`` sets it, unless the shell sets it otherwise.

    .venv/bin/python bench/soak.py [--minutes 10] [--rate 40] [--warmup 60]
                                   [--database-url URL --workers 2] [--no-worker]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field

import httpx
from http_load import (
    FLOW,
    PURPOSE,
    Load,
    new_customers,
    new_order,
    rss_mb,
    seed,
    seller_input,
    server_environment,
    serving,
)

from gatehouse.config import Settings
from gatehouse.demo.korea import KoreanCustomers
from gatehouse.services import consents as consent_service
from gatehouse.services import notices as notice_service
from gatehouse.services import recipients as recipient_service
from gatehouse.services.customer_sessions import create_link, open_link
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.transfer_batch import BatchItem, request_transfers

# Shares of the mix, out of 20 requests: what a marketplace's day looks like to the gateway,
# reads and transfers most, a deletion now and then.
MIX = {
    "transfers": 6,
    "view reads": 5,
    "consent saves": 3,
    "who has my data": 2,
    "deletions": 1,
    "baseline GET": 3,
}


# Past transfers of each customer who asks who has their data: more than the page's 50.
HISTORY = 60
READERS = 200


def steady_readers(gh: Gatehouse, terms_version: str) -> Load:
    """Customers who ask who has their data, each with ``HISTORY`` transfers to a seller of
    their own, made before the run; their privacy-center tokens as the requests."""
    registered = recipient_service.register_recipients(gh, [seller_input(900)])
    seller = registered[0].standing.recipient.id
    recipient_service.accept_terms(gh, seller, terms_version)
    readers = new_customers(gh, KoreanCustomers(23), 100_000, READERS)
    notice = notice_service.render_for_subject(
        gh,
        subject_id=readers[0],
        recipient_ids=[seller],
        countries=[],
        purpose=PURPOSE,
        flow=FLOW,
        locale=None,
    ).hash
    planned = []
    for number, reader in enumerate(readers):
        consent_service.record_consent(gh, reader, notice, granted=True, channel="web")
        for k in range(HISTORY):
            order = new_order(gh, reader, seller, 2_000_000 + number * HISTORY + k)
            planned.append(BatchItem(order, PURPOSE, FLOW))
    for first in range(0, len(planned), 1000):
        for result in request_transfers(gh, planned[first : first + 1000]):
            if result.outcome is None or not result.outcome.decision.allowed:
                raise RuntimeError(f"a reader's transfer was not allowed: {result}")
    tokens = [open_link(gh, create_link(gh, reader).token)[0] for reader in readers]
    return Load("who has my data", [f"GET\t/v1/me/transfers\t{t}\t" for t in tokens], 200, False)


@dataclass
class Minute:
    """What one minute of the run saw."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: int = 0
    answers: int = 0
    rss: list[float] = field(default_factory=list)


def schedule(rate: float, seconds: float) -> list[tuple[float, str]]:
    """(offset in seconds, load name) for every request, the mix spread evenly in time."""
    wheel = [name for name, share in MIX.items() for _ in range(share)]
    # Interleave the wheel so one kind's requests never come in a burst of its share.
    order = sorted(range(len(wheel)), key=lambda i: (i * 7) % len(wheel))
    count = int(rate * seconds)
    return [(i / rate, wheel[order[i % len(wheel)]]) for i in range(count)]


def split(line: str) -> tuple[str, str, str, str]:
    """A request line of http_load's file: method, path, token, body."""
    method, path, token, body = line.split("\t", 3)
    return method, path, token, body


class Soak:
    """The open-loop sender and its per-minute tally."""

    def __init__(self, url: str, loads: list[Load], warmup: float, inflight: int) -> None:
        self.url = url
        self.loads = {load.name: load for load in loads}
        self.next_line = {name: 0 for name in self.loads}
        self.warmup = warmup
        self.inflight = inflight
        self.open = 0
        self.minutes: dict[int, Minute] = {}
        self.fell_behind_at: float | None = None

    def _line(self, name: str) -> str:
        load = self.loads[name]
        index = self.next_line[name]
        if load.one_shot and index >= len(load.lines):
            raise RuntimeError(f"{name}: too few seeded requests for this run")
        self.next_line[name] = index + 1
        return load.lines[index % len(load.lines)]

    def _minute(self, offset: float) -> Minute | None:
        if offset < self.warmup:
            return None
        return self.minutes.setdefault(int((offset - self.warmup) // 60), Minute())

    async def _send(
        self, client: httpx.AsyncClient, start: float, offset: float, name: str
    ) -> None:
        method, path, token, body = split(self._line(name))
        headers = {"Authorization": f"Bearer {token}"}
        if body:
            headers["Content-Type"] = "application/json"
        status = 0
        try:
            answer = await client.request(method, path, headers=headers, content=body or None)
            status = answer.status_code
        except httpx.HTTPError:
            pass
        finally:
            self.open -= 1
        latency = time.perf_counter() - (start + offset)
        minute = self._minute(offset)
        if minute is None:
            return
        minute.answers += 1
        if status != self.loads[name].status:
            minute.errors += 1
        minute.latencies.setdefault(name, []).append(latency * 1000)

    async def _watch_memory(self, pid: int, start: float, stop: asyncio.Event) -> None:
        while not stop.is_set():
            minute = self._minute(time.perf_counter() - start)
            if minute is not None:
                # /proc and ps are read off the event loop, so the sender never waits on them.
                minute.rss.append(await asyncio.to_thread(rss_mb, pid))
            try:
                await asyncio.wait_for(stop.wait(), timeout=1.0)
            except TimeoutError:
                continue

    async def run(self, pid: int, plan: list[tuple[float, str]]) -> None:
        """Send every planned request at its time; wait for the last answers."""
        limits = httpx.Limits(max_connections=self.inflight, max_keepalive_connections=64)
        async with httpx.AsyncClient(base_url=self.url, limits=limits, timeout=30) as client:
            stop = asyncio.Event()
            start = time.perf_counter()
            watcher = asyncio.create_task(self._watch_memory(pid, start, stop))
            tasks: set[asyncio.Task[None]] = set()
            for offset, name in plan:
                delay = start + offset - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                if self.open >= self.inflight:
                    # Past the bound the run would only measure its own queue: stop sending,
                    # and report what was seen up to here.
                    self.fell_behind_at = offset
                    print(f"stopped at {offset:.0f} s: {self.open} requests open at once")
                    break
                self.open += 1
                task = asyncio.create_task(self._send(client, start, offset, name))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            await asyncio.gather(*tasks)
            stop.set()
            await watcher


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (``share`` between 0 and 1)."""
    ranked = sorted(values)
    return ranked[min(len(ranked) - 1, max(0, int(round(share * len(ranked))) - 1))]


def by_kind(minutes: dict[int, Minute]) -> None:
    """p50 and p99 of each kind of request over the whole run."""
    print("\n| request | answers | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    for name in MIX:
        seen = [v for minute in minutes.values() for v in minute.latencies.get(name, [])]
        if seen:
            p50, p99 = percentile(seen, 0.5), percentile(seen, 0.99)
            print(f"| {name} | {len(seen):,} | {p50:.1f} | {p99:.1f} |")


def by_minute(minutes: dict[int, Minute]) -> None:
    """Each kind's p99 in each minute: which request a rise of the mix comes from."""
    names = [name for name in MIX if any(name in m.latencies for m in minutes.values())]
    print("\n| minute | " + " | ".join(f"{name} p99" for name in names) + " |")
    print("|---|" + "---|" * len(names))
    for index in sorted(minutes):
        seen = minutes[index].latencies
        cells = [f"{percentile(seen[n], 0.99):.1f}" if seen.get(n) else "-" for n in names]
        print(f"| {index + 1} | " + " | ".join(cells) + " |")


@contextmanager
def background_worker(env: dict[str, str]) -> Iterator[subprocess.Popen[bytes] | None]:
    """``gatehouse worker`` on the server's database until the block ends (SIGTERM)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "gatehouse", "worker", "--poll", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.terminate()
        process.wait(timeout=60)


def report(minutes: dict[int, Minute]) -> None:
    """The per-minute table, then the first against the last full minute."""
    print("| minute | answers | errors | p50 ms | p99 ms | baseline p99 ms | RSS MB |")
    print("|---|---|---|---|---|---|---|")
    rows = []
    for index in sorted(minutes):
        minute = minutes[index]
        mixed = [v for name, vs in minute.latencies.items() for v in vs]
        if not mixed:
            continue
        base = minute.latencies.get("baseline GET", [0.0])
        row = (
            index + 1,
            minute.answers,
            minute.errors,
            percentile(mixed, 0.5),
            percentile(mixed, 0.99),
            percentile(base, 0.99),
            statistics.median(minute.rss) if minute.rss else 0.0,
        )
        rows.append(row)
        print(
            f"| {row[0]} | {row[1]:,} | {row[2]} | {row[3]:.1f} | {row[4]:.1f} | {row[5]:.1f} "
            f"| {row[6]:.0f} |"
        )
    if not rows:
        print("no minute after the warm-up")
        return
    full = [row for row in rows if row[1] >= 0.9 * rows[0][1]]
    first, last = full[0], full[-1]
    answers = sum(row[1] for row in rows)
    errors = sum(row[2] for row in rows)
    print(f"\nanswers {answers:,}, errors {errors} ({100 * errors / max(answers, 1):.3f} %)")
    print(
        f"p99 first minute {first[4]:.1f} ms, last {last[4]:.1f} ms: "
        f"{100 * (last[4] / first[4] - 1):+.1f} % (target within 20 %)"
    )
    print(
        f"RSS first minute {first[6]:.0f} MB, last {last[6]:.0f} MB: "
        f"{100 * (last[6] / first[6] - 1):+.1f} % (target within 10 %)"
    )
    ratios = [row[4] / row[5] for row in rows if row[5]]
    ratio = statistics.median(ratios)
    print(f"p99 of the mix over the baseline's p99, median of minutes: {ratio:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=40.0, help="requests a second, all kinds")
    parser.add_argument("--warmup", type=float, default=60.0, help="seconds left out first")
    parser.add_argument("--inflight", type=int, default=256)
    parser.add_argument("--database-url", help="a PostgreSQL server's admin URL")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--no-worker", action="store_true", help="no `gatehouse worker` beside")
    args = parser.parse_args()
    seconds = args.warmup + 60 * args.minutes
    plan = schedule(args.rate, seconds)
    needed = {name: sum(1 for _, n in plan if n == name) for name in MIX}
    with server_environment(args.database_url) as env:
        env.setdefault("MALLOC_ARENA_MAX", "2")
        began = time.perf_counter()
        gh = open_gatehouse(Settings.from_env(env))
        loads = seed(
            gh,
            transfers=needed["transfers"] + 10,
            deletions=needed["deletions"] + 10,
            reads=500,
        )
        loads = [load for load in loads if load.name != "who has my data"]
        loads.append(steady_readers(gh, "2026-01"))
        gh.close()
        backend = "PostgreSQL" if args.database_url else "SQLite"
        print(
            f"{backend}, {args.workers} worker(s): seeded in {time.perf_counter() - began:.0f}"
            f" s; {args.rate:g} requests a second for {args.minutes:g} min after a "
            f"{args.warmup:g} s warm-up ({len(plan):,} requests); worker "
            f"{'off' if args.no_worker else 'on'}; MALLOC_ARENA_MAX={env['MALLOC_ARENA_MAX']}",
            flush=True,
        )
        worker = nullcontext(None) if args.no_worker else background_worker(env)
        with worker, serving(env, args.workers, None) as server:
            soak = Soak(server.url, loads, args.warmup, args.inflight)
            asyncio.run(soak.run(server.process.pid, plan))
        report(soak.minutes)
        by_kind(soak.minutes)
        by_minute(soak.minutes)
        if soak.fell_behind_at is not None:
            sys.exit(f"the server fell behind at {soak.fell_behind_at:.0f} s: not a pass")


if __name__ == "__main__":
    main()
