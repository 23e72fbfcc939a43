"""``gatehouse init``, ``serve`` and ``demo``: set a database up and serve it."""

from __future__ import annotations

import os
import threading
from typing import Annotated

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from gatehouse.cli.common import console, err, load_settings, open_or_exit
from gatehouse.cli.serving import check_workers, run_server
from gatehouse.config import Settings
from gatehouse.services.access import issue_operator_key
from gatehouse.services.operator_profile import startup_check
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.db import is_sqlite
from gatehouse.vault import create_key_file

__all__ = ["demo", "init", "serve"]


def _ensure_key(settings: Settings) -> None:
    if "GATEHOUSE_MASTER_KEY" in settings.environ or settings.key_file.exists():
        return
    create_key_file(settings.key_file)
    console.print(f"created master key file [bold]{settings.key_file}[/] (mode 0600); back it up")


def init() -> None:
    """Create the master key file if needed, migrate the database, print an operator key."""
    settings = load_settings()
    _ensure_key(settings)
    gh = open_or_exit(settings)
    key = issue_operator_key(gh, gh.clock(), label="init")
    gh.close()
    console.print(f"database ready: {_describe(settings.database_url)}")
    print(f"operator key: {key}")


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to bind.")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (PostgreSQL only above 1).")
    ] = 1,
) -> None:
    """Serve the API (migrations run first)."""
    settings = load_settings()
    check_workers(settings.database_url, workers)
    gh = open_or_exit(settings)
    _refuse_without_agent(gh)
    run_server(gh, host, port, workers)


def _refuse_without_agent(gh: Gatehouse) -> None:
    """Exit with status 2 when the domestic-agent rule requires particulars not yet given.

    With no operator profile at all, start-up goes on with a warning; the console says so too.
    """
    check = startup_check(gh)
    if not check.has_profile:
        err.print(
            "[yellow]no operator profile is set;[/] set it with PUT /v1/operator/profile "
            "(the privacy policy and the domestic-agent check need it)"
        )
        return
    if check.agent is not None and check.blocking:
        gh.close()
        err.print(
            f"[red]domestic agent required[/] ({check.agent.article}; "
            f"reasons: {', '.join(check.agent.reasons)}), but the operator profile lacks: "
            f"{', '.join(check.agent.missing)}. Set them with PUT /v1/operator/profile."
        )
        raise typer.Exit(2)


def _worker_in_background(gh: Gatehouse) -> None:
    """Run the outbox worker in a thread, so the demo delivers webhooks and signs checkpoints
    without a second command. Production runs ``gatehouse worker`` as its own process."""
    from gatehouse.services.worker import serve_forever

    threading.Thread(
        target=serve_forever, args=(gh, "demo-worker"), name="demo-worker", daemon=True
    ).start()


