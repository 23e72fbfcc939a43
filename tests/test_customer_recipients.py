"""Who has my data, per recipient: the grouped summary agrees with the full list of transfers.

Also the small reads the privacy center's home page makes instead of listing every transfer:
the order numbers of the transfers its requests are about, and one transfer without a proof.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from gatehouse.services import ledger
from gatehouse.services.customer_recipients import transfer_summary
from gatehouse.services.customer_transfers import order_refs, transfer_of, transfers_of
from gatehouse.services.runtime import Gatehouse
from gatehouse.vault import KeyShredded
from tests.conftest import LiveServer
from tests.support.gateway import (
    Seller,
    allowed_transfer,
    consent,
    new_order,
    new_seller,
    new_subject,
    publish_terms,
)


@pytest.fixture
def sellers(api: httpx.Client, live_server: LiveServer) -> Iterator[dict[str, Seller]]:
    """Sellers in China, Japan and the US that accepted the terms."""
    terms = publish_terms(api)
    made = {code: new_seller(api, live_server.url, code, terms) for code in ("CN", "JP", "US")}
    yield made
    for seller in made.values():
        seller.client.close()


def everything(gh: Gatehouse, subject_id: str) -> list[dict[str, Any]]:
    """Every allowed transfer of the subject, through the paged list, three at a time."""
    items: list[dict[str, Any]] = []
    after = None
    while True:
        page = transfers_of(gh, subject_id, after=after, limit=3, with_proofs=False)
        items.extend(item.to_dict() for item in page.items)
        if page.next_cursor is None:
            return items
        after = page.next_cursor


def test_the_summary_names_every_recipient_with_all_it_received(
    api: httpx.Client, gatehouse: Gatehouse, sellers: dict[str, Seller]
) -> None:
    subject_id = new_subject(api)
    consent(api, subject_id, sellers["CN"])
    consent(api, subject_id, sellers["JP"])
    mine = [allowed_transfer(api, subject_id, sellers["CN"]) for _ in range(4)]
    mine.append(allowed_transfer(api, subject_id, sellers["JP"], customs=True))
    # Refused (no consent to the US seller), and another customer's transfer: neither counts.
    refused = new_order(api, subject_id, sellers["US"])
    assert (
        api.post(
            f"/v1/orders/{refused}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
        ).status_code
        == 403
    )
    stranger = new_subject(api)
    consent(api, stranger, sellers["CN"])
    allowed_transfer(api, stranger, sellers["CN"])

    summary = transfer_summary(gatehouse, subject_id)
    listed = everything(gatehouse, subject_id)
    assert summary.total == len(listed) == 5
    assert summary.by_country == {"CN": 4, "JP": 1}
    assert [r.country for r in summary.recipients] == ["CN", "JP"]
    counted = Counter(str(item["recipient"]["id"]) for item in listed)
    for share in summary.recipients:
        theirs = [i for i in listed if i["recipient"]["id"] == share.recipient_id]
        assert share.transfers == counted[share.recipient_id] == len(theirs)
        assert set(share.fields) == {f for i in theirs for f in i["items"]}
        assert share.purposes == ("fulfilment",) and share.bases == ("SEPARATE_CONSENT",)
        assert share.last_at == max(i["when"] for i in theirs)
        assert share.until == max(i["until"] for i in theirs)
        assert share.open is True
        assert share.contact_email and share.officer_name and share.legal_name
    japan = summary.recipients[1]
    assert japan.recipient_id == sellers["JP"].id and "customs_code" in japan.fields

    # The same rows however many transfers there are: one per recipient, not per transfer.
    allowed_transfer(api, subject_id, sellers["CN"])
    again = transfer_summary(gatehouse, subject_id)
    assert [r.transfers for r in again.recipients] == [5, 1] and again.total == 6

    refs = order_refs(gatehouse, subject_id, [t for _o, t in mine[:2]] + ["trf_nothing"])
    expected = {t: transfer_of(gatehouse, subject_id, t).order_ref for _o, t in mine[:2]}
    assert refs == expected
    assert order_refs(gatehouse, subject_id, []) == {}
    theirs_only = order_refs(gatehouse, stranger, [t for _o, t in mine])
    assert theirs_only == {}


def test_the_summary_shows_ended_access_and_refuses_an_erased_customer(
    api: httpx.Client, gatehouse: Gatehouse, live_server: LiveServer, sellers: dict[str, Seller]
) -> None:
    subject_id = new_subject(api)
    consent_id = consent(api, subject_id, sellers["US"])
    allowed_transfer(api, subject_id, sellers["US"])
    assert transfer_summary(gatehouse, subject_id).recipients[0].open is True
    token = api.post(f"/v1/subjects/{subject_id}/sessions").json()["token"]
    withdrawn = httpx.post(
        f"{live_server.url}/v1/me/consents/{consent_id}/withdraw",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert withdrawn.status_code == 200, withdrawn.text
    (ended,) = transfer_summary(gatehouse, subject_id).recipients
    assert ended.open is False and ended.until is not None
    assert api.delete(f"/v1/subjects/{subject_id}").status_code == 202
    with pytest.raises(KeyShredded):
        transfer_summary(gatehouse, subject_id)


def test_a_transfer_named_on_a_page_needs_no_proof(
    api: httpx.Client, gatehouse: Gatehouse, sellers: dict[str, Seller]
) -> None:
    subject_id = new_subject(api)
    consent(api, subject_id, sellers["JP"])
    _order, transfer_id = allowed_transfer(api, subject_id, sellers["JP"])
    checkpoint = ledger.latest_checkpoint(gatehouse)
    before = 0 if checkpoint is None else checkpoint.sequence
    plain = transfer_of(gatehouse, subject_id, transfer_id, with_proof=False)
    assert plain.proof is None and plain.transfer_id == transfer_id
    after = ledger.latest_checkpoint(gatehouse)
    assert (0 if after is None else after.sequence) == before
    assert transfer_of(gatehouse, subject_id, transfer_id).proof is not None
