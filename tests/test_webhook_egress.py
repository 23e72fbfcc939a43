"""Invariant 8 end to end: a webhook URL outside the egress policy is refused when it is
registered (over HTTP, on every route that takes one) and again when a delivery resolves it;
redirects are never followed; plain http reaches only hosts the operator listed; and a bad
``GATEHOUSE_WEBHOOK_ALLOW`` stops Gatehouse from starting.

The Gatehouses here run without the tests' allow-list (tests/conftest.py), as in production.
Names resolve through a resolver given to the policy: this machine has no DNS but localhost.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from gatehouse.config import Settings
from gatehouse.services import outbox, worker
from gatehouse.services.outbox import JobStatus, PermanentFailure, RetryLater
from gatehouse.services.recipients import RecipientInput, register_recipient
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.webhook_address import (
    ALLOW_ENV,
    EgressPolicy,
    InvalidSetting,
    IPAddress,
)
from gatehouse.services.webhooks import enqueue_webhook, post_event
from gatehouse.vault import MasterKey
from tests.conftest import Backend, Fresh
from tests.support.factories import recipient_body, unique
from tests.support.server import api_client, operator_api
from tests.support.webhook_sink import WebhookSink
from tests.test_webhook_address import REFUSED

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
SECRET = [b"s" * 32]
ODD = [("2130706433", "loopback"), ("0177.0.0.1", "loopback"), ("127.1", "loopback")]


class Dns:
    """The resolver at the edge, whose answers a test sets and changes."""

    def __init__(self) -> None:
        self.answers: dict[str, str] = {}

    def __call__(self, host: str, port: int) -> Sequence[IPAddress]:
        if host not in self.answers:
            raise OSError("Name or service not known")
        return [ipaddress.ip_address(self.answers[host])]


@contextmanager
def sink() -> Iterator[WebhookSink]:
    """A real endpoint on this machine that records what reaches it."""
    endpoint = WebhookSink()
    try:
        yield endpoint
    finally:
        endpoint.close()


@contextmanager
def redirector(status: int, location: str) -> Iterator[tuple[str, list[str]]]:
    """A real endpoint that answers every POST with a redirect to ``location``: its URL, and
    the paths it was asked for."""
    seen: list[str] = []

    class Handle(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            self.rfile.read(int(self.headers.get("content-length", "0")))
            seen.append(self.path)
            self.send_response(status)
            self.send_header("location", location)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handle)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _url(address: str) -> str:
    return f"https://[{address}]/hook" if ":" in address else f"https://{address}/hook"


@pytest.fixture(scope="module")
def dns() -> Dns:
    return Dns()


@pytest.fixture(scope="module")
def strict(
    backend: Backend,
    master_key: MasterKey,
    gatehouse: Gatehouse,
    tmp_path_factory: pytest.TempPathFactory,
    dns: Dns,
) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    """An operator's and a recipient's client to a server with no allow-list at all."""
    settings = Settings.from_env(
        {
            "GATEHOUSE_DATABASE_URL": backend.url,
            "GATEHOUSE_MASTER_KEY": master_key.to_b64(),
            "GATEHOUSE_KEY_FILE": str(tmp_path_factory.mktemp("keys") / "unused.key"),
        }
    )
    gh = open_gatehouse(settings, run_migrations=False)
    gh.webhook_egress = EgressPolicy(resolve=dns)
    seller = register_recipient(gh, RecipientInput(kind="seller", legal_name=f"S {unique()}"))
    try:
        with (
            operator_api(gh) as (server, operator),
            api_client(server.url, seller.api_key) as recipient,
        ):
            yield operator, recipient
    finally:
        gh.close()


def _assert_refused(response: httpx.Response, field: str, **details: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "webhook_address_not_allowed"
    assert error["details"]["field"] == field
    for name, value in details.items():
        assert error["details"][name] == value


# -- registration, on every route -----------------------------------------------------------


@pytest.mark.parametrize(("address", "kind"), REFUSED + ODD)
def test_every_route_refuses_a_non_public_address(
    strict: tuple[httpx.Client, httpx.Client], address: str, kind: str
) -> None:
    operator, recipient = strict
    url = _url(address)
    created = operator.post("/v1/recipients", json=recipient_body(webhook_url=url))
    _assert_refused(created, "webhook_url", address_class=kind)
    _assert_refused(recipient.put("/v1/recipient/webhook", json={"url": url}), "url")
    _assert_refused(operator.put("/v1/operator/webhook", json={"url": url}), "url")


def test_a_refused_url_replaces_nothing(strict: tuple[httpx.Client, httpx.Client]) -> None:
    _, recipient = strict
    kept = "https://93.184.215.14/hooks"
    assert recipient.put("/v1/recipient/webhook", json={"url": kept}).status_code == 200
    refused = recipient.put("/v1/recipient/webhook", json={"url": "https://10.0.0.1/"})
    _assert_refused(refused, "url", reason="address_not_public", address_class="private")
    assert recipient.get("/v1/recipient/webhook").json()["url"] == kept


def test_a_name_is_refused_when_it_resolves_privately(
    strict: tuple[httpx.Client, httpx.Client], dns: Dns
) -> None:
    operator, recipient = strict
    dns.answers["metadata.example"] = "169.254.169.254"
    url = "https://metadata.example/latest"
    created = operator.post("/v1/recipients", json=recipient_body(webhook_url=url))
    _assert_refused(created, "webhook_url", address_class="link_local")
    _assert_refused(recipient.put("/v1/recipient/webhook", json={"url": url}), "url")
    _assert_refused(operator.put("/v1/operator/webhook", json={"url": url}), "url")
    # A name that does not resolve yet is accepted: delivery checks it again.
    later = "https://not-yet.example/hook"
    assert recipient.put("/v1/recipient/webhook", json={"url": later}).status_code == 200


def test_http_is_refused_on_every_route_by_default(
    strict: tuple[httpx.Client, httpx.Client],
) -> None:
    operator, recipient = strict
    url = "http://93.184.215.14/hook"
    created = operator.post("/v1/recipients", json=recipient_body(webhook_url=url))
    _assert_refused(created, "webhook_url", reason="scheme_not_allowed")
    _assert_refused(recipient.put("/v1/recipient/webhook", json={"url": url}), "url")
    _assert_refused(operator.put("/v1/operator/webhook", json={"url": url}), "url")
    updated = operator.patch(
        f"/v1/recipients/{created_id(operator)}", json={"webhook_url": "https://127.0.0.1/"}
    )
    _assert_refused(updated, "webhook_url", address_class="loopback")


def created_id(operator: httpx.Client) -> str:
    response = operator.post("/v1/recipients", json=recipient_body())
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


# -- delivery -------------------------------------------------------------------------------


@pytest.mark.parametrize(("address", "kind"), REFUSED + ODD)
def test_delivery_refuses_every_non_public_address(address: str, kind: str) -> None:
    with pytest.raises(PermanentFailure, match=kind):
        post_event(_url(address), SECRET, "msg_1", b"{}", NOW, EgressPolicy(resolve=Dns()))


def test_a_name_rebound_to_loopback_after_registration_gets_nothing(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    dns = Dns()
    gh.webhook_egress = EgressPolicy(resolve=dns)
    with sink() as endpoint:
        port = endpoint.url.split(":")[2].split("/")[0]
        dns.answers["rebind.example"] = "93.184.215.14"
        url = f"https://rebind.example:{port}/hooks/gatehouse"
        seller = register_recipient(gh, RecipientInput(kind="seller", webhook_url=url))
        dns.answers["rebind.example"] = "127.0.0.1"
        with gh.engine.begin() as connection:
            job_id = enqueue_webhook(
                connection,
                recipient_id=seller.standing.recipient.id,
                event_type="subject.erasure_requested",
                webhook_id="era_rebind",
                data={"erasure_id": "era_rebind"},
                at=gh.clock(),
            )
        assert worker.run_once(gh, "test-worker").dead == 1
        job = outbox.get_job(gh, job_id)
        assert job.status is JobStatus.DEAD
        assert job.last_error is not None and "loopback" in job.last_error
        assert endpoint.received == []


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_a_redirect_is_not_followed_even_to_an_allowed_address(status: int) -> None:
    policy = EgressPolicy.parse("127.0.0.1/32")
    with sink() as elsewhere, redirector(status, elsewhere.url) as (url, seen):
        with pytest.raises(RetryLater, match="redirects are not followed"):
            post_event(url, SECRET, "msg_r", b"{}", NOW, policy)
        assert seen == ["/hook"]
        assert elsewhere.received == []


def test_http_reaches_only_a_listed_development_host() -> None:
    with sink() as endpoint:
        url = endpoint.url
        with pytest.raises(PermanentFailure, match="https"):
            post_event(url, SECRET, "msg_h", b"{}", NOW, EgressPolicy())
        with pytest.raises(PermanentFailure, match="https"):
            post_event(url, SECRET, "msg_h", b"{}", NOW, EgressPolicy.parse("localhost"))
        assert endpoint.received == []
        post_event(url, SECRET, "msg_h", b"{}", NOW, EgressPolicy.parse("127.0.0.1/32"))
        by_name = url.replace("127.0.0.1", "localhost")
        post_event(by_name, SECRET, "msg_h", b"{}", NOW, EgressPolicy.parse("localhost"))
        assert len(endpoint.received) == 2


# -- the setting at start-up ----------------------------------------------------------------


def test_a_bad_allow_list_stops_gatehouse_opening(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "GATEHOUSE_DATABASE_URL": f"sqlite:///{tmp_path / 'never.db'}",
            "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64(),
            ALLOW_ENV: "localhost,10.0.0.1/8",
        }
    )
    with pytest.raises(InvalidSetting, match="10.0.0.1/8"):
        open_gatehouse(settings)
    assert not (tmp_path / "never.db").exists()


def test_the_worker_refuses_to_start_with_a_bad_allow_list(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEHOUSE_")}
    env.update(
        GATEHOUSE_DATABASE_URL=f"sqlite:///{tmp_path / 'never.db'}",
        GATEHOUSE_MASTER_KEY=MasterKey.generate().to_b64(),
        GATEHOUSE_WEBHOOK_ALLOW="0.0.0.0/0",
    )
    done = subprocess.run(
        [sys.executable, "-m", "gatehouse", "worker", "--once"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "invalid_setting" in done.stderr and ALLOW_ENV in done.stderr
