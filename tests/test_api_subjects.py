"""The subject registry over HTTP: validation, vault-only storage, masked reads, lookups."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from gatehouse.services.runtime import Gatehouse
from gatehouse.store.tables import pii_fields, pii_reads
from tests.support.factories import subject_body


@pytest.mark.parametrize(
    "phone",
    ["010-2345-6789", "01023456789", "010 2345 6789", "+82 10-2345-6789", "+821023456789"],
)
def test_korean_mobile_in_any_spelling_is_stored_as_e164(api: httpx.Client, phone: str) -> None:
    created = api.post("/v1/subjects", json=subject_body(phone=phone))
    assert created.status_code == 201, created.text
    subject_id = created.json()["id"]
    unmasked = api.get(
        f"/v1/subjects/{subject_id}", params={"reason": "verifying phone normalisation"}
    )
    assert unmasked.json()["pii"]["phone"] == "+821023456789"


def test_get_is_masked_by_default(api: httpx.Client) -> None:
    body = subject_body(name="홍길동", phone="010-1234-5678")
    subject_id = api.post("/v1/subjects", json=body).json()["id"]
    shown = api.get(f"/v1/subjects/{subject_id}").json()
    assert shown["masked"] is True
    assert shown["pii"]["name"] == "홍*동"
    assert shown["pii"]["phone"] == "010-****-5678"
    assert body["email"] not in str(shown)
    assert body["customs_code"] not in str(shown)


def test_unmasked_read_needs_reason_and_is_recorded(
    api: httpx.Client, gatehouse: Gatehouse
) -> None:
    body = subject_body()
    subject_id = api.post("/v1/subjects", json=body).json()["id"]
    too_short = api.get(f"/v1/subjects/{subject_id}", params={"reason": "x"})
    assert too_short.status_code == 422
    assert too_short.json()["error"]["code"] == "reason_required"
    reason = "customer service ticket CS-1182"
    shown = api.get(f"/v1/subjects/{subject_id}", params={"reason": reason}).json()
    assert shown["masked"] is False
    assert shown["pii"]["email"] == body["email"]
    assert shown["pii"]["customs_code"] == body["customs_code"]
    with gatehouse.engine.connect() as connection:
        reads = connection.execute(
            select(pii_reads).where(pii_reads.c.subject_id == subject_id)
        ).all()
    assert len(reads) == 1
    assert reads[0].reason == reason
    assert "email" in reads[0].fields


def test_pii_is_stored_only_as_ciphertext(api: httpx.Client, gatehouse: Gatehouse) -> None:
    body = subject_body()
    subject_id = api.post("/v1/subjects", json=body).json()["id"]
    with gatehouse.engine.connect() as connection:
        blobs = connection.execute(
            select(pii_fields.c.field, pii_fields.c.ciphertext).where(
                pii_fields.c.subject_id == subject_id
            )
        ).all()
    fields = {row.field for row in blobs}
    assert {"name", "email", "phone", "customs_code", "address_line1"} <= fields
    for row in blobs:
        assert body["email"].encode() not in row.ciphertext
        assert "홍길동".encode() not in row.ciphertext


def test_lookup_by_blind_index(api: httpx.Client) -> None:
    body = subject_body(phone="010-7777-1234")
    subject_id = api.post("/v1/subjects", json=body).json()["id"]
    by_email = api.get("/v1/subjects", params={"email": body["email"].upper()}).json()
    assert [item["id"] for item in by_email["items"]] == [subject_id]
    by_phone = api.get("/v1/subjects", params={"phone": "01077771234"}).json()
    assert subject_id in [item["id"] for item in by_phone["items"]]
    by_ref = api.get("/v1/subjects", params={"external_ref": body["external_ref"]}).json()
    assert [item["id"] for item in by_ref["items"]] == [subject_id]
    none = api.get("/v1/subjects", params={"email": "nobody@example.kr"}).json()
    assert none["items"] == []
    both = api.get("/v1/subjects", params={"email": body["email"], "phone": "01077771234"})
    assert both.status_code == 422 and both.json()["error"]["code"] == "one_lookup_key"


def test_duplicate_external_ref_is_409(api: httpx.Client) -> None:
    body = subject_body()
    assert api.post("/v1/subjects", json=body).status_code == 201
    again = api.post("/v1/subjects", json=subject_body(external_ref=body["external_ref"]))
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "duplicate_subject"


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ({"phone": "02-123-4567"}, "invalid_phone"),
        ({"phone": "010-1234-567"}, "invalid_phone"),
        ({"email": "gildong@"}, "invalid_email"),
        ({"customs_code": "P12345"}, "invalid_customs_code"),
        ({"customs_code": "X123456789012"}, "invalid_customs_code"),
        ({"residence_country": "ZZ"}, "invalid_country"),
        ({"residence_country": "FR"}, "unsupported_jurisdiction"),
        ({"locale": "klingon-XX-1"}, "invalid_locale"),
        ({"name": "   "}, "invalid_name"),
        (
            {"address": {"postal_code": "1234", "line1": "서울특별시 강남구 테헤란로 152"}},
            "invalid_postal_code",
        ),
        (
            {"address": {"postal_code": "06236", "line1": "서울 강남구 역삼동 123-4"}},
            "invalid_address",
        ),
    ],
)
def test_invalid_subject_fields(api: httpx.Client, override: dict[str, object], code: str) -> None:
    response = api.post("/v1/subjects", json=subject_body(**override))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == code
