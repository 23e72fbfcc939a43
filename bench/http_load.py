"""The real server under load: transfers, consent saves and deletions over HTTP.

Setup (not timed) seeds through the services: published terms, sellers abroad that accept
them, Korean customers with a granted consent, one new order for every transfer request to
come, and, for deletions, customers with one allowed transfer each and a privacy-center
session token (a spent sign-in link). Then ``gatehouse serve`` starts as its own process
(SQLite by default; ``--database-url`` runs it on a scratch PostgreSQL database that the run
creates and drops, with ``--workers``), and Debian's ``wrk`` (C, one thread, in another
process) drives it at 1, 16 and 64 connections, each request read from a file by a Lua script:

- baseline: ``GET /v1/recipients?limit=1``, the cheapest authenticated answer of the server;
- transfers: ``POST /v1/orders/{id}/transfers``, every request a new order;
- consent saves: ``POST /v1/subjects/{id}/consents``;
- deletions: the customer's ``DELETE /v1/me`` with their own session token, each customer
  with one transfer.

Each cell is the median of ``--repeats`` runs of ``--requests`` answers (a quarter as many
deletions): answers a second, and p50, p99 and p99.9 of latency as wrk measured them. Every
answer's status is checked. Cold start is the time from starting ``gatehouse serve`` to its
first ``/healthz`` answer (median of 3 starts); ``--starts`` measures only that, five
times on an empty database, alternating with a peer: FastAPI with one route on the same
uvicorn, loop and parser, so the figure is also a ratio to the framework's own start. RSS
is the server's (all its processes) when it first answers and after the load.
``--orjson`` serves the same app with FastAPI's ``ORJSONResponse`` as every route's response
class, to measure a faster JSON encoder;
``--loop asyncio --http h11`` serves it on uvicorn's pure-Python defaults instead of uvloop
and httptools, to measure what those two give.
``--profile transfers:16`` then runs that load once more under py-spy (every thread of the
server, only samples holding the GIL, so where its CPU goes) and prints the functions that
hold most samples, inclusive and by themselves; with ``--waits`` it samples every thread,
waiting ones too, to show where the time goes that no thread spends running Python.

    .venv/bin/python bench/http_load.py [--requests 3000] [--repeats 3] [--connections 1,16,64]
                                   [--database-url URL --workers 2] [--orjson]
                                   [--profile LOAD:CONNECTIONS] [--loop L --http H]
    .venv/bin/python bench/http_load.py --starts   # the cold start alone, beside a peer
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import httpx

from gatehouse.config import Settings
from gatehouse.demo.korea import KoreanCustomers
from gatehouse.demo.marketplace import DEMO_TERMS
from gatehouse.domain.ids import new_id
from gatehouse.domain.orders import OrderItem
from gatehouse.domain.recipients import PrivacyOfficer
from gatehouse.services import consents as consent_service
from gatehouse.services import notices as notice_service
from gatehouse.services import orders as order_service
from gatehouse.services import recipients as recipient_service
from gatehouse.services import subjects as subject_service
from gatehouse.services import terms as terms_service
from gatehouse.services.access import issue_operator_key
from gatehouse.services.customer_sessions import create_link, open_link
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.transfer_batch import BatchItem, request_transfers
from gatehouse.store.scratch import scratch_database
from gatehouse.vault import MasterKey

PURPOSE = "fulfilment"
FLOW = "provision"
SELLERS = 20
CUSTOMERS = 400
SUBJECT_BATCH = 500
# More requests in a file than a run stops at, so the requests still in flight when wrk
# stops are new orders and new customers too, never a repeat.
PAD = 100
TRANSFER_BODY = json.dumps({"purpose": PURPOSE, "flow": FLOW})

# wrk's script: requests from a file (method, path, token, body a line), the status each
# answer must have, and a stop after so many answers. One wrk thread, so one Lua state. A
# stopped thread does not end wrk's timed sleep, so the script also writes a flag file that
# tells this process to interrupt wrk, whose runtime then ends with the last answer.
LUA = r"""
local threads = {}
function setup(thread) table.insert(threads, thread) end
reqs, n, i, got, bad, expect, limit, flag = {}, 0, 0, 0, 0, 200, 0, nil
function init(args)
  expect = tonumber(args[2]); limit = tonumber(args[3]); flag = args[4]
  for line in io.lines(args[1]) do
    local method, path, token, body = line:match("^(%S+)\t(%S+)\t(%S+)\t(.*)$")
    local headers = {["Authorization"] = "Bearer " .. token}
    if body == "" then body = nil else headers["Content-Type"] = "application/json" end
    n = n + 1
    reqs[n] = wrk.format(method, path, headers, body)
  end
