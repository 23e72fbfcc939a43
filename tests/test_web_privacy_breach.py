"""A breach notice in the privacy center, on each backend: once the operator has sent the
notice of a breach that reached a customer, the customer's home page repeats it with its
five items; a customer the breach did not reach sees none, and nothing shows before it is sent."""

from __future__ import annotations

from datetime import timedelta

import httpx

from gatehouse.domain.policy.breach import NOTICE_ITEMS
from tests.conftest import Fresh
from tests.support.operator_profiles import profile_body
from tests.support.server import operator_api
from tests.test_web_portal import PortalClient
from tests.test_web_privacy import Person, new_link, new_person, signed_in

SELF_HELP = "주문을 사칭한 전화·문자에 주의하십시오."
MEASURES = "해당 판매자의 접근을 중지하고 사본 삭제를 확인하였습니다."


def test_the_customer_reached_by_a_breach_sees_its_notice_once_sent(fresh: Fresh) -> None:
    with operator_api(fresh.gatehouse) as (server, api):
        assert api.put("/v1/operator/profile", json=profile_body()).status_code == 200
        reached = new_person(api, server.url, ("CN",))
        spared = new_person(api, server.url, ("JP",))
        try:
            _breach_at_the_first_seller(fresh, server.url, api, reached, spared)
        finally:
            for person in (reached, spared):
                for seller in person.sellers:
                    seller.client.close()


def _breach_at_the_first_seller(
    fresh: Fresh, url: str, api: httpx.Client, reached: Person, spared: Person
) -> None:
    # The breach is found an hour after the orders: their views were open in its window.
    fresh.clock.advance(hours=2)
    reached.link = new_link(api, reached.subject_id)
    seller = reached.sellers[0]
    opened = api.post(
        "/v1/incidents",
        json={
            "discovered_at": (fresh.clock() - timedelta(hours=1)).isoformat(),
            "kind": "recipient_breach",
            "description": "판매자의 주문 내보내기 파일이 외부에 노출되었습니다.",
            "scope": {"recipient_id": seller.id},
            "self_protection": SELF_HELP,
            "countermeasures": MEASURES,
        },
    )
    assert opened.status_code == 201, opened.text
    assert opened.json()["affected_subjects"] == 1
    incident = opened.json()["id"]
    marker = f'id="breach-{incident}"'

    browser = PortalClient(url)
    try:
        assert marker not in signed_in(browser, reached), "shown before it was sent"
        sent = api.post(f"/v1/incidents/{incident}/steps", json={"step": "subjects_notified"})
        assert sent.status_code == 200, sent.text
        page = browser.get("/privacy")
        assert page.status_code == 200 and marker in page.text
        notice = page.text.split(marker, 1)[1].split("</section>", 1)[0]
        for item in NOTICE_ITEMS:
            assert f'data-item="{item}"' in notice, item
        assert SELF_HELP in notice and MEASURES in notice
        assert "「개인정보 보호법」 제34조" in page.text
        english = browser.get("/privacy?lang=en")
        assert marker in english.text and 'lang="en"' in english.text
    finally:
        browser.close()

    other = PortalClient(url)
    try:
        spared.link = new_link(api, spared.subject_id)
        assert marker not in signed_in(other, spared)
    finally:
        other.close()
