"""A delivery note with one identifier of each kind reaches the seller's view redacted, over
HTTP on each database, with the order number, the door code and the building intact."""

from __future__ import annotations

import httpx

from gatehouse.domain.redaction import KINDS, PII_TOKENS
from tests.support.gateway import consent, new_order, new_seller, new_subject, publish_terms

# One of each kind, typed the way buyers type them; the comment names the kind.
IDENTIFIERS = {
    "phone": "０１０ㅡ２３４５ㅡ６７８９",
    "email": "minji.k@kakao.com",
    "rrn": "900101-1234568",
    "frn": "900101-5234567",
    "customs_code": "P-123456789012",
    "bank_account": "3333-01-1234567",
    "card": "4111 1111 1111 1111",
    "passport": "M12345678",
    "driver_license": "11-19-123456-01",
}
NOTE = (
    f"주문번호 20261129-0001234 문앞에 놔주세요ㅎㅎ 공동현관 비번 #1234* 래미안 101동 1203호. "
    f"부재시 {IDENTIFIERS['phone']}로 연락, 메일 {IDENTIFIERS['email']}으로 주세요. "
    f"주민번호 {IDENTIFIERS['rrn']} 외국인등록번호 {IDENTIFIERS['frn']} "
    f"통관부호 {IDENTIFIERS['customs_code']} 환불은 카뱅 {IDENTIFIERS['bank_account']} "
    f"카드 {IDENTIFIERS['card']} 여권 {IDENTIFIERS['passport']} "
    f"면허 {IDENTIFIERS['driver_license']} 감사합니다^^"
)


def test_a_note_with_every_kind_reaches_the_seller_redacted(
    api: httpx.Client,
    live_server,  # type: ignore[no-untyped-def]
) -> None:
    assert set(IDENTIFIERS) == set(KINDS)
    terms = publish_terms(api)
    seller = new_seller(api, live_server.url, "CN", accept=terms)
    subject_id = new_subject(api)
    consent(api, subject_id, seller)
    order_id = new_order(api, subject_id, seller, note=NOTE)
    decided = api.post(
        f"/v1/orders/{order_id}/transfers", json={"purpose": "fulfilment", "flow": "provision"}
    )
    assert decided.status_code == 201, decided.text
    assert "delivery_note" in decided.json()["fields"]

    try:
        view = seller.client.get(f"/v1/recipient/transfers/{decided.json()['transfer_id']}")
    finally:
        seller.client.close()
    assert view.status_code == 200, view.text
    note = view.json()["recipient_fields"]["delivery_note"]
    for kind, identifier in IDENTIFIERS.items():
        assert identifier not in note, kind
        assert PII_TOKENS[kind] in note, kind
    for kept in ("주문번호 20261129-0001234", "공동현관 비번 #1234*", "래미안 101동 1203호"):
        assert kept in note
    assert note.startswith("주문번호 20261129-0001234 문앞에 놔주세요ㅎㅎ")
    assert note.endswith("감사합니다^^")
