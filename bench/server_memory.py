"""Where the server's memory goes under load: RSS, threads and Python's own allocations.

The same server and loads as ``bench/http_load.py`` (transfers, consent saves and deletions
over HTTP, driven by wrk at each ``--connections`` level, ``--repeats`` times), run once per
variant of the server, each on the same seeded SQLite file and each with its own unused
orders and customers:

- ``default``: ``gatehouse serve``'s application as it runs, glibc's malloc arenas capped at
  two (``cap_malloc_arenas``);
- ``uncapped``: the same with glibc's default arenas, up to eight a core, one for each thread
  that meets another in malloc;
- ``threads8``: AnyIO's thread pool, which runs the synchronous endpoints, held to 8 threads
  instead of its 40;
- ``cache500``: every SQLite connection's page cache held to 500 KiB instead of 2,000;
- ``traced``: the default under ``tracemalloc`` (one frame), whose snapshots at the first
  answer and after the load give the growth of Python's own allocations by line. Its RSS is
  inflated by the tracing itself, so it only places the growth, and is not compared.

For each variant: RSS and thread count at the first answer and after the load, and RSS again
after ``malloc_trim(0)`` hands the heap's free pages back to the system; what Python's
small-object allocator uses and holds (its own report, ``sys._debugmallocstats``); and the
SQLite connections the pool has opened. What ``malloc_trim``
gives back was free memory the allocator kept (retention or fragmentation), not live objects;
what the traced run sees is live Python objects; the rest is native memory held by C code:
SQLite's page caches, thread stacks, OpenSSL, the interpreter itself.

    .venv/bin/python bench/server_memory.py [--requests 1000] [--repeats 2]
                                            [--connections 16,64] [--variants ...]
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import httpx
from http_load import PAD, Load, measure, seed, server_environment, serving

from gatehouse.config import Settings
from gatehouse.services.runtime import open_gatehouse

VARIANTS = ("default", "uncapped", "threads8", "cache500", "traced")

# The server: `gatehouse serve`'s application, changed as the variant says, behind one more
# route that reports its memory (and, asked to, trims the heap or writes a snapshot). The
# route answers before the application sees the request, so it adds no state of its own.
MEMORY_SERVER = """
import ctypes, json, os, sys, traceback, tracemalloc, urllib.parse, warnings
variant, port = sys.argv[1], int(sys.argv[2])
if variant != "uncapped":
    from gatehouse.cli.serving import cap_malloc_arenas
    cap_malloc_arenas()
if variant == "traced":
    tracemalloc.start(1)
import anyio.to_thread, uvicorn
from sqlalchemy import event
from gatehouse.app import create_app
from gatehouse.config import Settings
from gatehouse.services.runtime import open_gatehouse
warnings.simplefilter("ignore")
gh = open_gatehouse(Settings.from_env())
if variant == "cache500":
    @event.listens_for(gh.engine, "connect")
    def _small_cache(connection, _record):
        connection.execute("PRAGMA cache_size=-500")
    gh.engine.dispose()
inner = create_app(gh)
libc = ctypes.CDLL("libc.so.6")
limited = False

def _pymalloc_mb():
    # The interpreter's own allocator report, written through a C stream of its own rather than
    # stderr: what Python's small-object allocator holds in arenas, and what its blocks use.
    import tempfile
    libc.fopen.restype = ctypes.c_void_p
    libc.fopen.argtypes = [ctypes.c_char_p, ctypes.c_char_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    write = ctypes.pythonapi._PyObject_DebugMallocStats
    write.argtypes = [ctypes.c_void_p]
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "stats")
        stream = libc.fopen(path.encode(), b"w")
        write(stream)
        libc.fclose(stream)
        stats = open(path).read()
    def figure(label):
        # None under tracemalloc, whose hooks hide the allocator from its own report.
        line = next((l for l in stats.splitlines() if l.startswith(label)), None)
        return None if line is None else int(line.split("=")[-1].replace(",", "")) / 2**20
    return figure("# bytes in allocated blocks"), figure("Total")

def _rss_threads():
    status = dict(line.split(":", 1) for line in open("/proc/self/status"))
    return int(status["VmRSS"].split()[0]) / 1024, int(status["Threads"])

async def app(scope, receive, send):
    global limited
    if scope["type"] == "http" and not limited and variant == "threads8":
        anyio.to_thread.current_default_thread_limiter().total_tokens = 8
        limited = True
    if scope["type"] != "http" or scope["path"] != "/__memory":
        return await inner(scope, receive, send)
    query = dict(urllib.parse.parse_qsl(scope["query_string"].decode()))
    try:
        body = json.dumps(_report(query)).encode()
        status = 200
    except Exception:
        body, status = traceback.format_exc().encode(), 500
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": body})

def _report(query):
    report = {}
    report["rss_mb"], report["threads"] = _rss_threads()
    report["pymalloc_used_mb"], report["pymalloc_held_mb"] = _pymalloc_mb()
    report["connections"] = gh.engine.pool.checkedin() + gh.engine.pool.checkedout()
    if "snapshot" in query and tracemalloc.is_tracing():
        tracemalloc.take_snapshot().dump(query["snapshot"])
        report["traced_mb"] = tracemalloc.get_traced_memory()[0] / 2**20
        report["tracing_mb"] = tracemalloc.get_tracemalloc_memory() / 2**20
    if "trim" in query:
        libc.malloc_trim(0)
        report["trimmed_rss_mb"] = _rss_threads()[0]
    return report

