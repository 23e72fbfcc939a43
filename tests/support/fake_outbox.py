"""In-memory queues: webhooks to recipients."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from tests.support.fake_tables import FakeRepository

__all__ = ["FakeWebhooks"]


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
