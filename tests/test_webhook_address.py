"""Webhooks go only to public addresses (invariant 8): a recipient pointing its webhook at the
operator's own network gets nothing sent there, and the outbox gives the job up at once."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gatehouse.services.outbox import PermanentFailure
from gatehouse.services.webhook_address import (
    ALLOW_PRIVATE_ENV,
    NotPublic,
    check_public,
    private_allowed,
)
from gatehouse.services.webhooks import post_event
from tests.support.webhook_sink import WebhookSink

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SECRET = [b"s" * 32]


@pytest.fixture
def no_private(monkeypatch: pytest.MonkeyPatch) -> None:
    """This process as it runs in production: the tests' allowance taken away."""
    monkeypatch.delenv(ALLOW_PRIVATE_ENV, raising=False)
    assert not private_allowed()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.0.0.7/hook",
        "https://192.168.1.20/hook",
        "http://169.254.169.254/latest/meta-data/",  # a cloud's metadata service
        "http://[::1]:9000/hook",
        "http://[fd00::1]/hook",
        "http://0.0.0.0/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://224.0.0.1/hook",
    ],
)
def test_a_private_address_is_refused(url: str) -> None:
    with pytest.raises(NotPublic, match="not public"):
        check_public(url)


@pytest.mark.parametrize("url", ["https://93.184.215.14/hook", "http://[2606:4700::1111]/h"])
def test_a_public_address_passes(url: str) -> None:
    check_public(url)  # numeric hosts: no name to resolve, so no network is needed


def test_nothing_is_sent_to_a_private_endpoint(no_private: None) -> None:
    sink = WebhookSink()
    try:
        with pytest.raises(PermanentFailure, match="not public"):
            post_event(sink.url, SECRET, "msg_1", b"{}", NOW)
        assert sink.received == []
    finally:
        sink.close()


def test_the_allowance_lets_a_local_endpoint_through(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ALLOW_PRIVATE_ENV, "1")
    sink = WebhookSink()
    try:
        post_event(sink.url, SECRET, "msg_2", b"{}", NOW)
        assert len(sink.received) == 1
    finally:
        sink.close()
