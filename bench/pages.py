"""The privacy center's pages for customers with 10, 100 and 1,000 transfers, in one run.

Setup (not timed) publishes terms, registers three sellers abroad that accept them, creates three
Korean customers, shows each the consent notice of every seller and records a granted consent,
then creates orders and lets the gateway allow them: 10, 100 and 1,000 for the three
customers, spread over the sellers. Uvicorn then serves the app from a process of its own on a
loopback port, and each customer signs in as a browser does: the operator asks for a link
(``POST /v1/subjects/{id}/sessions``) and the customer follows it for the session cookie.

Timed, medians over ``--rounds`` requests each after one warm-up, for each customer: the home
page (``GET /privacy``, every recipient from a grouped query and the newest transfers in the
request form), the deletion confirmation (``GET /privacy/delete``) and the first page of the
list of all transfers (``GET /privacy/transfers``, 50 a page). The figure is the ratio 1,000/10
of each: 1.0 means the page costs the same however many transfers the customer has. The
customer with 10 has fewer rows to show (10 transfers in the form and the list, not 20 and
50), which the 100 column separates from what the number of transfers itself costs.

    .venv/bin/python bench/pages.py [--rounds 30] [--database-url URL]
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import socket
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from multiprocessing.connection import Connection
from pathlib import Path

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
# The home page lists the newest 20 transfers in its request form: the middle customer shows
# whether anything past those still costs time.
CUSTOMERS = (10, 100, 1000)
PAGES = ("/privacy", "/privacy/delete", "/privacy/transfers")


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


def _serve(environ: dict[str, str], ready: Connection) -> None:
    """Serve the app on a free loopback port from this (child) process; report the port."""
    gh = open_gatehouse(Settings.from_env(environ))
    # Named TCP, so asyncio turns Nagle's algorithm off on each connection as it does for the
    # sockets it opens itself; otherwise a response's second write waited for the client's
    # delayed acknowledgement, 40 ms on Linux, on every kept-alive request.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    ready.send(sock.getsockname()[1])
    config = uvicorn.Config(create_app(gh), log_level="warning", access_log=False, lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


@contextmanager
def serving(environ: dict[str, str]) -> Iterator[str]:
    """Uvicorn serving the app from a process of its own; yields its base URL.

    Not a thread of this process: a server sharing the client's interpreter lock would be
    timed waiting for the client's turns as well as for its own work.
    """
    context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    process = context.Process(target=_serve, args=(environ, send), daemon=True)
    process.start()
    try:
        if not receive.poll(60):
            raise RuntimeError("the server did not start")
        base_url = f"http://127.0.0.1:{receive.recv()}"
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{base_url}/privacy", timeout=5)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or not process.is_alive():
                    raise RuntimeError("the server did not start") from None
                time.sleep(0.05)
        yield base_url
    finally:
        process.terminate()
        process.join(timeout=10)


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


def median_ms(client: httpx.Client, path: str, rounds: int) -> float:
    """The median time of ``GET path`` over ``rounds`` requests, after one warm-up."""
    samples = []
    for index in range(rounds + 1):
        start = time.perf_counter()
        response = client.get(path)
        elapsed = time.perf_counter() - start
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
        if index:
            samples.append(elapsed * 1000)
    return statistics.median(samples)


def run(url: str, rounds: int) -> None:
    """Build the customers, then time each page for each of them, side by side."""
    environ = {"GATEHOUSE_DATABASE_URL": url, "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64()}
    gh = open_gatehouse(Settings.from_env(environ))
    try:
        started = time.perf_counter()
        subjects = build(gh)
        print(f"setup: {sum(CUSTOMERS)} transfers in {time.perf_counter() - started:.1f} s")
        key = issue_operator_key(gh, gh.clock(), label="bench")
    finally:
        gh.close()
    with serving(environ) as base_url:
        clients = {count: signed_in(base_url, key, subjects[count]) for count in CUSTOMERS}
        # Page by page, both customers in turn, so a slower stretch of the machine hits both.
        timed = {
            path: {count: median_ms(clients[count], path, rounds) for count in CUSTOMERS}
            for path in PAGES
        }
        for client in clients.values():
            client.close()
    small, large = CUSTOMERS[0], CUSTOMERS[-1]
    print(f"median ms over {rounds} requests, by the customer's number of transfers")
    heading = "".join(f"{count:>8,}" for count in CUSTOMERS)
    print(f"{'page':<20}{heading} {f'{large}/{small}':>10}")
    for path, figures in timed.items():
        row = "".join(f"{figures[count]:>8.1f}" for count in CUSTOMERS)
        print(f"{path:<20}{row} {figures[large] / figures[small]:>10.2f}")


def main() -> None:
    """Parse the arguments and run in a scratch database."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    go = partial(run, rounds=args.rounds)
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