uvicorn.run(app, host="127.0.0.1", port=port, loop="uvloop", http="httptools",
            log_level="warning", access_log=False)
"""


def memory(url: str, **query: str) -> dict[str, Any]:
    """The server's own report of its memory, optionally after a trim or with a snapshot."""
    answer = httpx.get(f"{url}/__memory", params=query, timeout=120)
    if answer.status_code != 200:
        raise RuntimeError(f"the server's memory report failed: {answer.text}")
    report: dict[str, Any] = answer.json()
    return report


def unused(loads: list[Load], index: int, rounds: int, requests: int) -> list[Load]:
    """The loads with run ``index``'s own one-shot lines, so no run repeats another's."""

    def share(load: Load) -> int:
        return rounds * ((requests // 4 if load.name == "deletions" else requests) + PAD)

    return [
        dataclasses.replace(load, lines=load.lines[index * share(load) : (index + 1) * share(load)])
        if load.one_shot
        else load
        for load in loads
    ]


def package_of(filename: str) -> str:
    """``gatehouse.<subpackage>``, an installed distribution's package, or the file's name."""
    parts = Path(filename).parts
    if "site-packages" in parts[:-1]:
        return parts[parts.index("site-packages") + 1]
    if "gatehouse" in parts[:-1]:
        at = len(parts) - 1 - parts[::-1].index("gatehouse")
        return ".".join(parts[at : at + 2]).removesuffix(".py")
    return parts[-1]


def growth_by_line(before: Path, after: Path, top: int) -> None:
    """Print the lines whose live Python allocations grew most between two snapshots."""
    old = tracemalloc.Snapshot.load(str(before))
    new = tracemalloc.Snapshot.load(str(after))
    skip = tracemalloc.Filter(False, tracemalloc.__file__)
    old, new = old.filter_traces([skip]), new.filter_traces([skip])
    print(f"\nlive Python allocations that grew most (top {top} by line):")
    for stat in new.compare_to(old, "lineno")[:top]:
        frame = stat.traceback[0]
        where = "/".join(Path(frame.filename).parts[-3:])
        size, count = stat.size_diff / 2**20, stat.count_diff
        print(f"  {size:+7.2f} MB {count:+8d} blocks  {where}:{frame.lineno}")
    print("\nby package (first frame's folder):")
    packages: dict[str, int] = {}
    for stat in new.compare_to(old, "filename"):
        name = package_of(stat.traceback[0].filename)
        packages[name] = packages.get(name, 0) + stat.size_diff
    for name, size in sorted(packages.items(), key=lambda kv: -abs(kv[1]))[:12]:
        print(f"  {size / 2**20:+7.2f} MB  {name}")


def _mb(figure: float | None) -> str:
    return "—" if figure is None else f"{figure:.0f} MB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=1000, help="answers a run (deletions /4)")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--connections", default="16,64")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--top", type=int, default=20)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/server_memory.py drives the server with wrk: install Debian's wrk")
    levels = [int(c) for c in args.connections.split(",")]
    variants = args.variants.split(",")
    rounds = args.repeats * len(levels)
    with server_environment(None) as env, tempfile.TemporaryDirectory() as folder:
        settings = Settings.from_env(env)
        began = time.perf_counter()
        gh = open_gatehouse(settings)
        loads = seed(
            gh,
            transfers=len(variants) * rounds * (args.requests + PAD),
            deletions=len(variants) * rounds * (args.requests // 4 + PAD),
        )
        gh.close()
        print(f"SQLite, seeded in {time.perf_counter() - began:.0f} s", flush=True)
        rows = []
        for index, variant in enumerate(variants):
            script = [sys.executable, "-c", MEMORY_SERVER, variant]
            mine = unused(loads, index, rounds, args.requests)
            environment = {k: v for k, v in env.items() if k != "MALLOC_ARENA_MAX"}
            with serving(environment, 1, None, script=script) as server:
                first = memory(server.url, snapshot=f"{folder}/first")
                measure(server.url, mine, levels, args.requests, args.repeats)
                after = memory(server.url, snapshot=f"{folder}/after")
                trimmed = memory(server.url, trim="1")
            rows.append((variant, first, after, trimmed))
            if variant == "traced":
                print(
                    f"traced: live Python allocations {first['traced_mb']:.1f} MB at first "
                    f"answer, {after['traced_mb']:.1f} MB after the load; tracemalloc's own "
                    f"{after['tracing_mb']:.1f} MB"
                )
                growth_by_line(Path(folder, "first"), Path(folder, "after"), args.top)
        print(f"\n{rounds} rounds of {args.requests} answers (deletions /4) at {args.connections}:")
        print(
            "| variant | RSS at first answer | after the load | after malloc_trim "
            "| pymalloc used / held, first → after | threads | SQLite connections |"
        )
        print("|---|---|---|---|---|---|---|")
        for variant, first, after, trimmed in rows:
            print(
                f"| {variant} | {first['rss_mb']:.0f} MB | {after['rss_mb']:.0f} MB "
                f"| {trimmed['trimmed_rss_mb']:.0f} MB "
                f"| {_mb(first['pymalloc_used_mb'])} / {_mb(first['pymalloc_held_mb'])} → "
                f"{_mb(after['pymalloc_used_mb'])} / {_mb(after['pymalloc_held_mb'])} "
                f"| {first['threads']:.0f} → {after['threads']:.0f} "
                f"| {first['connections']:.0f} → {after['connections']:.0f} |"
            )


if __name__ == "__main__":
    main()
