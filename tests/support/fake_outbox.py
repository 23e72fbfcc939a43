"""In-memory queues and what delivers them: webhooks, the outbox, recipients' endpoints and
secrets, and the marketplace's own webhook."""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from gatehouse.services.ports import DuplicateKey, WebhookEvent
from gatehouse.store.operator_webhooks import OperatorWebhookSetting, StoredEvent
from gatehouse.store.outbox import Job, JobStatus
from gatehouse.store.webhook_endpoints import PreviousSecret, WebhookEndpoint
from gatehouse.vault import WrappedKey
from tests.support.fake_tables import FakeRepository

__all__ = [
    "FakeWebhooks",
    "FakeOutbox",
    "FakeWebhookEndpoints",
    "FakeOperatorWebhooks",
]


class FakeWebhooks(FakeRepository):
    def enqueue(
        self,
        *,
        recipient_id: str,
        event_type: str,
        webhook_id: str,
        data: Mapping[str, Any],
        at: datetime,
    ) -> str:
        self._hook("enqueue")
        dedupe = f"webhook:{recipient_id}:{webhook_id}"
        job = self.t.webhooks.setdefault(
            dedupe,
            {
                "id": f"job_{len(self.t.webhooks) + 1}",
                "recipient_id": recipient_id,
                "event_type": event_type,
                "webhook_id": webhook_id,
                "data": copy.deepcopy(dict(data)),
                "at": at,
            },
        )
        return str(job["id"])

    def enqueue_many(self, events: Sequence[WebhookEvent], at: datetime) -> list[str]:
        return [
            self.enqueue(
                recipient_id=e.recipient_id,
                event_type=e.event_type,
                webhook_id=e.webhook_id,
                data=e.data,
                at=at,
            )
            for e in events
        ]


def _due(job: Job, now: datetime) -> bool:
    if job.status is JobStatus.PENDING:
        return job.run_at <= now
    return (
        job.status is JobStatus.RUNNING
        and job.locked_until is not None
        and (job.locked_until <= now)
    )


class FakeOutbox(FakeRepository):
    def _jobs(self) -> dict[str, Job]:
        return self.t.jobs

    def add(self, job: Job) -> str:
        self._hook("add")
        if job.dedupe_key is not None:
            holder = self.by_dedupe_key(job.dedupe_key)
            if holder is not None:
                return holder.id
        if job.id in self._jobs():
            raise DuplicateKey(f"job {job.id} exists")
        self._jobs()[job.id] = replace(job, payload=copy.deepcopy(job.payload))
        return job.id

    def add_many(self, jobs: Sequence[Job]) -> list[str]:
        return [self.add(job) for job in jobs]

    def claim(self, worker_id: str, now: datetime, locked_until: datetime, limit: int) -> list[Job]:
        self._hook("claim")
        due = sorted(
            (j for j in self._jobs().values() if _due(j, now)), key=lambda j: (j.run_at, j.id)
        )
        claimed = []
        for job in due[:limit]:
            leased = replace(
                job,
                status=JobStatus.RUNNING,
                locked_by=worker_id,
                locked_until=locked_until,
                attempts=job.attempts + 1,
            )
            self._jobs()[job.id] = leased
            claimed.append(leased)
        return claimed

    def finish(self, job: Job, values: Mapping[str, Any]) -> bool:
        self._hook("finish")
        stored = self._jobs().get(job.id)
        if (
            stored is None
            or stored.status is not JobStatus.RUNNING
            or (stored.locked_by, stored.attempts) != (job.locked_by, job.attempts)
        ):
            return False
        changes = dict(values)
        if "status" in changes:
            changes["status"] = JobStatus(changes["status"])
        self._jobs()[job.id] = replace(stored, **changes)
        return True

    def get(self, job_id: str) -> Job | None:
        return self._jobs().get(job_id)

    def by_dedupe_key(self, key: str) -> Job | None:
        return next((j for j in self._jobs().values() if j.dedupe_key == key), None)

    def page(
        self,
        *,
        status: str | None = None,
        kind: str | None = None,
        after: str | None = None,
        limit: int = 50,
    ) -> list[Job]:
        chosen = [
            j
            for jid, j in sorted(self._jobs().items())
            if (status is None or j.status.value == status)
            and (kind is None or j.kind == kind)
            and (after is None or jid > after)
        ]
        return chosen[:limit]

    def counts(self) -> dict[str, int]:
        found = [j.status for j in self._jobs().values()]
        return {status.value: found.count(status) for status in JobStatus}

    def requeue_dead(self, job_id: str, now: datetime) -> bool:
        self._hook("requeue_dead")
        job = self._jobs().get(job_id)
        if job is None or job.status is not JobStatus.DEAD:
            return False
        self._jobs()[job_id] = replace(
            job,
            status=JobStatus.PENDING,
            attempts=0,
            run_at=now,
            locked_by=None,
            locked_until=None,
            finished_at=None,
        )
        return True

    def reschedule(self, job_id: str, payload: Mapping[str, Any], run_at: datetime) -> None:
        self._hook("reschedule")
        job = self._jobs().get(job_id)
        if job is not None and job.status is JobStatus.PENDING:
            self._jobs()[job_id] = replace(job, payload=dict(payload), run_at=run_at)

    def purge_done(self, before: datetime, limit: int) -> int:
        self._hook("purge_done")
        old = sorted(
            jid
            for jid, j in self._jobs().items()
            if j.status is JobStatus.DONE and j.finished_at is not None and j.finished_at < before
        )[:limit]
        for jid in old:
            del self._jobs()[jid]
        return len(old)


