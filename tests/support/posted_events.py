"""A stand-in for a service's ``post_event`` that records what would have been sent, for the
service tests that run on the in-memory unit of work (the HTTP delivery has its own tests)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import ModuleType

import pytest

from gatehouse.services.webhook_address import EgressPolicy

Posted = tuple[str, list[bytes], str, bytes]
"""URL, signing secrets, webhook id and body of one event."""


def capture_posts(monkeypatch: pytest.MonkeyPatch, module: ModuleType) -> list[Posted]:
    """Replace ``module.post_event`` for this test; return the list each event is added to."""
    sent: list[Posted] = []

    def post(
        url: str,
        secrets: Sequence[bytes],
        webhook_id: str,
        body: bytes,
        now: datetime,
        egress: EgressPolicy | None = None,
    ) -> None:
        sent.append((url, list(secrets), webhook_id, body))

    monkeypatch.setattr(module, "post_event", post)
    return sent