end
function request()
  i = i + 1
  if i > n then i = 1 end
  return reqs[i]
end
function response(status, headers, body)
  got = got + 1
  if status ~= expect then bad = bad + 1 end
  if got == limit then
    io.open(flag, "w"):close()
    wrk.thread:stop()
  end
end
function done(summary, latency, requests)
  local wrong = 0
  for _, t in ipairs(threads) do wrong = wrong + t:get("bad") end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), wrong,
    e.connect + e.read + e.write + e.timeout))
end
"""

# The server for --orjson, --loop and --http: the same application as `gatehouse serve`,
# optionally with every API route answering through ORJSONResponse (as
# `default_response_class=ORJSONResponse` in create_app would make it), on the loop and HTTP
# parser named.
VARIANT_SERVER = """
import sys, warnings
import uvicorn
from fastapi.responses import ORJSONResponse
from fastapi.routing import APIRoute, request_response
from gatehouse.app import create_app
from gatehouse.config import Settings
from gatehouse.services.runtime import open_gatehouse
port, orjson, loop, http = sys.argv[1:]
warnings.simplefilter("ignore")
app = create_app(open_gatehouse(Settings.from_env()))
for route in app.router.routes if orjson == "1" else []:
    if isinstance(route, APIRoute):
        route.response_class = ORJSONResponse
        route.app = request_response(route.get_route_handler())
uvicorn.run(app, host="127.0.0.1", port=int(port), loop=loop, http=http,
            log_level="warning", access_log=False)
"""


# The peer for the cold start: FastAPI with one route on the same uvicorn, loop and parser,
# so the start's cost of the framework alone is measured on the same machine in the same run.
PEER_SERVER = """
import sys, uvicorn
from fastapi import FastAPI
app = FastAPI()
@app.get("/healthz")
def healthz() -> dict[str, bool]:
    return {"ok": True}
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), loop="uvloop", http="httptools",
            log_level="warning", access_log=False)
"""


@dataclass(frozen=True)
class Load:
    """One kind of request: its lines for wrk's file and the status each answer must have."""

    name: str
    lines: list[str]
    status: int
    one_shot: bool  # each line may be sent once (a new order, a customer deleted)


@dataclass(frozen=True)
class Result:
    rate: float
    p50_ms: float
    p99_ms: float
    p999_ms: float


def seller_input(index: int) -> recipient_service.RecipientInput:
    slug = f"sel{index:03d}"
    return recipient_service.RecipientInput(
        kind="seller",
        legal_name=f"Bench Trading Co., Ltd. ({slug})",
        country="CN",
        contact_email=f"ops@{slug}.example.cn",
        privacy_officer=PrivacyOfficer(name="Li Wei", email=f"privacy@{slug}.example.cn"),
        purposes=[PURPOSE],
        retention_days=90,
    )


def new_customers(gh: Gatehouse, people: KoreanCustomers, start: int, count: int) -> list[str]:
    ids: list[str] = []
    for first in range(start, start + count, SUBJECT_BATCH):
        batch = [
            subject_service.NewSubject(pii=people.one(i), residence_country="KR", locale="ko-KR")
            for i in range(first, min(start + count, first + SUBJECT_BATCH))
        ]
        ids.extend(s.id for s in subject_service.create_subjects(gh, batch))
    return ids


def new_order(gh: Gatehouse, subject_id: str, seller_id: str, index: int) -> str:
    return order_service.create_order(
        gh,
        order_service.NewOrder(
            subject_id=subject_id,
            recipient_id=seller_id,
            external_ref=new_id("bench"),
            items=[OrderItem(sku=f"SKU-{index:06d}", name="무선 이어폰 케이스", quantity=1)],
            delivery_note=None,
            customs_required=False,
        ),
    )


