"""The privacy center's home page for a customer with 10 transfers and one with 1,000, in one run.

Setup (not timed) publishes terms, registers three sellers abroad that accept them, creates two
Korean customers, shows each the consent notice of every seller and records a granted consent,
then creates orders and lets the gateway allow them: 10 for one customer and 1,000 for the
other, spread over the sellers. Uvicorn serves the app in a thread of this process on a
loopback port, and each customer signs in as a browser does: the operator asks for a link
(``POST /v1/subjects/{id}/sessions``) and the customer follows it for the session cookie.

Timed, medians over ``--rounds`` requests each: ``GET /privacy``, the home page, for each
customer; the figure is the ratio 1,000/10. The home page lists up to 1,000 transfers (ten pages
of 100), so the ratio is what the list itself costs. The peer figure is the same home page with
the inclusion proofs forced back on (each proof reads its ledger shard), timed over
``--proof-rounds`` requests since one takes seconds at 1,000 transfers.

    .venv/bin/python bench/pages.py [--rounds 30] [--proof-rounds 3] [--database-url URL]
"""

from __future__ import annotations

import argparse
import shutil
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from gatehouse.app import create_app
from gatehouse.config import Settings
from gatehouse.demo.korea import KoreanCustomers
from gatehouse.demo.marketplace import DEMO_TERMS
from gatehouse.domain.ids import new_id
from gatehouse.domain.orders import OrderItem
from gatehouse.domain.recipients import PrivacyOfficer
from gatehouse.services import consents as consent_service
from gatehouse.services import customer as customer_service
from gatehouse.services import notices as notice_service
from gatehouse.services import orders as order_service
from gatehouse.services import recipients as recipient_service
from gatehouse.services import subjects as subject_service
from gatehouse.services import terms as terms_service
from gatehouse.services.access import issue_operator_key
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.services.transfers import request_transfer
from gatehouse.store.scratch import scratch_database
from gatehouse.vault import MasterKey

PURPOSE = "fulfilment"
FLOW = "provision"
SELLERS = [("CN", "cn"), ("JP", "jp"), ("US", "com")]
CUSTOMERS = (10, 1000)


def _seller(index: int) -> recipient_service.RecipientInput:
    country, tld = SELLERS[index]
    slug = f"page{index}"
    return recipient_service.RecipientInput(
        kind="seller",
        legal_name=f"Bench Pages Co., Ltd. ({slug})",
        country=country,
        contact_email=f"ops@{slug}.example.{tld}",
        privacy_officer=PrivacyOfficer(name="Li Wei", email=f"privacy@{slug}.example.{tld}"),
        purposes=[PURPOSE],
        retention_days=90,
    )


def build(gh: Gatehouse) -> dict[int, str]:
    """Sellers, and one customer per entry of ``CUSTOMERS`` with that many allowed transfers."""
    terms = terms_service.publish_terms(gh, "2026-01", DEMO_TERMS)
    registered = recipient_service.register_recipients(
        gh, [_seller(i) for i in range(len(SELLERS))]
    )
    sellers = [item.standing.recipient.id for item in registered]
    for seller_id in sellers:
        if not recipient_service.accept_terms(gh, seller_id, terms.version).eligible:
            raise RuntimeError(f"seller {seller_id} is not eligible")
    people = KoreanCustomers(7)
    made = subject_service.create_subjects(
        gh,
        [
            subject_service.NewSubject(pii=people.one(i), residence_country="KR", locale="ko-KR")
            for i in range(len(CUSTOMERS))
        ],
    )
    subjects: dict[int, str] = {}
    for count, subject in zip(CUSTOMERS, made, strict=True):
        for seller_id in sellers:
            notice = notice_service.render_for_subject(
                gh,
                subject_id=subject.id,
                recipient_ids=[seller_id],
                countries=[],
                purpose=PURPOSE,
                flow=FLOW,
                locale=None,
            )
            consent_service.record_consent(gh, subject.id, notice.hash, granted=True, channel="web")
        for index in range(count):
            order_id = order_service.create_order(
                gh,
                order_service.NewOrder(
                    subject_id=subject.id,
                    recipient_id=sellers[index % len(sellers)],
                    external_ref=new_id("bench"),
                    items=[OrderItem(sku=f"SKU-{index:06d}", name="이어폰 케이스", quantity=1)],
                    delivery_note=None,
                    customs_required=False,
                ),
            )
            outcome = request_transfer(gh, order_id, purpose=PURPOSE, flow=FLOW)
            if not outcome.decision.allowed:
                raise RuntimeError("the gateway refused a transfer the bench set up to allow")
        subjects[count] = subject.id
    return subjects


