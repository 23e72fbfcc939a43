"""Recipients' signed webhooks: queueing, delivery, URLs and secret rotation, on the in-memory
unit of work (no database, no network)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from gatehouse.domain.errors import InvalidInput, NotFound
from gatehouse.domain.recipients import PrivacyOfficer
from gatehouse.services import outbox, recipients, webhooks
from gatehouse.services.outbox import Job, PermanentFailure
from tests.support.fake_world import World, new_world
from tests.support.posted_events import Posted, capture_posts
from tests.support.webhook_sink import parse_secret


@pytest.fixture
def w() -> World:
    return new_world()


@pytest.fixture
def posted(monkeypatch: pytest.MonkeyPatch) -> list[Posted]:
    return capture_posts(monkeypatch, webhooks)


def registered(w: World) -> recipients.Registered:
    return recipients.register_recipient(
        w.gh,
        recipients.RecipientInput(
            kind="seller",
            legal_name="Shenzhen Bright Trade Co., Ltd.",
            country="CN",
            contact_email="ops@bright-trade.example.cn",
            privacy_officer=PrivacyOfficer("Li Wei", "privacy@bright-trade.example.cn"),
            purposes=["fulfilment"],
            retention_days=90,
            webhook_url="https://bright-trade.example.cn/hooks",
        ),
    )


def queued(w: World, recipient_id: str, webhook_id: str = "era_1") -> Job:
    with w.gh.unit_of_work() as uow:
        job_id = webhooks.enqueue_webhook(
            uow.outbox,
            recipient_id=recipient_id,
            event_type="subject.erasure_requested",
            webhook_id=webhook_id,
            data={"erasure_id": webhook_id},
            at=w.clock(),
        )
    return w.db.tables.jobs[job_id]


def test_an_event_is_queued_once_per_recipient(w: World) -> None:
    first = queued(w, "rcp_1")
    assert queued(w, "rcp_1") == first and queued(w, "rcp_2").id != first.id
    assert first.kind == webhooks.DELIVER and first.payload["data"] == {"erasure_id": "era_1"}
    with pytest.raises(ValueError), w.gh.unit_of_work() as uow:
        webhooks.enqueue_webhook(
            uow.outbox,
            recipient_id="rcp_1",
            event_type="x",
            webhook_id="no spaces",
            data={},
            at=w.clock(),
        )


def test_delivery_signs_with_the_current_secret(w: World, posted: list[Posted]) -> None:
    seller = registered(w)
    job = queued(w, seller.standing.recipient.id)
    w.advance(minutes=3)

    webhooks.deliver(w.gh, job)

    ((url, secrets, webhook_id, body),) = posted
    assert url == "https://bright-trade.example.cn/hooks" and webhook_id == "era_1"
    assert secrets == [parse_secret(seller.webhook_secret)]
    # Built from the job's creation time, so every retry sends the same bytes.
    assert body == webhooks.encode_event(
        "subject.erasure_requested", job.created_at, {"erasure_id": "era_1"}
    )
    assert w.db.units[-1].read_only


def test_a_rotated_secret_signs_beside_the_new_one_for_a_day(
    w: World, posted: list[Posted]
) -> None:
    seller = registered(w)
    rid = seller.standing.recipient.id
    fresh = webhooks.rotate_webhook_secret(w.gh, rid)

    settings = webhooks.webhook_settings(w.gh, rid)
    assert settings.previous_secret_active
    assert settings.previous_secret_expires_at == w.clock() + webhooks.PREVIOUS_SECRET_TTL
    webhooks.deliver(w.gh, queued(w, rid, "era_2"))
    assert posted[-1][1] == [
        parse_secret(fresh),
        parse_secret(seller.webhook_secret),
    ]

    w.advance(hours=25)
    webhooks.prune_previous_secrets(w.gh)
    assert w.db.tables.previous_secrets == {}
    webhooks.deliver(w.gh, queued(w, rid, "era_3"))
    assert posted[-1][1] == [parse_secret(fresh)]
    assert not webhooks.webhook_settings(w.gh, rid).previous_secret_active


def test_delivery_without_a_url_or_recipient_gives_up(w: World, posted: list[Posted]) -> None:
    rid = registered(w).standing.recipient.id
    settings = webhooks.set_webhook_url(w.gh, rid, "")
    assert settings.url is None

    with pytest.raises(PermanentFailure):
        webhooks.deliver(w.gh, queued(w, rid))
    with pytest.raises(PermanentFailure):
        webhooks.deliver(w.gh, queued(w, "rcp_gone"))
    assert posted == []


def test_urls_are_checked_and_recipients_must_exist(w: World) -> None:
    rid = registered(w).standing.recipient.id

    settings = webhooks.set_webhook_url(w.gh, rid, "https://new.example.cn/hooks")

    assert settings.url == "https://new.example.cn/hooks"
    assert w.db.tables.recipients[rid].webhook_url == settings.url
    with pytest.raises(InvalidInput):
        webhooks.set_webhook_url(w.gh, rid, "ftp://files.example.cn")
    for call in (
        lambda: webhooks.set_webhook_url(w.gh, "rcp_nobody", None),
        lambda: webhooks.webhook_settings(w.gh, "rcp_nobody"),
        lambda: webhooks.rotate_webhook_secret(w.gh, "rcp_nobody"),
    ):
        with pytest.raises(NotFound):
            call()


def test_the_worker_runs_deliveries_through_the_outbox(w: World, posted: list[Posted]) -> None:
    rid = registered(w).standing.recipient.id
    queued(w, rid)

    report = outbox.run_once(w.gh, "worker-a")

    assert report.done == 1 and len(posted) == 1


def test_signatures_cover_id_time_and_body() -> None:
    one, two = bytes(32), bytes([1]) * 32
    signed: Any = webhooks.sign([one, two], "era_1", 1_700_000_000, b"{}")
    assert signed.count("v1,") == 2 and signed != webhooks.sign(
        [one], "era_1", 1_700_000_001, b"{}"
    )
    assert parse_secret(webhooks.format_secret(two)) == two
    assert timedelta(hours=24) == webhooks.PREVIOUS_SECRET_TTL
