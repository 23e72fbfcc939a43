"""/metrics over real HTTP: the right numbers, route templates as labels, and no personal data."""

from __future__ import annotations

import re
import signal
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from gatehouse.services.ledger_checkpoints import make_checkpoint
from gatehouse.services.outbox import enqueue
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.db import make_engine
from tests.conftest import Fresh, fresh_backend
from tests.support import gateway
from tests.support.factories import korean_mobile, recipient_body, subject_body, unique
from tests.support.server import LiveServer, api_client, operator_api
from tests.test_cli import _free_port, _run, _serving

TRANSFERS_ROUTE = "/v1/orders/{order_id}/transfers"
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(gh: Gatehouse) -> tuple[httpx.Response, Samples]:
    """/metrics from a server started now, so its database reading is a new one."""
    with LiveServer(gh) as server:
        answer = httpx.get(f"{server.url}/metrics", timeout=10)
    return answer, parse(answer.text)


def parse(exposition: str) -> Samples:
    samples: Samples = {}
    for family in text_string_to_metric_families(exposition):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def test_requests_are_counted_and_timed_by_route_template(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    with operator_api(gh) as (server, api):
        terms = gateway.publish_terms(api)
        seller = gateway.new_seller(api, server.url, "CN", terms)
        subject = gateway.new_subject(api)
        for _ in range(2):
            order = gateway.new_order(api, subject, seller)
            refused = api.post(
                f"/v1/orders/{order}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
            )
            assert refused.status_code == 403
        assert api.get("/v1/recipients/rcp_missing").status_code == 404
        assert api.get("/no/such/page/0505-1234-5678").status_code == 404
        answer = api.get("/metrics")
        seller.client.close()

    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = parse(answer.text)
    refused_twice = {"method": "POST", "route": TRANSFERS_ROUTE, "status": "403"}
    assert value(samples, "gatehouse_http_requests_total", **refused_twice) == 2
    assert value(samples, "gatehouse_http_request_duration_seconds_count", **refused_twice) == 2
    assert value(samples, "gatehouse_http_request_duration_seconds_sum", **refused_twice) > 0
    slowest = value(
        samples, "gatehouse_http_request_duration_seconds_bucket", **refused_twice, le="+Inf"
    )
    assert slowest == 2
    missing = {"method": "GET", "route": "/v1/recipients/{recipient_id}", "status": "404"}
    assert value(samples, "gatehouse_http_requests_total", **missing) == 1
    unmatched = {"method": "GET", "route": "<unmatched>", "status": "404"}
    assert value(samples, "gatehouse_http_requests_total", **unmatched) == 1
    routes = {dict(labels).get("route") for _, labels in samples} - {None}
    # Templates only: no concrete path (they carry ids) ever becomes a label.
    assert all(route.startswith("/") or route == "<unmatched>" for route in routes if route)
    assert not any("ord_" in route or "rcp_" in route for route in routes if route)


def test_an_odd_method_is_one_label(fresh: Fresh) -> None:
    with LiveServer(fresh.gatehouse) as server:
        httpx.request("PROPFIND", f"{server.url}/healthz", timeout=10)
        samples = parse(httpx.get(f"{server.url}/metrics", timeout=10).text)
    methods = {dict(labels).get("method") for name, labels in samples if "http" in name}
    assert "PROPFIND" not in methods and "other" in methods


def test_a_failing_database_gives_500s_that_are_counted_and_metrics_that_still_answer(
    fresh: Fresh,
) -> None:
    gh = fresh.gatehouse
    with operator_api(gh) as (_, api):
        with gh.engine.begin() as connection:
            connection.execute(text("ALTER TABLE transfers RENAME TO transfers_moved"))
        try:
            assert api.get("/v1/transfers").status_code == 500
            answer = api.get("/metrics")
        finally:
            with gh.engine.begin() as connection:
                connection.execute(text("ALTER TABLE transfers_moved RENAME TO transfers"))

    assert answer.status_code == 200
    samples = parse(answer.text)
    failed = {"method": "GET", "route": "/v1/transfers", "status": "500"}
    assert value(samples, "gatehouse_http_requests_total", **failed) == 1
    assert value(samples, "gatehouse_database_up") == 0
    assert not any(name.startswith("gatehouse_transfer_decisions") for name, _ in samples)


def test_the_database_counts_match_what_happened(fresh: Fresh) -> None:
    gh, clock = fresh.gatehouse, fresh.clock
    with operator_api(gh) as (server, api):
        terms = gateway.publish_terms(api)
        seller = gateway.new_seller(api, server.url, "CN", terms)
        consenting, silent = gateway.new_subject(api), gateway.new_subject(api)
        gateway.consent(api, consenting, seller)
        gateway.allowed_transfer(api, consenting, seller)
        order = gateway.new_order(api, silent, seller)
        api.post(
            f"/v1/orders/{order}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
        )
        # The customer files a rights request and deletes the account: the seller that got
        # the data owes an erasure acknowledgement.
        link = api.post(f"/v1/subjects/{consenting}/sessions").json()
        with api_client(server.url, link["token"]) as customer:
            filed = customer.post("/v1/me/requests", json={"type": "access", "message": "열람"})
            assert filed.status_code == 201, filed.text
            assert customer.delete("/v1/me").status_code == 202
        seller.client.close()
    with gh.unit_of_work() as uow:
        enqueue(uow.outbox, kind="metrics.waiting", payload={}, at=clock.now)
    make_checkpoint(gh)
    clock.advance(days=40)  # past the erasure's and the request's due dates

    answer, samples = scrape(gh)

    assert answer.status_code == 200
    assert value(samples, "gatehouse_database_up") == 1
    # Midnight of the day of the reading: 40 days on, the day's window is empty again.
    assert not any(name == "gatehouse_transfer_decisions_total" for name, _ in samples)
    assert value(samples, "gatehouse_rights_requests_pending") == 1  # the deletion leaves it open
    assert value(samples, "gatehouse_rights_requests_overdue") == 1
    assert value(samples, "gatehouse_erasures_overdue") == 1
    assert value(samples, "gatehouse_erasures_pending") == 0
    with gh.engine.connect() as connection:
        pending = connection.execute(
            text("SELECT count(*) FROM outbox_jobs WHERE status = 'pending'")
        ).scalar_one()
    assert pending >= 2  # the erasure notice's delivery, and ours
    assert value(samples, "gatehouse_outbox_jobs", status="pending") == pending
    assert value(samples, "gatehouse_outbox_oldest_due_age_seconds") == 40 * 86400
    assert value(samples, "gatehouse_ledger_checkpoint_age_seconds") == 40 * 86400


def test_todays_decisions_and_open_requests_are_reported(fresh: Fresh) -> None:
    gh, clock = fresh.gatehouse, fresh.clock
    with operator_api(gh) as (server, api):
        seller = gateway.new_seller(api, server.url, "CN", gateway.publish_terms(api))
        consenting, silent = gateway.new_subject(api), gateway.new_subject(api)
        gateway.consent(api, consenting, seller)
        for _ in range(3):
            gateway.allowed_transfer(api, consenting, seller)
        order = gateway.new_order(api, silent, seller)
        api.post(
            f"/v1/orders/{order}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
        )
        link = api.post(f"/v1/subjects/{silent}/sessions").json()
        with api_client(server.url, link["token"]) as customer:
            customer.post("/v1/me/requests", json={"type": "access", "message": "열람"})
        seller.client.close()
    clock.advance(days=10, hours=1)

    _, samples = scrape(gh)

    allowed = {"outcome": "allowed", "reason": "SEPARATE_CONSENT"}
    refused = {"outcome": "refused", "reason": "no_lawful_basis"}
    # Ten days on: the decisions were on another day, the request is now overdue.
    assert ("gatehouse_transfer_decisions_total", frozenset(allowed.items())) not in samples
    assert value(samples, "gatehouse_rights_requests_overdue") == 1
    clock.advance(days=-10, hours=-1)
    _, samples = scrape(gh)
    assert value(samples, "gatehouse_transfer_decisions_total", **allowed) == 3
    assert value(samples, "gatehouse_transfer_decisions_total", **refused) == 1
    assert value(samples, "gatehouse_rights_requests_pending") == 1
    assert value(samples, "gatehouse_rights_requests_overdue") == 0
    assert value(samples, "gatehouse_outbox_jobs", status="dead") == 0


def test_a_database_that_does_not_answer_still_gives_metrics(fresh: Fresh) -> None:
    dead = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    gh = Gatehouse(engine=dead, keyring=fresh.gatehouse.keyring, packs=fresh.gatehouse.packs)
    try:
        with LiveServer(gh) as server:
            httpx.get(f"{server.url}/healthz", timeout=10)
            answer = httpx.get(f"{server.url}/metrics", timeout=10)
    finally:
        dead.dispose()
    assert answer.status_code == 200
    samples = parse(answer.text)
    assert value(samples, "gatehouse_database_up") == 0
    assert (
        value(
            samples, "gatehouse_http_requests_total", method="GET", route="/healthz", status="200"
        )
        == 1
    )
    assert not any(name.startswith("gatehouse_outbox") for name, _ in samples)


def test_metrics_carry_no_personal_data_and_no_ids(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    n = unique()
    secrets: list[str] = []
    with operator_api(gh) as (server, api):
        operator_key = api.headers["Authorization"].removeprefix("Bearer ")
        terms = gateway.publish_terms(api)
        body = recipient_body(
            legal_name=f"Zebulon Quartzwright Trading {n}",
            contact_email=f"zq.ops{n}@quartzwright.example.cn",
        )
        seller = gateway.new_seller(
            api,
            server.url,
            "CN",
            terms,
            legal_name=body["legal_name"],
            contact_email=body["contact_email"],
        )
        phone = korean_mobile(n + 4242)
        person = subject_body(
            external_ref=f"cus_zanzibar_{n}",
            name="엄준식",
            email=f"xylophone.eater{n}@example.kr",
            phone=phone,
            address={
                "postal_code": "48058",
                "line1": "부산광역시 해운대구 센텀중앙로 79",
                "line2": "3107호",
            },
            customs_code=f"P{n + 777:012d}",
        )
        created = api.post("/v1/subjects", json=person)
        assert created.status_code == 201
        subject = created.json()["id"]
        gateway.consent(api, subject, seller)
        order_ref = f"ORD-QUOKKA-{n}"
        order, transfer = gateway.allowed_transfer(api, subject, seller, ref=order_ref)
        # Values in paths, in query strings and in bodies, on routes that exist and on none.
        for path in (
            f"/v1/recipients/{seller.id}",
            f"/v1/transfers?subject_id={subject}&recipient_id={seller.id}",
            f"/v1/orders/{order}",
            f"/{person['email']}",
            f"/v1/subjects/{person['phone']}",
            f"/lookup/{person['customs_code']}/{order_ref}",
        ):
            api.get(path)
        api.post("/v1/redact", json={"text": f"{person['name']} {phone} {person['email']}"})
        seller.client.get(f"/v1/recipient/transfers/{transfer}")
        seller.client.get(f"/v1/recipient/transfers/{person['external_ref']}")
        api.post(f"/v1/orders/{order}/transfers", json={"purpose": person["email"], "flow": phone})
        with api_client(server.url) as stranger:
            stranger.get("/v1/me", headers={"Authorization": f"Bearer {seller.key}"})
        answer = api.get("/metrics", headers={"Accept": "application/openmetrics-text"})
        plain = api.get("/metrics")
        seller.client.close()

    secrets += [
        operator_key,
        seller.key,
        seller.id,
        subject,
        order,
        transfer,
        order_ref,
        body["legal_name"],
        body["contact_email"],
        person["external_ref"],
        person["name"],
        person["email"],
        phone,
        phone.replace("-", ""),
        person["address"]["line1"],
        "센텀",
        person["customs_code"],
        "xylophone",
        "quartzwright",
        "QUOKKA",
    ]
    for exposition in (answer, plain):
        assert exposition.status_code == 200
        text = exposition.text.lower()
        leaked = [s for s in secrets if s.lower() in text]
        assert leaked == [], leaked
    # Nothing id-shaped anywhere either: only templates, codes and numbers.
    assert not re.search(r"\b(sub|rcp|ord|trf|key|req|era|con|del)_[0-9a-f]{8,}", plain.text)


@pytest.fixture
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    for backend in fresh_backend("postgres", tmp_path_factory):
        yield backend.url


def test_every_worker_s_requests_are_in_each_scrape(tmp_path: Path, postgres_url: str) -> None:
    db = {"GATEHOUSE_DATABASE_URL": postgres_url}
    assert _run(["init"], tmp_path, **db).returncode == 0
    shared = tmp_path / "prometheus"
    shared.mkdir()
    port = _free_port()
    serve = ["serve", "--port", str(port), "--workers", "2"]
    with _serving(serve, tmp_path, port, **db, PROMETHEUS_MULTIPROC_DIR=str(shared)) as server:
        base = f"http://127.0.0.1:{port}"
        # Many connections at once, so that both workers take some of the requests; on a
        # loaded machine the second worker may start late, so rounds go on until it answers.
        clients = [api_client(base) for _ in range(8)]
        sent = 0
        with ThreadPoolExecutor(8) as pool:
            for _ in range(40):
                answers = list(pool.map(lambda i: clients[i % 8].get("/v1/recipients"), range(48)))
                assert {answer.status_code for answer in answers} == {401}
                sent += len(answers)
                if len(list(shared.glob("counter_*.db"))) >= 2:
                    break
        scrapes = [parse(client.get("/metrics").text) for client in clients]
        for client in clients:
            client.close()
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0

    writers = {path.stem.rsplit("_", 1)[1] for path in shared.glob("counter_*.db")}
    assert len(writers) == 2, writers
    refused = {"method": "GET", "route": "/v1/recipients", "status": "401"}
    for samples in scrapes:
        assert value(samples, "gatehouse_http_requests_total", **refused) == sent
        assert value(samples, "gatehouse_http_request_duration_seconds_count", **refused) == sent
        # Read from the database by the answering worker alone: one sample, not one per worker.
        assert value(samples, "gatehouse_database_up") == 1
