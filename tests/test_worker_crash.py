"""``gatehouse worker`` as a real process: killed mid-delivery it loses nothing, and SIGTERM
stops it cleanly after the job in hand.

These are the only tests that wait on the wall clock: a lease must really run out.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from gatehouse.services import outbox
from gatehouse.services.outbox import JobStatus
from gatehouse.services.recipients import RecipientInput, register_recipient
from gatehouse.services.webhooks import enqueue_webhook
from tests.conftest import WEBHOOK_ALLOW, Fresh
from tests.test_webhooks import Endpoint

JOBS = 30
LEASE_SECONDS = 2


def _environment(fresh: Fresh, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env.update(
        GATEHOUSE_DATABASE_URL=fresh.backend.url,
        GATEHOUSE_MASTER_KEY=fresh.master_key.to_b64(),
        GATEHOUSE_KEY_FILE=str(tmp_path / "unused.key"),
        GATEHOUSE_JOB_LEASE_SECONDS=str(LEASE_SECONDS),
        # The endpoints are on this machine (see webhook_address).
        GATEHOUSE_WEBHOOK_ALLOW=WEBHOOK_ALLOW,
    )
    return env


def _start(env: dict[str, str], tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    # A file, not a pipe: nobody reads the output while it runs, and a full pipe would block.
    with (tmp_path / f"worker-{time.monotonic_ns()}.log").open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "gatehouse", "worker", *args],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert process.poll() is None, "the worker exited early"
        assert time.monotonic() < deadline, "the worker made no progress"
        time.sleep(0.01)


def _queue_deliveries(fresh: Fresh, url: str) -> list[str]:
    gh = fresh.gatehouse
    # The worker processes read the real clock, so the jobs must be due by it.
    fresh.clock.now = datetime.now(UTC)
    seller = register_recipient(gh, RecipientInput(kind="seller", webhook_url=url))
    ids = [f"evt_{n:02d}" for n in range(JOBS)]
    with gh.engine.begin() as connection:
        for n, webhook_id in enumerate(ids):
            enqueue_webhook(
                connection,
                recipient_id=seller.standing.recipient.id,
                event_type="order.test_event",
                webhook_id=webhook_id,
                data={"n": n},
                at=fresh.clock(),
            )
    return ids


def _deliveries(fresh: Fresh) -> list[outbox.Job]:
    page, _ = outbox.jobs(fresh.gatehouse, kind="webhook.deliver", limit=500)
    return page


def test_a_killed_worker_loses_no_delivery(fresh: Fresh, tmp_path: Path) -> None:
    env = _environment(fresh, tmp_path)
    with Endpoint(default=200, delay=0.2) as slow:
        ids = _queue_deliveries(fresh, slow.url)
        doomed = _start(env, tmp_path, "--id", "doomed", "--poll", "0.1")
        try:
            _wait_for(lambda: len(slow.received) >= 5, doomed)
        finally:
            doomed.kill()  # SIGKILL: no chance to finish or release anything
            doomed.wait(timeout=30)
        held = [job for job in _deliveries(fresh) if job.status is JobStatus.RUNNING]
        assert all(job.locked_by == "doomed" for job in held)
        reached = {request.headers["webhook-id"] for request in slow.received}
        # Wait out the dead worker's lease, then let another worker finish everything.
        time.sleep(LEASE_SECONDS + 0.5)
        survivor = subprocess.run(
            [sys.executable, "-m", "gatehouse", "worker", "--once", "--id", "survivor"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            timeout=120,
        )
        assert survivor.returncode == 0, survivor.stderr.decode(errors="replace")
        received = list(slow.received)

    jobs = _deliveries(fresh)
    assert len(jobs) == JOBS
    assert {job.status for job in jobs} == {JobStatus.DONE}
    bodies: dict[str, set[bytes]] = defaultdict(set)
    for request in received:
        bodies[request.headers["webhook-id"]].add(request.body)
    assert set(bodies) == set(ids), "every event reached the recipient"
    # At least once: a repeat is possible, but it is the same event, byte for byte.
    assert all(len(variants) == 1 for variants in bodies.values())
    # A job in flight at the kill whose request had arrived is delivered again, same id.
    for job in held:
        if job.payload["webhook_id"] in reached:
            repeats = [r for r in received if r.headers["webhook-id"] == job.payload["webhook_id"]]
            assert len(repeats) >= 2


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_sigterm_stops_the_worker_after_the_current_job(fresh: Fresh, tmp_path: Path) -> None:
    env = _environment(fresh, tmp_path)
    with Endpoint(default=200, delay=0.2) as slow:
        _queue_deliveries(fresh, slow.url)
        serving = _start(env, tmp_path, "--id", "serving")
        try:
            _wait_for(lambda: len(slow.received) >= 3, serving)
            serving.send_signal(signal.SIGTERM)
            assert serving.wait(timeout=30) == 0
        finally:
            if serving.poll() is None:
                serving.kill()
                serving.wait(timeout=30)
        received = len(slow.received)

    jobs = _deliveries(fresh)
    # The delivery under way when the signal came was finished, not abandoned.
    assert not [job for job in jobs if job.status is JobStatus.RUNNING]
    done = [job for job in jobs if job.status is JobStatus.DONE]
    assert len(done) == received < JOBS


def test_a_bad_lease_setting_is_refused_before_anything_runs(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    database = tmp_path / "untouched.db"
    env.update(
        GATEHOUSE_DATABASE_URL=f"sqlite:///{database}",
        GATEHOUSE_KEY_FILE=str(tmp_path / "unused.key"),
        GATEHOUSE_JOB_LEASE_SECONDS="soon",
    )
    refused = subprocess.run(
        [sys.executable, "-m", "gatehouse", "worker", "--once"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        timeout=60,
    )
    assert refused.returncode == 2
    assert b"GATEHOUSE_JOB_LEASE_SECONDS" in refused.stderr
    assert not database.exists()
