"""A page and the API answer the same domain error with the same status.

Both take it from one map (``gatehouse.http.errors``); the pages used to keep their own lists,
and a tampered ciphertext was a 409 from the API but a 400 page.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select, update

from gatehouse.domain.errors import (
    Conflict,
    Forbidden,
    GatehouseError,
    InvalidInput,
    NotFound,
    Unauthorized,
)
from gatehouse.domain.views import ViewClosed
from gatehouse.http.errors import refusal, status_for
from gatehouse.services.abuse import RateLimited
from gatehouse.services.runtime import Gatehouse
from gatehouse.store.tables import pii_fields
from gatehouse.vault import KeyShredded, VaultTamperError
from tests.conftest import LiveServer
from tests.support.factories import subject_body
from tests.test_web_portal import PortalClient, open_view, signed_in


@pytest.fixture
def portal(live_server: LiveServer) -> Iterator[PortalClient]:
    client = PortalClient(live_server.url)
    yield client
    client.close()


def _swap_in_foreign_name(gh: Gatehouse, api: httpx.Client, subject_id: str) -> None:
    """Put another subject's encrypted name in place of this subject's, as an attacker might."""
    other = api.post("/v1/subjects", json=subject_body()).json()["id"]
    with gh.engine.begin() as connection:
        stolen = connection.execute(
            select(pii_fields.c.ciphertext).where(
                pii_fields.c.subject_id == other, pii_fields.c.field == "name"
            )
        ).scalar_one()
        connection.execute(
            update(pii_fields)
            .where(pii_fields.c.subject_id == subject_id, pii_fields.c.field == "name")
            .values(ciphertext=stolen)
        )


def test_a_tampered_view_is_409_from_the_api_and_on_the_portal_page(
    api: httpx.Client, live_server: LiveServer, portal: PortalClient, gatehouse: Gatehouse
) -> None:
    scenario = open_view(api, live_server.url)
    _swap_in_foreign_name(gatehouse, api, scenario.subject_id)
    from_api = httpx.get(
        f"{live_server.url}/v1/recipient/transfers/{scenario.transfer_id}",
        headers={"Authorization": f"Bearer {scenario.api_key}"},
    )
    assert from_api.status_code == 409, from_api.text
    assert from_api.json()["error"]["code"] == "ciphertext_mismatch"
    signed_in(portal, scenario.api_key)
    page = portal.get(f"/recipient/transfers/{scenario.transfer_id}")
    assert page.status_code == from_api.status_code
    assert page.headers["content-type"].startswith("text/html")
    assert "홍*동" not in page.text


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("bad"), 422),
        (NotFound("gone"), 404),
        (Conflict("clash"), 409),
        (Forbidden("no"), 403),
        (Unauthorized("who"), 401),
        (KeyShredded("shredded"), 410),
        (ViewClosed("closed"), 410),
        (VaultTamperError("moved"), 409),
        (RateLimited(7), 429),
        (GatehouseError("anything else"), 400),
    ],
)
def test_one_map_gives_each_domain_error_its_status(error: GatehouseError, status: int) -> None:
    assert status_for(error) == status
    assert refusal(error)[0] == status


def test_a_rate_limit_refusal_carries_retry_after_for_pages_too() -> None:
    assert refusal(RateLimited(7))[1] == {"Retry-After": "7"}
