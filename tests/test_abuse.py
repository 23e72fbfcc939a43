"""Scraping detection over real HTTP: a recipient that reads many distinct views in a short
window is flagged once, on the ledger and at ``/v1/abuse/flags``; ordinary reading is not.

The threshold is lowered from 200 to 5 views on a Gatehouse of the test's own, so a handful of
transfers shows the pattern; the counting is the same code at any threshold.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import httpx
import pytest

from gatehouse.services.runtime import Limits
from tests.conftest import Clock, Fresh
from tests.support.gateway import (
    Seller,
    allowed_transfer,
    consent,
    new_seller,
    new_subject,
    publish_terms,
)
from tests.support.server import operator_api

THRESHOLD = 5
WINDOW = timedelta(minutes=10)


@dataclass
class Site:
    api: httpx.Client
    clock: Clock
    seller: Seller
    transfers: list[str]


@pytest.fixture
def site(fresh: Fresh) -> Iterator[Site]:
    """One seller abroad with one more transfer than the threshold, on a fresh Gatehouse."""
    fresh.gatehouse.limits = Limits(scrape_threshold=THRESHOLD, scrape_window=WINDOW)
    with operator_api(fresh.gatehouse) as (server, api):
        seller = new_seller(api, server.url, "CN", publish_terms(api))
        subject_id = new_subject(api)
        consent(api, subject_id, seller)
        transfers = [allowed_transfer(api, subject_id, seller)[1] for _ in range(THRESHOLD + 1)]
        try:
            yield Site(api, fresh.clock, seller, transfers)
        finally:
            seller.client.close()


def read(seller: Seller, transfer_id: str) -> None:
    response = seller.client.get(f"/v1/recipient/transfers/{transfer_id}")
    assert response.status_code == 200, response.text


def flags(api: httpx.Client, **params: str) -> list[dict[str, object]]:
    response = api.get("/v1/abuse/flags", params=params)
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def suspicions(api: httpx.Client, recipient_id: str) -> int:
    response = api.get(
        "/v1/ledger/entries",
        params={"recipient_id": recipient_id, "kind": "recipient.scraping_suspected"},
    )
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


def test_reading_many_distinct_views_in_the_window_flags_the_recipient_once(site: Site) -> None:
    for transfer_id in site.transfers[: THRESHOLD - 1]:
        read(site.seller, transfer_id)
    assert flags(site.api) == []

    read(site.seller, site.transfers[THRESHOLD - 1])
    flagged = flags(site.api)
    assert len(flagged) == 1
    assert flagged[0]["recipient_id"] == site.seller.id
    assert flagged[0]["kind"] == "scraping"
    assert flagged[0]["detail"] == {
        "distinct_views": THRESHOLD,
        "window_seconds": int(WINDOW.total_seconds()),
    }
    assert flags(site.api, recipient_id=site.seller.id) == flagged
    assert flags(site.api, recipient_id="rcp_someone_else") == []
    assert suspicions(site.api, site.seller.id) == 1

    # Flagged once per window: more reads add neither a flag nor a ledger entry. Detection
    # flags the pattern for the operator; the reads themselves still succeed.
    read(site.seller, site.transfers[THRESHOLD])
    read(site.seller, site.transfers[0])
    assert len(flags(site.api)) == 1
    assert suspicions(site.api, site.seller.id) == 1


def test_a_recipient_key_cannot_read_the_flags(site: Site) -> None:
    for transfer_id in site.transfers:
        read(site.seller, transfer_id)
    refused = site.seller.client.get("/v1/abuse/flags")
    assert refused.status_code == 403, refused.text
    assert "items" not in refused.json()
    assert site.seller.id not in refused.text
    anonymous = httpx.get(site.api.base_url.join("/v1/abuse/flags"), timeout=30)
    assert anonymous.status_code == 401
    assert len(flags(site.api)) == 1


def test_ordinary_reading_is_not_flagged(site: Site) -> None:
    # The same few views read again and again (a packer checking an address) count once each.
    first = site.transfers[: THRESHOLD - 1]
    for _ in range(5):
        for transfer_id in first:
            read(site.seller, transfer_id)
    assert flags(site.api) == []
    # Reads spread over more than the window: never THRESHOLD distinct views inside one.
    site.clock.advance(seconds=WINDOW.total_seconds() + 60)
    for transfer_id in [*site.transfers[THRESHOLD - 1 :], *first[:2]]:
        read(site.seller, transfer_id)
    assert flags(site.api) == []
    assert suspicions(site.api, site.seller.id) == 0
