"""POST /v1/redact over HTTP: every identifier replaced, the rest kept, bad input refused."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from gatehouse.api.redact import MAX_REDACT_CHARS
from tests.conftest import Fresh
from tests.support.server import operator_api

PATH = "/v1/redact"

# One of each kind, in the forms buyers type them, around an order number that must stay.
NOTE = (
    "주문번호 20261129-0001234 건이요 ㅠㅠ 연락처 ０１０ㅡ２３４５ㅡ６７８９, "
    "메일은 buyer.kim@kakao.com으로 주세요. 통관부호 P 1234 5678 9012, "
    "환불은 카뱅 3333-01-1234567로 부탁드려요"
)


@pytest.fixture
def client(fresh: Fresh) -> Iterator[tuple[str, httpx.Client]]:
    with operator_api(fresh.gatehouse) as (server, api):
        yield server.url, api


def test_each_identifier_is_replaced_and_the_rest_kept(client: tuple[str, httpx.Client]) -> None:
    _, api = client
    response = api.post(PATH, json={"text": NOTE})
    assert response.status_code == 200, response.text
    body = response.json()
    assert {span["type"] for span in body["spans"]} == {
        "phone",
        "email",
        "customs_code",
        "bank_account",
    }
    text = body["text"]
    for token in ("[전화번호]", "[이메일]", "[통관부호]", "[계좌번호]"):
        assert token in text
    for gone in ("２３４５", "buyer.kim", "5678 9012", "1234567로"):
        assert gone not in text
    assert "주문번호 20261129-0001234 건이요 ㅠㅠ" in text
    assert text.endswith("으로 주세요. 통관부호 [통관부호], 환불은 카뱅 [계좌번호]로 부탁드려요")
    # The spans point into the text as sent, and each names what replaced it.
    for span in body["spans"]:
        original = NOTE[span["start"] : span["end"]]
        assert original and original not in text
        assert span["token"] in text
    assert [s["start"] for s in body["spans"]] == sorted(s["start"] for s in body["spans"])


def test_a_note_without_identifiers_comes_back_unchanged(
    client: tuple[str, httpx.Client],
) -> None:
    _, api = client
    note = "CJ대한통운 송장 612345678901, 공동현관 비번 #1234* 101동 1203호 문앞에 놔주세요 ^^"
    body = api.post(PATH, json={"text": note}).json()
    assert body == {"text": note, "spans": []}


def test_bad_requests_get_the_error_shape(client: tuple[str, httpx.Client]) -> None:
    url, api = client
    too_long = api.post(PATH, json={"text": "가" * (MAX_REDACT_CHARS + 1)})
    assert too_long.status_code == 422
    assert too_long.json()["error"]["code"]
    for body in ({"text": 12345}, {}, {"text": "x", "extra": 1}):
        answer = api.post(PATH, json=body)
        assert answer.status_code == 422, body
        assert set(answer.json()["error"]) >= {"code", "message"}
    malformed = api.post(PATH, content=b'{"text": ', headers={"content-type": "application/json"})
    assert malformed.status_code in (400, 422)
    assert "error" in malformed.json()
    anonymous = httpx.post(f"{url}{PATH}", json={"text": NOTE})
    assert anonymous.status_code == 401
    assert "error" in anonymous.json()
