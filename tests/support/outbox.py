"""Outbox helpers for the tests: a job that the worker has tried and given up on."""

from __future__ import annotations

from datetime import timedelta

from gatehouse.services import outbox, worker
from gatehouse.services.runtime import Gatehouse


def dead_webhook_job(gh: Gatehouse, recipient_id: str, note: str) -> str:
    """Queue a webhook for a recipient with no webhook URL, let the worker run it, return its id.

    It is due long ago, so it is the job the worker claims first; with no URL to deliver to,
    it fails for good and the job is dead.
    """
    worker.load_handlers()
    with gh.engine.begin() as connection:
        job_id = outbox.enqueue(
            connection,
            kind="webhook.deliver",
            payload={
                "recipient_id": recipient_id,
                "event_type": "subject.erasure_requested",
                "webhook_id": f"console-{recipient_id}",
                "data": {"note": note},
            },
            at=gh.clock(),
            run_at=gh.clock() - timedelta(days=3650),
        )
    outbox.run_once(gh, "console-test", limit=1)
    return job_id