class FakeWebhookEndpoints(FakeRepository):
    def endpoint(self, recipient_id: str) -> WebhookEndpoint | None:
        recipient = self.t.recipients.get(recipient_id)
        if recipient is None:
            return None
        return WebhookEndpoint(recipient.webhook_url, self.t.webhook_secrets.get(recipient_id))

    def lock(self, recipient_id: str) -> bool:
        return recipient_id in self.t.recipients

    def set_url(self, recipient_id: str, url: str | None, at: datetime) -> bool:
        self._hook("set_url")
        recipient = self.t.recipients.get(recipient_id)
        if recipient is None:
            return False
        self.t.recipients[recipient_id] = replace(recipient, webhook_url=url, updated_at=at)
        return True

    def set_secret(self, recipient_id: str, secret: WrappedKey, at: datetime) -> None:
        self._hook("set_secret")
        self.t.webhook_secrets[recipient_id] = secret
        recipient = self.t.recipients[recipient_id]
        self.t.recipients[recipient_id] = replace(recipient, updated_at=at)

    def previous_secret(self, recipient_id: str, now: datetime) -> PreviousSecret | None:
        kept = self.t.previous_secrets.get(recipient_id)
        if kept is None or kept[1] <= now:
            return None
        return PreviousSecret(*kept)

    def keep_previous(
        self, recipient_id: str, secret: WrappedKey | None, expires_at: datetime
    ) -> None:
        self._hook("keep_previous")
        self.t.previous_secrets.pop(recipient_id, None)
        if secret is not None:
            self.t.previous_secrets[recipient_id] = (secret, expires_at)

    def prune_previous(self, now: datetime) -> int:
        self._hook("prune_previous")
        over = [rid for rid, (_, until) in self.t.previous_secrets.items() if until <= now]
        for rid in over:
            del self.t.previous_secrets[rid]
        return len(over)


class FakeOperatorWebhooks(FakeRepository):
    def setting(self) -> OperatorWebhookSetting | None:
        row = self.t.operator_webhook
        if row is None:
            return None
        return OperatorWebhookSetting(row["url"], row["secret"], row["updated_at"])

    def save(self, url: str, secret: WrappedKey, at: datetime) -> None:
        self._hook("save")
        self.t.operator_webhook = {
            "name": "marketplace",
            "url": url,
            "secret": secret,
            "updated_at": at,
        }

    def event(self, event_id: str) -> StoredEvent | None:
        row = self.t.operator_events.get(event_id)
        if row is None:
            return None
        key = None if row["wrapped_key"] is None else WrappedKey(row["kek_id"], row["wrapped_key"])
        return StoredEvent(
            id=row["id"],
            event_type=row["event_type"],
            deletion_id=row["deletion_id"],
            key=key,
            ciphertext=row["ciphertext"],
            created_at=row["created_at"],
            delivered_at=row["delivered_at"],
        )

    def mark_delivered(self, event_id: str, at: datetime) -> None:
        self._hook("mark_delivered")
        row = self.t.operator_events[event_id]
        row.update(kek_id=None, wrapped_key=None, ciphertext=None, delivered_at=at)
