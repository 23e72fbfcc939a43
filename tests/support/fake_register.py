"""The in-memory overseas-transfer register, read from the fake recipients and transfers."""

from __future__ import annotations

from gatehouse.domain.recipients import Recipient, RecipientStatus
from gatehouse.store.overseas_register import RegisterRecipient, RegisterWindow
from tests.support.fake_tables import FakeRepository

__all__ = ["FakeOverseasRegister"]


class FakeOverseasRegister(FakeRepository):
    def _received(self, window: RegisterWindow) -> dict[str, int]:
        counted: dict[str, int] = {}
        for t in self.t.transfers.values():
            if t.allowed and window.since <= t.decided_at < window.until:
                counted[t.recipient_id] = counted.get(t.recipient_id, 0) + 1
        return counted

    def _listed(self, r: Recipient, window: RegisterWindow, received: dict[str, int]) -> bool:
        if r.country is None or r.country in window.home:
            return False
        return r.status == RecipientStatus.ACTIVE or r.id in received

    def page(
        self, window: RegisterWindow, *, after: str | None, limit: int
    ) -> list[RegisterRecipient]:
        received = self._received(window)
        found = []
        for r in sorted(self.t.recipients.values(), key=lambda r: r.id):
            if not self._listed(r, window, received) or (after is not None and r.id <= after):
                continue
            if window.country is not None and r.country != window.country:
                continue
            if window.search and window.search.lower() not in (r.legal_name or "").lower():
                continue
            found.append(
                RegisterRecipient(
                    id=r.id,
                    kind=r.kind.value,
                    legal_name=r.legal_name,
                    country=r.country,
                    contact_phone=r.contact_phone,
                    contact_email=r.contact_email,
                    officer_name=r.privacy_officer.name,
                    officer_email=r.privacy_officer.email,
                    officer_phone=r.privacy_officer.phone,
                    purposes=r.purposes,
                    retention_days=r.retention_days,
                    status=r.status.value,
                    transfers=received.get(r.id, 0),
                )
            )
        return found[:limit]

    def counts_by_country(self, window: RegisterWindow) -> dict[str, tuple[int, int]]:
        received = self._received(window)
        counted: dict[str, tuple[int, int]] = {}
        for r in self.t.recipients.values():
            if self._listed(r, window, received) and r.country is not None:
                listed, got = counted.get(r.country, (0, 0))
                counted[r.country] = (listed + 1, got + (r.id in received))
        return dict(sorted(counted.items()))