def _describe(url: str) -> str:
    # Never print credentials from a database URL.
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def demo(
    recipients: Annotated[int, typer.Option(min=1, help="How many recipients abroad.")] = 2000,
    subjects: Annotated[int, typer.Option(min=1, help="How many Korean customers.")] = 10000,
    host: Annotated[str, typer.Option()] = "127.0.0.1",
    port: Annotated[int, typer.Option()] = 8000,
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve")] = True,
    scale: Annotated[
        str | None,
        typer.Option(
            help="Generate a preset marketplace in bulk instead (large: 180,000 recipients, "
            "1,000,000 customers, 10,000,000 transfers; small: 1 % of it), without serving. "
            "Rerun the same command to continue a run that stopped."
        ),
    ] = None,
    database_url: Annotated[
        str | None,
        typer.Option(help="Database to fill (default: GATEHOUSE_DATABASE_URL)."),
    ] = None,
    stop_after: Annotated[
        int | None,
        typer.Option(min=1, help="With --scale: stop after this many committed chunks."),
    ] = None,
    processes: Annotated[
        int,
        typer.Option(
            min=1,
            max=16,
            help="With --scale: processes writing customers and orders at once, each its "
            "own ledger shards (on PostgreSQL; SQLite takes one writer at a time).",
        ),
    ] = 1,
) -> None:
    """Build a realistic marketplace in a fresh database, then serve it; with --scale,
    generate a preset at scale in bulk instead (resumable) and report its time and size."""
    from gatehouse.demo import DemoClock, seed_marketplace

    settings = load_settings()
    if database_url is not None:
        settings = Settings.from_env({**settings.environ, "GATEHOUSE_DATABASE_URL": database_url})
    if scale is not None:
        _scale_demo(settings, scale, stop_after, processes)
        return
    if "GATEHOUSE_DATABASE_URL" not in settings.environ:
        settings = Settings.from_env(
            {**settings.environ, "GATEHOUSE_DATABASE_URL": "sqlite:///gatehouse-demo.db"}
        )
    _fresh(settings.database_url)
    _ensure_key(settings)
    # The demo writes months of past activity, then runs on real time.
    clock = DemoClock()
    gh = open_or_exit(settings, clock=clock)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as bar:
        tasks = {
            "recipients": bar.add_task("recipients abroad", total=recipients),
            "subjects": bar.add_task("Korean customers ", total=subjects),
            "policy": bar.add_task("privacy policy   ", total=1, start=False),
        }

        def advance(stage: str, done: int) -> None:
            bar.start_task(tasks[stage])  # the policy's clock starts when publishing does
            bar.advance(tasks[stage], done)

        report = seed_marketplace(
            gh,
            recipients=recipients,
            subjects=subjects,
            progress=advance,
            clock=clock,
        )
    console.print(
        f"seeded {report.recipients} recipients in {report.countries} countries "
        f"and {report.subjects} customers into {_describe(settings.database_url)}"
    )
    base = f"http://{host}:{port}"
    print(f"operator key: {report.operator_key}")
    print(f"recipient key (one seller): {report.recipient_key}   portal: {base}/recipient")
    if report.privacy_subject_id:
        from gatehouse.services.customer_sessions import create_link

        link = create_link(gh, report.privacy_subject_id)
        print(f"privacy center (one customer, link valid 15 min): {base}{link.url}")
    if report.policy is not None:
        print(
            f"privacy policy v{report.policy.version} "
            f"({report.policy.register_count} recipients abroad in its register): "
            f"{base}/v1/privacy-policy"
        )
    print(f"console: {base}/console")
    print(f"API docs: {base}/docs")
    auth = f"Authorization: Bearer {report.operator_key}"
    print(f"try: curl -H '{auth}' '{base}/v1/recipients?country=CN&limit=3'")
    _refuse_without_agent(gh)
    if serve_after:
        _worker_in_background(gh)
        run_server(gh, host, port)
    gh.close()


def _scale_demo(settings: Settings, name: str, stop_after: int | None, processes: int) -> None:
    """Generate a preset in bulk with a progress bar; a rerun continues where one stopped."""
    from gatehouse.demo.scale import PRESETS, database_bytes, generate
    from gatehouse.demo.scale_parallel import generate_in_parallel

    preset = PRESETS.get(name)
    if preset is None:
        err.print(f"[red]unknown scale {name!r};[/] choose one of {', '.join(PRESETS)}")
        raise typer.Exit(2)
    if "GATEHOUSE_DATABASE_URL" not in settings.environ:
        settings = Settings.from_env(
            {**settings.environ, "GATEHOUSE_DATABASE_URL": f"sqlite:///gatehouse-{name}.db"}
        )
    _ensure_key(settings)
    gh = open_or_exit(settings)
    totals = {
        "recipients": preset.recipients,
        "customers": preset.subjects,
        "orders": preset.transfers,
        "checkpoint": 1,
    }
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
    ) as bar:
        tasks = {
            stage: bar.add_task(f"{stage:<10}", total=total) for stage, total in totals.items()
        }

        def advance(stage: str, done: int, total: int) -> None:
            bar.update(tasks[stage], completed=done, total=total)

        if processes == 1:
            report = generate(gh, preset, advance, stop_after=stop_after)
        else:
            gh.close()
            report = generate_in_parallel(
                settings.environ, preset, processes, advance, stop_after=stop_after
            )
            gh = open_or_exit(settings)
    size = database_bytes(gh.engine)
    gh.close()
    where = _describe(settings.database_url)
    if not report.complete:
        console.print(
            f"stopped after {report.chunks_written} chunks in {report.seconds:.1f} s; "
            f"run the same command again to continue ({where}, {size / 2**20:.1f} MiB)",
            soft_wrap=True,
        )
        return
    rows = ", ".join(f"{table} {count:,}" for table, count in report.counts.items())
    console.print(
        f"scale {name}: {report.seconds:.1f} s; rows: {rows}; "
        f"database size {size / 2**20:.1f} MiB ({where})",
        soft_wrap=True,
    )


def _fresh(url: str) -> None:
    """Start the demo from an empty database; only an SQLite file is ever removed."""
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        for suffix in ("", "-wal", "-shm"):
            if path and os.path.exists(path + suffix):
                os.remove(path + suffix)
        return
    from sqlalchemy import inspect

    from gatehouse.store.db import make_engine

    engine = make_engine(url)
    tables = inspect(engine).get_table_names()
    engine.dispose()
    if tables:
        err.print("[red]the demo needs an empty database;[/] this one has tables")
        raise typer.Exit(2)
