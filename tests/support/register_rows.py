"""Rows for the overseas-transfer register's tests, inserted straight into the real tables."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from sqlalchemy import Engine, insert

from gatehouse.store.tables import orders, recipients, subjects, transfers

__all__ = ["RegisterRows"]

_SEQ = itertools.count(1)


class RegisterRows:
    """Recipients, and allowed or refused transfers to them, decided when a test says."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.subject_id = f"sub_reg{next(_SEQ)}"
        with engine.begin() as c:
            c.execute(
                insert(subjects).values(
                    id=self.subject_id,
                    residence_country="KR",
                    locale="ko-KR",
                    rule_pack="KR-PIPA",
                    created_at=datetime(2020, 1, 1, tzinfo=UTC),
                )
            )

    def recipient(
        self,
        name: str,
        *,
        country: str = "CN",
        kind: str = "seller",
        status: str = "active",
        retention_days: int | None = 90,
    ) -> str:
        rid = f"rcp_reg{next(_SEQ):06d}"
        at = datetime(2020, 1, 1, tzinfo=UTC)
        with self.engine.begin() as c:
            c.execute(
                insert(recipients).values(
                    id=rid,
                    kind=kind,
                    legal_name=name,
                    country=country,
                    contact_phone="+8613800138000",
                    contact_email="privacy@example.cn",
                    privacy_officer_name="Li Wei",
                    privacy_officer_email="dpo@example.cn",
                    privacy_officer_phone="+8613900139000",
                    purposes=["fulfilment"],
                    retention_days=retention_days,
                    certifications=[],
                    status=status,
                    created_at=at,
                    updated_at=at,
                )
            )
        return rid

    def transfer(self, recipient_id: str, at: datetime, *, allowed: bool = True) -> None:
        n = next(_SEQ)
        with self.engine.begin() as c:
            c.execute(
                insert(orders).values(
                    id=f"ord_reg{n}",
                    subject_id=self.subject_id,
                    recipient_id=recipient_id,
                    external_ref=f"o-{n}",
                    customs_required=False,
                    has_delivery_note=False,
                    status="created",
                    created_at=at,
                )
            )
            c.execute(
                insert(transfers).values(
                    id=f"trf_reg{n}",
                    order_id=f"ord_reg{n}",
                    subject_id=self.subject_id,
                    recipient_id=recipient_id,
                    country="CN",
                    purpose="fulfilment",
                    flow="provision",
                    allowed=allowed,
                    basis="consent" if allowed else None,
                    refusal=None if allowed else "no_lawful_basis",
                    fields=["name", "phone"],
                    decided_at=at,
                )
            )