def seed(gh: Gatehouse, *, transfers: int, deletions: int, reads: int = 0) -> list[Load]:
    """Everything the loads need, written through the services; returns the request lines.

    With ``reads``, two more loads: sellers reading ``reads`` open views with their own keys,
    and customers asking who has their data (``GET /v1/me/transfers``) with their tokens.
    """
    rnd = random.Random(7)
    key = issue_operator_key(gh, gh.clock(), label="bench")
    terms = terms_service.publish_terms(gh, "2026-01", DEMO_TERMS)
    registered = recipient_service.register_recipients(
        gh, [seller_input(i) for i in range(SELLERS)]
    )
    sellers = [item.standing.recipient.id for item in registered]
    for seller_id in sellers:
        recipient_service.accept_terms(gh, seller_id, terms.version)
    people = KoreanCustomers(11)
    customers = new_customers(gh, people, 0, CUSTOMERS)
    notices: dict[str, str] = {}
    for seller_id in sellers:
        notices[seller_id] = notice_service.render_for_subject(
            gh,
            subject_id=customers[0],
            recipient_ids=[seller_id],
            countries=[],
            purpose=PURPOSE,
            flow=FLOW,
            locale=None,
        ).hash
    consented = {c: sellers[i % SELLERS] for i, c in enumerate(customers)}
    for customer, seller_id in consented.items():
        consent_service.record_consent(
            gh, customer, notices[seller_id], granted=True, channel="web"
        )
    orders = []
    for index in range(transfers):
        customer = rnd.choice(customers)
        orders.append(new_order(gh, customer, consented[customer], index))
    leaving = new_customers(gh, people, CUSTOMERS, deletions)
    planned = []
    for index, customer in enumerate(leaving):
        seller_id = sellers[index % SELLERS]
        consent_service.record_consent(
            gh, customer, notices[seller_id], granted=True, channel="web"
        )
        planned.append(BatchItem(new_order(gh, customer, seller_id, index), PURPOSE, FLOW))
    for first in range(0, len(planned), 1000):
        for result in request_transfers(gh, planned[first : first + 1000]):
            if result.outcome is None or result.outcome.transfer_id is None:
                raise RuntimeError(f"a seeded transfer was not allowed: {result}")
    tokens = [open_link(gh, create_link(gh, customer).token)[0] for customer in leaving]
    extra = _read_loads(gh, consented, registered, reads, rnd) if reads else []
    saves = [
        (c, json.dumps({"notice_hash": notices[s], "granted": True, "channel": "web"}))
        for c, s in consented.items()
    ]
    return [
        Load("baseline GET", [f"GET\t/v1/recipients?limit=1\t{key}\t"], 200, False),
        Load(
            "transfers",
            [f"POST\t/v1/orders/{o}/transfers\t{key}\t{TRANSFER_BODY}" for o in orders],
            201,
            True,
        ),
        Load(
            "consent saves",
            [f"POST\t/v1/subjects/{c}/consents\t{key}\t{body}" for c, body in saves],
            201,
            False,
        ),
        Load("deletions", [f"DELETE\t/v1/me\t{token}\t" for token in tokens], 202, True),
        *extra,
    ]


