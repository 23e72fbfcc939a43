"""``gatehouse worker``: drain the outbox, once or until stopped.

SIGTERM and Ctrl-C stop the worker after the job it is running, so a deploy never cuts a
delivery in half; a worker killed outright leaves its job to be claimed again when its lease
(``GATEHOUSE_JOB_LEASE_SECONDS``, default 60) runs out.
"""

from __future__ import annotations

import os
import signal
import socket
import threading
from datetime import timedelta
from types import FrameType
from typing import Annotated

import typer

from gatehouse.cli.common import err, load_settings, open_or_exit

__all__ = ["LEASE_ENV", "run"]

LEASE_ENV = "GATEHOUSE_JOB_LEASE_SECONDS"


def _lease(raw: str | None) -> timedelta:
    try:
        seconds = float(raw) if raw else 60.0
    except ValueError:
        seconds = -1.0
    if not 0 < seconds <= 86400:
        raise typer.BadParameter(f"{LEASE_ENV} must be a number of seconds between 0 and 86400")
    return timedelta(seconds=seconds)


def _stop_on_signals(stop: threading.Event) -> None:
    def handle(signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)


def run(
    once: Annotated[
        bool, typer.Option("--once", help="Run until no job is due, then exit.")
    ] = False,
    worker_id: Annotated[
        str | None,
        typer.Option("--id", help="Name in job leases (default: host:pid)."),
    ] = None,
    poll: Annotated[
        float, typer.Option(min=0.05, max=3600, help="Seconds to sleep when idle.")
    ] = 1.0,
) -> None:
    """Run background jobs: webhooks, checkpoints and sweeps."""
    from gatehouse.services import worker as worker_service

    settings = load_settings()
    lease = _lease(settings.environ.get(LEASE_ENV))
    name = worker_id or f"{socket.gethostname()[:80]}:{os.getpid()}"
    if not 0 < len(name) <= 100:
        raise typer.BadParameter("the worker id must be 1 to 100 characters", param_hint="--id")
    stop = threading.Event()
    _stop_on_signals(stop)
    gh = open_or_exit(settings)
    try:
        kinds = worker_service.load_handlers()
        if once:
            report = worker_service.run_until_idle(gh, name, lease=lease, stop=stop)
            err.print(
                f"worker {name}: {report.done} done, {report.retried} to retry, {report.dead} dead",
                soft_wrap=True,
            )
            return
        err.print(f"worker {name} serving ({', '.join(kinds)})", soft_wrap=True)
        worker_service.serve_forever(gh, name, poll, stop, lease=lease)
        err.print(f"worker {name} stopped", soft_wrap=True)
    finally:
        gh.close()
