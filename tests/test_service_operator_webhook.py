"""The marketplace's own webhook: its setting, sealed events and their one delivery, on the
in-memory unit of work (no database, no network)."""

from __future__ import annotations

import json

import pytest

from gatehouse.domain.errors import InvalidInput
from gatehouse.services import operator_webhook as service
from gatehouse.services import outbox, webhooks
from gatehouse.services.outbox import PermanentFailure
from gatehouse.store.outbox import Job
from tests.support.fake_world import World, new_world
from tests.support.posted_events import Posted, capture_posts
from tests.support.webhook_sink import parse_secret


@pytest.fixture
def w() -> World:
    return new_world()


@pytest.fixture
def posted(monkeypatch: pytest.MonkeyPatch) -> list[Posted]:
    return capture_posts(monkeypatch, service)


def told(w: World, data: dict[str, str]) -> str | None:
    with w.gh.unit_of_work() as uow:
        return service.enqueue_operator_event(
            w.gh, uow, event_type=service.SUBJECT_DELETED_EVENT, data=data, deletion_id=None
        )


def delivery(w: World, event_id: str) -> Job:
    return Job(
        id="job_1",
        kind=service.DELIVER,
        payload={"event_id": event_id},
        dedupe_key=None,
        status=outbox.JobStatus.RUNNING,
        attempts=1,
        max_attempts=8,
        run_at=w.clock(),
        locked_by="worker-a",
        locked_until=None,
        last_error=None,
        created_at=w.clock(),
        finished_at=None,
    )


def test_the_setting_is_empty_until_given_and_its_secret_shown_once(w: World) -> None:
    assert service.operator_webhook(w.gh) == service.OperatorWebhook(None, None)
    with pytest.raises(InvalidInput):
        service.set_operator_webhook(w.gh, "")

    setting, secret = service.set_operator_webhook(w.gh, "https://shop.example/hooks")

    assert (
        service.operator_webhook(w.gh)
        == setting
        == service.OperatorWebhook("https://shop.example/hooks", w.clock())
    )
    assert secret.startswith(webhooks.SECRET_PREFIX) and secret not in str(
        w.db.tables.operator_webhook
    )


def test_without_a_webhook_nothing_is_sealed_or_queued(w: World) -> None:
    assert told(w, {"external_ref": "cus_1"}) is None
    assert w.db.tables.operator_events == {}


def test_an_event_is_sealed_delivered_once_then_destroyed(w: World, posted: list[Posted]) -> None:
    _, secret = service.set_operator_webhook(w.gh, "https://shop.example/hooks")
    event_id = told(w, {"external_ref": "cus_1"})
    assert event_id is not None
    row = w.db.tables.operator_events[event_id]
    assert b"cus_1" not in row["ciphertext"]  # sealed under its own key
    w.advance(minutes=1)

    service.deliver(w.gh, delivery(w, event_id))
    service.deliver(w.gh, delivery(w, event_id))  # redelivered: the data is gone, nothing sent

    ((url, secrets, webhook_id, body),) = posted
    assert url == "https://shop.example/hooks" and webhook_id == event_id
    assert secrets == [parse_secret(secret)]
    assert json.loads(body)["data"] == {"external_ref": "cus_1"}
    row = w.db.tables.operator_events[event_id]
    assert row["ciphertext"] is None and row["wrapped_key"] is None
    assert row["delivered_at"] == w.clock()


def test_a_failed_post_keeps_the_event_for_the_retry(
    w: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    service.set_operator_webhook(w.gh, "https://shop.example/hooks")
    event_id = told(w, {"external_ref": "cus_1"})
    assert event_id is not None

    def down(*args: object) -> None:
        raise outbox.RetryLater("HTTP 503")

    monkeypatch.setattr(service, "post_event", down)
    with pytest.raises(outbox.RetryLater):
        service.deliver(w.gh, delivery(w, event_id))

    assert w.db.tables.operator_events[event_id]["ciphertext"] is not None


def test_a_missing_event_or_webhook_gives_up(w: World, posted: list[Posted]) -> None:
    with pytest.raises(PermanentFailure):
        service.deliver(w.gh, delivery(w, "evt_nothing"))
    service.set_operator_webhook(w.gh, "https://shop.example/hooks")
    event_id = told(w, {"external_ref": "cus_1"})
    assert event_id is not None
    w.db.tables.operator_webhook = None
    with pytest.raises(PermanentFailure):
        service.deliver(w.gh, delivery(w, event_id))
    assert posted == []