@contextmanager
def serving(gh: Gatehouse) -> Iterator[str]:
    """Uvicorn serving the app on a free loopback port in a thread; yields its base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(create_app(gh), log_level="warning", access_log=False, lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.01)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def signed_in(base_url: str, operator_key: str, subject_id: str) -> httpx.Client:
    """A client holding the customer's privacy-center session cookie, as a browser would."""
    client = httpx.Client(base_url=base_url, timeout=120, follow_redirects=False)
    link = client.post(
        f"/v1/subjects/{subject_id}/sessions",
        headers={"Authorization": f"Bearer {operator_key}"},
    )
    link.raise_for_status()
    entered = client.get(link.json()["url"])
    session = entered.cookies.get("gh_session")
    if entered.status_code != 303 or session is None:
        raise RuntimeError(f"the link did not sign the customer in: {entered.status_code}")
    # The cookie is Secure and this loopback is plain http, where a client never sends one on
    # its own: send it by hand, as the browser would over https.
    client.headers["Cookie"] = f"gh_session={session}"
    return client


def median_ms(client: httpx.Client, rounds: int) -> float:
    """The median time of ``GET /privacy`` over ``rounds`` requests, after one warm-up."""
    samples = []
    for index in range(rounds + 1):
        start = time.perf_counter()
        response = client.get("/privacy")
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"the home page answered {response.status_code}")
        if index:
            samples.append(elapsed * 1000)
    return statistics.median(samples)


@contextmanager
def proofs_forced() -> Iterator[None]:
    """The pages' transfer listing with inclusion proofs, as the home page computed them before."""
    original: Callable[..., customer_service.TransferPage] = customer_service.transfers_of

    def with_proofs(*args: Any, **kwargs: Any) -> customer_service.TransferPage:
        return original(*args, **{**kwargs, "with_proofs": True})

    customer_service.transfers_of = with_proofs
    try:
        yield
    finally:
        customer_service.transfers_of = original


def run(url: str, rounds: int, proof_rounds: int) -> None:
    """Build the two customers, then time their home pages, without and with proofs."""
    settings = Settings.from_env(
        {"GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64()}
    )
    gh = open_gatehouse(settings)
    try:
        started = time.perf_counter()
        subjects = build(gh)
        print(f"setup: {sum(CUSTOMERS)} transfers in {time.perf_counter() - started:.1f} s")
        key = issue_operator_key(gh.engine, gh.clock(), label="bench")
        with serving(gh) as base_url:
            clients = {count: signed_in(base_url, key, subjects[count]) for count in CUSTOMERS}
            plain = {count: median_ms(clients[count], rounds) for count in CUSTOMERS}
            with proofs_forced():
                proved = {count: median_ms(clients[count], proof_rounds) for count in CUSTOMERS}
            for client in clients.values():
                client.close()
    finally:
        gh.close()
    small, large = CUSTOMERS
    print(f"GET /privacy, median ms ({rounds} requests; with proofs {proof_rounds})")
    print(f"{'transfers':>10} {'home':>10} {'with proofs':>12} {'proofs/home':>12}")
    for count in CUSTOMERS:
        ratio = proved[count] / plain[count]
        print(f"{count:>10} {plain[count]:>10.1f} {proved[count]:>12.1f} {ratio:>12.1f}")
    print(
        f"ratio {large}/{small}: home {plain[large] / plain[small]:.1f}, "
        f"with proofs {proved[large] / proved[small]:.1f}"
    )


def main() -> None:
    """Parse the arguments and run in a scratch database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--proof-rounds", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    go = partial(run, rounds=args.rounds, proof_rounds=args.proof_rounds)
    if args.database_url and not args.database_url.startswith("sqlite"):
        # Never write into the server's own database: benchmark in a scratch one.
        with scratch_database(args.database_url, prefix="gatehouse_bench") as url:
            go(url)
        return
    if args.database_url:
        go(args.database_url)
        return
    workdir = Path(tempfile.mkdtemp(prefix="gatehouse-bench-"))
    try:
        go(f"sqlite:///{workdir / 'bench.db'}")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
