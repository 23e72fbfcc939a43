"""A notice scoped by country still names every recipient in it, one by one.

Korea's regulator faulted a notice that named the destination as "worldwide"; a country scope
is the nearest thing Gatehouse allows, and it expands to the recipients this purpose and flow
can reach, each with its name and contact, or it refuses when they are too many to read.
Each test runs on a database of its own, so no other test's recipients fall into the scope.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from gatehouse.domain.recipients import PrivacyOfficer
from gatehouse.services import recipients
from gatehouse.services.notices import MAX_NOTICE_RECIPIENTS
from gatehouse.services.runtime import Gatehouse
from tests.conftest import Fresh
from tests.support.factories import recipient_body
from tests.support.gateway import new_subject
from tests.support.server import operator_api


@dataclass
class Site:
    gatehouse: Gatehouse
    api: httpx.Client
    subject_id: str


@pytest.fixture
def site(fresh: Fresh) -> Iterator[Site]:
    with operator_api(fresh.gatehouse, timeout=60) as (_, api):
        yield Site(fresh.gatehouse, api, new_subject(api))


def register(api: httpx.Client, **overrides: Any) -> dict[str, Any]:
    created = api.post("/v1/recipients", json=recipient_body(**overrides))
    assert created.status_code == 201, created.text
    return dict(created.json())


def render(site: Site, *countries: str) -> httpx.Response:
    return site.api.get(
        "/v1/notices/render",
        params={"subject_id": site.subject_id, "purpose": "fulfilment", "country": countries},
    )


def named(notice: dict[str, Any]) -> list[str]:
    return [str(entry["recipient_id"]) for entry in notice["recipients"]]


def test_a_country_scope_names_each_active_recipient_for_the_purpose(site: Site) -> None:
    first = register(site.api, legal_name="Guangzhou First Trade Co.")
    second = register(site.api, legal_name="Yiwu Second Goods Ltd.")
    other_purpose = register(
        site.api, legal_name="Dalian Helpdesk Only Ltd.", purposes=["customer_service"]
    )
    suspended = register(site.api, legal_name="Ningbo Suspended Export Co.")
    stopped = site.api.post(
        f"/v1/recipients/{suspended['id']}/suspend", json={"reason": "inspection"}
    )
    assert stopped.status_code == 200, stopped.text
    japan = register(site.api, legal_name="Osaka Zakka K.K.", country="JP")

    response = render(site, "CN")
    assert response.status_code == 200, response.text
    notice = response.json()
    assert named(notice) == sorted([first["id"], second["id"]])
    assert notice["countries"] == ["CN"]
    # Each one by name and contact, in the entries and in the text the customer reads.
    for recipient in (first, second):
        entry = next(e for e in notice["recipients"] if e["recipient_id"] == recipient["id"])
        assert entry["legal_name"] == recipient["legal_name"]
        assert recipient["contact_email"] in entry["contact"]
        assert entry["country"] == "CN"
        assert recipient["legal_name"] in notice["text"]
    for left_out in (other_purpose, suspended, japan):
        assert left_out["id"] not in named(notice)
        assert left_out["legal_name"] not in notice["text"]

    both = render(site, "CN", "JP")
    assert both.status_code == 200, both.text
    assert named(both.json()) == sorted([first["id"], second["id"], japan["id"]])
    assert both.json()["countries"] == ["CN", "JP"]

    # A country with no recipient for the purpose is no scope at all.
    empty = render(site, "FR")
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "empty_scope"


def _bulk(
    gh: Gatehouse, count: int, start: int, purposes: tuple[str, ...] = ("fulfilment",)
) -> None:
    # Through the service in one transaction: 200 registrations over HTTP add nothing but time.
    recipients.register_recipients(
        gh,
        [
            recipients.RecipientInput(
                kind="seller",
                legal_name=f"Bulk Seller {n}",
                country="CN",
                contact_email=f"ops{n}@bulk.example.cn",
                privacy_officer=PrivacyOfficer("Zhang Min", f"dpo{n}@bulk.example.cn"),
                purposes=list(purposes),
                retention_days=60,
            )
            for n in range(start, start + count)
        ],
    )


def test_a_scope_over_the_limit_is_refused(site: Site) -> None:
    named_one = register(site.api, legal_name="Named Directly Ltd.", country="JP")
    _bulk(site.gatehouse, MAX_NOTICE_RECIPIENTS, 0)
    at_limit = render(site, "CN")
    assert at_limit.status_code == 200, at_limit.text
    assert len(named(at_limit.json())) == MAX_NOTICE_RECIPIENTS
    assert all(f"Bulk Seller {n}" in at_limit.json()["text"] for n in (0, 199))

    _bulk(site.gatehouse, 1, MAX_NOTICE_RECIPIENTS)
    over = render(site, "CN")
    assert over.status_code == 422, over.text
    error = over.json()["error"]
    assert error["code"] == "scope_too_large"
    assert str(MAX_NOTICE_RECIPIENTS) in error["message"]
    # Named recipients plus a country count together.
    mixed = site.api.get(
        "/v1/notices/render",
        params={
            "subject_id": site.subject_id,
            "purpose": "fulfilment",
            "country": "CN",
            "recipient_id": named_one["id"],
        },
    )
    assert mixed.status_code == 422 and mixed.json()["error"]["code"] == "scope_too_large"
    # Narrowed to the order's own recipient, the notice renders.
    narrow = site.api.get(
        "/v1/notices/render",
        params={
            "subject_id": site.subject_id,
            "purpose": "fulfilment",
            "recipient_id": named_one["id"],
        },
    )
    assert narrow.status_code == 200, narrow.text
    assert named(narrow.json()) == [named_one["id"]]


def test_recipients_outside_the_purpose_do_not_crowd_out_those_inside(site: Site) -> None:
    # Regression: the scope took the first 201 recipients of the country by id and only then
    # dropped those without the purpose, so with many of them some that had it went unnamed.
    _bulk(site.gatehouse, 300, 0, purposes=("customer_service",))
    _bulk(site.gatehouse, 5, 300)
    notice = render(site, "CN")
    assert notice.status_code == 200, notice.text
    assert len(named(notice.json())) == 5
    assert all(f"Bulk Seller {n}" in notice.json()["text"] for n in range(300, 305))