def _read_loads(
    gh: Gatehouse,
    consented: dict[str, str],
    registered: list[recipient_service.Registered],
    reads: int,
    rnd: random.Random,
) -> list[Load]:
    keys = {item.standing.recipient.id: item.api_key for item in registered}
    customers = list(consented)
    planned, sellers = [], []
    for index in range(reads):
        customer = rnd.choice(customers)
        sellers.append(consented[customer])
        order = new_order(gh, customer, consented[customer], 1_000_000 + index)
        planned.append(BatchItem(order, PURPOSE, FLOW))
    view_lines = []
    for first in range(0, len(planned), 1000):
        results = request_transfers(gh, planned[first : first + 1000])
        for seller_id, result in zip(sellers[first : first + 1000], results, strict=True):
            if result.outcome is None or not result.outcome.decision.allowed:
                raise RuntimeError(f"a seeded transfer was not allowed: {result}")
            path = f"/v1/recipient/transfers/{result.outcome.transfer_id}"
            view_lines.append(f"GET\t{path}\t{keys[seller_id]}\t")
    readers = customers[: min(len(customers), 200)]
    tokens = [open_link(gh, create_link(gh, customer).token)[0] for customer in readers]
    mine = [f"GET\t/v1/me/transfers\t{token}\t" for token in tokens]
    return [
        Load("view reads", view_lines, 200, False),
        Load("who has my data", mine, 200, False),
    ]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants, in MB."""
    total = 0
    for each in [pid, *descendants(pid)]:
        try:
            for line in Path(f"/proc/{each}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            continue
    return total / 1024


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    cold_start_s: float
    rss_start_mb: float


@contextmanager
def serving(
    env: dict[str, str],
    workers: int,
    variant: list[str] | None,
    script: list[str] | None = None,
) -> Iterator[Server]:
    """Start the server (or ``script``, given the port as its last argument); yield once it
    first answers /healthz; stop it with SIGTERM."""
    port = free_port()
    if script:
        command = [*script, str(port)]
    elif variant:
        command = [sys.executable, "-c", VARIANT_SERVER, str(port), *variant]
    else:
        command = [sys.executable, "-m", "gatehouse", "serve", "--port", str(port)]
        command += ["--workers", str(workers)]
    url = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    # The server's JSON log (a line per request) is written, as in production, and thrown away.
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        with httpx.Client(timeout=1) as client:
            while True:
                if process.poll() is not None:
                    raise RuntimeError(f"the server exited with status {process.returncode}")
                try:
                    if client.get(f"{url}/healthz").status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.005)
        cold = time.perf_counter() - started
        yield Server(process, url, cold, rss_mb(process.pid))
    finally:
        process.terminate()
        process.wait(timeout=30)


def run_wrk(url: str, load: Load, lines: list[str], count: int, connections: int) -> Result:
    """One wrk run until ``count`` answers; fails on any answer without the expected status."""
    with tempfile.TemporaryDirectory() as folder:
        script, requests = Path(folder, "load.lua"), Path(folder, "requests.tsv")
        flag = Path(folder, "done")
        script.write_text(LUA)
        requests.write_text("\n".join(lines) + "\n")
        wrk = subprocess.Popen(
            ["wrk", "-t1", f"-c{connections}", "-d300s", "--timeout", "30s", "-s", str(script)]
            + [url, "--", str(requests), str(load.status), str(count), str(flag)],
            stdout=subprocess.PIPE,
            text=True,
        )
        while wrk.poll() is None and not flag.exists():
            time.sleep(0.002)
        wrk.send_signal(signal.SIGINT)
        out, _ = wrk.communicate(timeout=60)
    fields = next(line for line in out.splitlines() if line.startswith("RESULT ")).split()[1:]
    done, duration_us, p50, p99, p999, wrong, errors = (int(f) for f in fields)
    if wrong or errors:
        raise RuntimeError(f"{load.name}: {wrong} wrong statuses, {errors} socket errors\n{out}")
    return Result(done / (duration_us / 1e6), p50 / 1000, p99 / 1000, p999 / 1000)


def _median(results: list[Result]) -> Result:
    return Result(
        statistics.median(r.rate for r in results),
        statistics.median(r.p50_ms for r in results),
        statistics.median(r.p99_ms for r in results),
        statistics.median(r.p999_ms for r in results),
    )


def measure(
    url: str, loads: list[Load], levels: list[int], count: int, repeats: int
) -> dict[tuple[str, int], Result]:
    """Every load at every level, ``repeats`` times, interleaved; one-shot lines never repeat."""
    taken = {load.name: 0 for load in loads}
    runs: dict[tuple[str, int], list[Result]] = {}
    for _ in range(repeats):
        for level in levels:
            for load in loads:
                n = count // 4 if load.name == "deletions" else count
                if load.one_shot:
                    start = taken[load.name]
                    lines = load.lines[start : start + n + PAD]
                    taken[load.name] = start + n + PAD
                    if len(lines) < n + PAD:
                        raise RuntimeError(f"{load.name}: too few seeded requests")
                else:
                    lines = load.lines
                result = run_wrk(url, load, lines, n, level)
                runs.setdefault((load.name, level), []).append(result)
                print(
                    f"  {load.name:14} c={level:<3} {result.rate:8.0f}/s  p50 {result.p50_ms:6.2f}"
                    f"  p99 {result.p99_ms:7.2f}  p99.9 {result.p999_ms:7.2f} ms",
                    flush=True,
                )
    return {cell: _median(results) for cell, results in runs.items()}


# Where a request's time can go: the event loop's thread, the thread pool running the sync
# endpoints, the group commits' threads, authentication, FastAPI's dependencies and answers,
# the use cases, the database.
WATCHED = [
    "Runner.run (runners.py",
    "WorkerThread.run (_asyncio.py",
    "_worker (thread.py",
    "operator (deps.py",
    "grouped_operator (deps.py",
    "customer (deps.py",
    "KeyCache.confirm (key_cache.py",
    "solve_dependencies (utils.py",
    "serialize_response (routing.py",
    "_IncludedRouter._match (routing.py",
    "request_transfer (transfers.py",
    "decide_items (transfers.py",
    "GroupCommit._run (group_commit.py",
    "GroupCommit._answer (group_commit.py",
    "Condition.notify (threading.py",
    "record_consent (consents.py",
    "record_consents (consents.py",
    "delete_account (customer.py",
    "delete_accounts (grouped_writes.py",
    "authenticate_customer (customer_sessions.py",
    "do_execute (default.py",
    "do_commit (default.py",
    "Condition.wait (threading.py",
]


def profile(
    server: Server, load: Load, count: int, level: int, skip: int, waits: bool = False
) -> None:
    """Run one more round of ``load`` with py-spy sampling the server's processes.

    By default only the thread holding the GIL is sampled; with ``waits``, every thread, idle
    or waiting included, so time spent waiting on the database shows too.
    """
    holding = "every thread, waits included" if waits else "holding the GIL"
    lines = load.lines[skip : skip + count + PAD] if load.one_shot else load.lines
    with tempfile.TemporaryDirectory() as folder:
        outputs = []
        spies = []
        for pid in [server.process.pid, *descendants(server.process.pid)]:
            out = Path(folder, f"{pid}.txt")
            outputs.append(out)
            spies.append(
                subprocess.Popen(
                    [
                        shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy"),
                        "record",
                        "--pid",
                        str(pid),
                        "--idle" if waits else "--gil",
                        "--rate",
                        "250",
                    ]
                    + ["--format", "raw", "--output", str(out), "--nonblocking"],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        time.sleep(1.0)  # py-spy attaches
        result = run_wrk(server.url, load, lines, count, level)
        for spy in spies:
            spy.send_signal(signal.SIGINT)
            spy.wait(timeout=60)
        stacks = [line.rsplit(" ", 1) for out in outputs if out.exists() for line in out.open()]
    print(f"\nprofile: {load.name} at {level} connections, {result.rate:.0f}/s under py-spy")
    inclusive: dict[str, int] = {}
    own: dict[str, int] = {}
    total = 0
    for stack, samples in stacks:
        n = int(samples)
        total += n
        frames = [
            f.split(" (")[0] + " (" + f.split(" (")[-1].split(":")[0].split("/")[-1]
            for f in stack.split(";")
        ]
        for frame in set(frames):
            inclusive[frame] = inclusive.get(frame, 0) + n
        own[frames[-1]] = own.get(frames[-1], 0) + n
    print(f"selected frames, inclusive share of {total} samples, {holding}:")
    for prefix in WATCHED:
        n = sum(v for k, v in inclusive.items() if prefix in k)
        print(f"  {100 * n / max(total, 1):5.1f} %  {prefix}")
    for title, table in (("inclusive", inclusive), ("own", own)):
        print(f"top by {title} share of {total} samples, {holding}:")
        for frame, n in sorted(table.items(), key=lambda kv: -kv[1])[:25]:
            print(f"  {100 * n / max(total, 1):5.1f} %  {frame})")


def descendants(pid: int) -> list[int]:
    pids = [pid]
    for parent in pids:
        found = subprocess.run(
            ["ps", "-o", "pid=", "--ppid", str(parent)], capture_output=True, text=True
        )
        pids.extend(int(p) for p in found.stdout.split())
    return pids[1:]


@contextmanager
def server_environment(database_url: str | None) -> Iterator[dict[str, str]]:
    """The environment of a server on a new database: a scratch PostgreSQL database on the
    server ``database_url`` names (dropped afterwards), else an SQLite file in a temporary
    folder; a new master key; no other ``GATEHOUSE_`` setting of this shell."""
    folder = tempfile.mkdtemp(prefix="gatehouse-bench-")
    scratch = (
        scratch_database(database_url, prefix="gatehouse_bench")
        if database_url
        else nullcontext(f"sqlite:///{folder}/bench.db")
    )
    try:
        with scratch as url:
            yield {
                **{k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")},
                "GATEHOUSE_DATABASE_URL": url,
                "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64(),
            }
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def cold_starts(workers: int, database_url: str | None, runs: int = 5) -> None:
    """Time ``gatehouse serve`` on a migrated, empty database to its first answer, alternating
    with the peer (FastAPI, one route, the same uvicorn), and print the medians and ratio."""
    with server_environment(database_url) as env:
        open_gatehouse(Settings.from_env(env)).close()
        ours, peer = [], []
        for _ in range(runs):
            with serving(env, workers, None) as server:
                ours.append(server.cold_start_s)
            with serving(env, 1, None, script=[sys.executable, "-c", PEER_SERVER]) as server:
                peer.append(server.cold_start_s)
    median, peer_median = statistics.median(ours), statistics.median(peer)
    print(f"gatehouse serve: {median:.2f} s (runs: {', '.join(f'{s:.2f}' for s in ours)})")
    print(
        f"peer, FastAPI with one route: {peer_median:.2f} s (runs: "
        f"{', '.join(f'{s:.2f}' for s in peer)})"
    )
    print(f"cold start against the peer: {median / peer_median:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="answers a run (deletions /4)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--connections", default="1,16,64")
    parser.add_argument("--database-url", help="a PostgreSQL server's admin URL")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--orjson", action="store_true", help="ORJSONResponse on every route")
    parser.add_argument("--profile", help="LOAD:CONNECTIONS to run once more under py-spy")
    parser.add_argument("--waits", action="store_true", help="profile every thread, idle too")
    parser.add_argument("--loop", default="uvloop", help="uvicorn's loop, e.g. asyncio")
    parser.add_argument("--http", default="httptools", help="uvicorn's HTTP parser, e.g. h11")
    parser.add_argument("--starts", action="store_true", help="only the cold starts, with a peer")
    args = parser.parse_args()
    if args.starts:
        cold_starts(args.workers, args.database_url)
        return
    if shutil.which("wrk") is None:
        sys.exit("bench/http_load.py drives the server with wrk: install Debian's wrk package")
    levels = [int(c) for c in args.connections.split(",")]
    plain = not args.orjson and (args.loop, args.http) == ("uvloop", "httptools")
    variant = None if plain else ["1" if args.orjson else "0", args.loop, args.http]
    runs = args.repeats * len(levels) + (1 if args.profile else 0)
    with server_environment(args.database_url) as env:
        settings = Settings.from_env(env)
        began = time.perf_counter()
        gh = open_gatehouse(settings)
        loads = seed(
            gh,
            transfers=runs * (args.requests + PAD),
            deletions=runs * (args.requests // 4 + PAD),
        )
        gh.close()
        backend = "PostgreSQL" if args.database_url else "SQLite"
        print(
            f"{backend}, {args.workers} worker(s), {args.loop}, {args.http}"
            f"{', orjson' if args.orjson else ''}: "
            f"seeded in {time.perf_counter() - began:.0f} s",
            flush=True,
        )
        starts = []
        for _ in range(3):
            with serving(env, args.workers, variant) as server:
                starts.append((server.cold_start_s, server.rss_start_mb))
        print(
            f"cold start to first answer: {statistics.median(s[0] for s in starts):.2f} s "
            f"(runs: {', '.join(f'{s[0]:.2f}' for s in starts)}); "
            f"RSS at first answer {statistics.median(s[1] for s in starts):.0f} MB",
            flush=True,
        )
        with serving(env, args.workers, variant) as server:
            table = measure(server.url, loads, levels, args.requests, args.repeats)
            rss_after = rss_mb(server.process.pid)
            if args.profile:
                name, level = args.profile.split(":")
                load = next(x for x in loads if x.name.startswith(name))
                n = args.requests // 4 if load.name == "deletions" else args.requests
                used = (runs - 1) * (n + PAD)
                profile(server, load, n, int(level), used, args.waits)
        print(f"RSS after the load: {rss_after:.0f} MB")
        print(f"\nmedians of {args.repeats} runs ({args.requests} answers, deletions /4):")
        print("| load | connections | answers/s | p50 ms | p99 ms | p99.9 ms |")
        print("|---|---|---|---|---|---|")
        for (name, level), r in table.items():
            print(
                f"| {name} | {level} | {r.rate:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} "
                f"| {r.p999_ms:.2f} |"
            )


if __name__ == "__main__":
    main()
