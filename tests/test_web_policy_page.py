"""The public privacy-policy page over real HTTP, on each backend: no sign-in, Korean and English,
every section, the register (search, paging, countries), versions that keep their content,
the announcement banner, bad parameters as 4xx pages, and the privacy center's links to it."""

from __future__ import annotations

import html
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.conftest import Fresh
from tests.support.operator_profiles import AGENT, profile_body
from tests.support.register_rows import RegisterRows
from tests.support.server import api_client, operator_api
from tests.test_web_portal import PortalClient, hidden
from tests.test_web_privacy import new_person, signed_in

PUBLISH = "/v1/privacy-policy/publish"
ENTRY = re.compile(r'<tr class="entry" data-recipient-id="([^"]+)" data-country="([A-Z]*)">')
NEXT = re.compile(r'<a id="register-next" href="([^"]+)" rel="next">')
MATCHED = re.compile(r'<p id="register-matched" role="status" data-matched="(\d+)">')
REMEDY_PHONES = ("118", "1833-6972", "1301", "182")


@dataclass
class World:
    fresh: Fresh
    api: httpx.Client
    public: httpx.Client
    rows: RegisterRows
    ids: dict[str, str]


@pytest.fixture
def world(fresh: Fresh) -> Iterator[World]:
    rows = RegisterRows(fresh.gatehouse.engine)
    ids = {
        "alpha": rows.recipient("Alpha Trading Co", country="CN"),
        "beta": rows.recipient("Beta Cold Storage Pte. Ltd.", country="SG", kind="storage"),
        "gamma": rows.recipient("Gamma LLC", country="US"),
        "home": rows.recipient("Home Logistics Co", country="KR", kind="logistics"),
    }
    # More sellers than one small page holds, in three countries.
    for n in range(9):
        ids[f"seller{n}"] = rows.recipient(f"Seller {n:02d} Ltd", country=("CN", "US", "JP")[n % 3])
    rows.transfer(ids["alpha"], datetime(2026, 6, 1, 12, tzinfo=UTC))
    with operator_api(fresh.gatehouse) as (server, api):
        assert api.put("/v1/operator/profile", json=profile_body()).status_code == 200
        # No credentials: the page is public.
        with api_client(server.url) as public:
            yield World(fresh, api, public, rows, ids)


def _publish(api: httpx.Client) -> dict[str, Any]:
    response = api.post(PUBLISH)
    assert response.status_code == 200, response.text
    version: dict[str, Any] = response.json()["version"]
    return version


def _page(client: httpx.Client, path: str = "/privacy-policy", **params: Any) -> str:
    # httpx would drop the query of ``path`` for any params, even none.
    response = client.get(path, params=params) if params else client.get(path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/html")
    return response.text


def _entries(page: str) -> list[tuple[str, str]]:
    return ENTRY.findall(page)


def _walk(client: httpx.Client, first: str) -> tuple[Counter[str], list[str]]:
    """Follow the next-page links from ``first``: each recipient shown, and the links."""
    seen: Counter[str] = Counter()
    links = [first]
    page = _page(client, first)
    while True:
        seen.update(rid for rid, _ in _entries(page))
        found = NEXT.search(page)
        if found is None:
            return seen, links
        links.append(html.unescape(found.group(1)).split("#", 1)[0])
        page = _page(client, links[-1])


def _api_register(client: httpx.Client, **params: Any) -> set[str]:
    ids: set[str] = set()
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        body = client.get("/v1/privacy-policy/register", params=query).json()
        ids |= {item["recipient_id"] for item in body["items"]}
        cursor = body["next_cursor"]
        if cursor is None:
            return ids


def test_before_publication_the_page_says_so_and_the_footer_links_to_it(fresh: Fresh) -> None:
    with operator_api(fresh.gatehouse) as (_, api):
        response = api.get("/privacy-policy")
        assert response.status_code == 404
        assert "<h1>개인정보 처리방침이 아직 공개되지 않았습니다</h1>" in response.text
        # The privacy center (here its signed-out page) links to the page all the same.
        center = api.get("/privacy")
        assert center.status_code == 401
        assert '<a id="policy-link" href="/privacy-policy">개인정보 처리방침</a>' in center.text


def test_the_page_shows_every_section_in_korean_without_signing_in(world: World) -> None:
    version = _publish(world.api)
    response = world.public.get("/privacy-policy")
    assert response.status_code == 200 and response.headers["content-language"] == "ko"
    assert "set-cookie" not in response.headers
    page = response.text
    assert '<html lang="ko">' in page and page.count("<h1>") == 1
    api = world.public.get("/v1/privacy-policy").json()
    for number, section in enumerate(api["sections"], start=1):
        assert f">{number}. {html.escape(section['heading'])}</h2>" in page
        if section["article"]:
            assert f"관련 조항: {html.escape(section['article'])}" in page
    assert "「개인정보 보호법」 제28조의8제2항" in page
    for phone in REMEDY_PHONES:
        assert f"<td>{phone}</td>" in page
    assert html.escape(AGENT["name"]) in page and AGENT["address"] in page
    assert "박지민" in page
    # The version: number, dates, hash, and its permanent address.
    assert '<dd id="version-number">1</dd>' in page
    assert version["content_hash"] in page and "2026년 11월 28일" in page
    assert '<a href="/privacy-policy/v/1" aria-current="page">버전 1</a>' in page
    # Column 0 of every table is a key for machines: never a cell.
    assert f'<th scope="row">{world.ids["beta"]}</th>' not in page
    assert '<th scope="row">orders</th>' not in page and "<td>orders</td>" not in page
    # The register, with downloads of this version in both formats.
    assert "/v1/privacy-policy/register?version=1&amp;locale=ko&amp;format=csv" in page
    assert "/v1/privacy-policy/register?version=1&amp;locale=ko&amp;format=json" in page
    csv = world.public.get("/v1/privacy-policy/register?version=1&format=csv")
    assert csv.status_code == 200 and "Gamma LLC" in csv.text


def test_the_page_in_english(world: World) -> None:
    _publish(world.api)
    response = world.public.get("/privacy-policy", params={"lang": "en"})
    assert response.status_code == 200 and response.headers["content-language"] == "en"
    page = response.text
    assert '<html lang="en">' in page and "<h1>Privacy policy</h1>" in page
    api = world.public.get("/v1/privacy-policy", params={"locale": "en"}).json()
    for number, section in enumerate(api["sections"], start=1):
        assert f">{number}. {html.escape(section['heading'])}</h2>" in page
    assert "Register of recipients abroad" in page and "This version is in force." in page
    for phone in REMEDY_PHONES:
        assert f"<td>{phone}</td>" in page
    assert "format=csv" in page and "locale=en" in page
    # The choice is remembered on this site's path only.
    cookie = response.headers["set-cookie"].lower()
    assert "gh_lang=en" in cookie and "path=/privacy-policy" in cookie


def test_search_finds_a_named_recipient(world: World) -> None:
    _publish(world.api)
    page = _page(world.public, q="gamma")
    assert _entries(page) == [(world.ids["gamma"], "US")]
    assert '<span class="entry-name">Gamma LLC</span>' in page
    matched = MATCHED.search(page)
    assert matched and matched.group(1) == "1"
    assert "조건에 맞는 이전받는 자: 1곳" in page
    assert 'value="gamma"' in page and 'id="clear-search"' in page
    nothing = _page(world.public, q="no such company")
    assert _entries(nothing) == [] and "조건에 맞는 이전받는 자가 없습니다." in nothing


def test_paging_by_the_next_link_walks_every_recipient_once(world: World) -> None:
    _publish(world.api)
    expected = _api_register(world.public)
    assert len(expected) == 12  # the home recipient is not abroad
    seen, links = _walk(world.public, "/privacy-policy?limit=5&lang=en")
    assert set(seen) == expected and set(seen.values()) == {1}
    assert len(links) == 3 and all("lang=en" in link and "limit=5" in link for link in links)
    last = _page(world.public, links[-1])
    assert 'id="register-first"' in last and 'id="register-next"' not in last
    # A search and a filter are kept from page to page.
    seen, links = _walk(world.public, "/privacy-policy?limit=1&country=US&q=seller")
    us_sellers = {world.ids[f"seller{n}"] for n in (1, 4, 7)}
    assert set(seen) == us_sellers and set(seen.values()) == {1}
    assert all("country=US" in link and "q=seller" in link for link in links[1:])


def test_the_country_list_counts_and_filters(world: World) -> None:
    _publish(world.api)
    page = _page(world.public)
    counts = dict(
        re.findall(
            r'<tr data-country="([A-Z]{2})">\s*<th scope="row"><a href="[^"]+">[^<]+</a></th>\s*'
            r'<td class="recipients">(\d+)</td>',
            page,
        )
    )
    assert counts == {"CN": "4", "JP": "3", "SG": "1", "US": "4"}
    link = re.search(r'<a href="([^"]+)">중국 \(CN\)</a>', page)
    assert link
    filtered = _page(world.public, html.unescape(link.group(1)).split("#", 1)[0])
    shown = _entries(filtered)
    assert {country for _, country in shown} == {"CN"} and len(shown) == 4
    assert 'id="all-countries"' in filtered
    assert '<a href="/privacy-policy?country=CN&amp;lang=ko#register" aria-current="true">' in (
        filtered
    )


def test_an_old_version_keeps_its_content_at_its_permanent_address(world: World) -> None:
    first = _publish(world.api)
    changed = world.api.patch(
        f"/v1/recipients/{world.ids['gamma']}", json={"contact_email": "new@gamma.example.com"}
    )
    assert changed.status_code == 200, changed.text
    world.fresh.clock.advance(hours=1)
    second = _publish(world.api)
    assert second["version"] == 2
    old = _page(world.public, "/privacy-policy/v/1", q="gamma")
    row = old.split(f'data-recipient-id="{world.ids["gamma"]}"', 1)[1].split("</tr>", 1)[0]
    assert "privacy@example.cn" in row and "new@gamma.example.com" not in old
    assert first["content_hash"] in old and 'data-status="earlier"' in old
    assert '<a href="/privacy-policy/v/2">' in old
    new = _page(world.public, q="gamma")
    assert "new@gamma.example.com" in new and 'data-status="in_force"' in new
    assert '<dd id="version-number">2</dd>' in new
    # The change log: every version, each at its own address, with what changed.
    assert '<a href="/privacy-policy/v/2" aria-current="page">버전 2</a>' in new
    assert '<a href="/privacy-policy/v/1">버전 1</a>' in new
    assert "이전받는 자 목록: 1곳 변경" in new and "최초 제정" in new
    with operator_api(world.fresh.gatehouse) as (_, api):
        center = api.get("/privacy")
        assert '<a id="policy-link" href="/privacy-policy/v/2">' in center.text
        assert "개인정보 처리방침(버전 2)" in center.text


def test_an_announced_version_is_shown_in_a_banner_until_it_takes_effect(world: World) -> None:
    _publish(world.api)
    world.rows.recipient("Delta Fulfilment GmbH", country="DE", kind="logistics")
    announced = _publish(world.api)
    assert announced["material"] is True
    page = _page(world.public)
    banner = page.split('<section id="upcoming"', 1)[1].split("</section>", 1)[0]
    assert "버전 2 시행 예정" in banner and '<a href="/privacy-policy/v/2">' in banner
    assert "개인정보 처리업무의 위탁: 변경 (사전 고지 대상)" in banner
    assert '<dd id="version-number">1</dd>' in page
    ahead = _page(world.public, "/privacy-policy/v/2")
    assert 'data-status="announced"' in ahead
    world.fresh.clock.advance(days=7, seconds=1)
    now = _page(world.public)
    assert 'id="upcoming"' not in now and '<dd id="version-number">2</dd>' in now


@pytest.mark.parametrize(
    ("path", "params", "status", "says"),
    [
        ("/privacy-policy", {"cursor": "bogus"}, 422, "페이지 링크가 올바르지 않습니다"),
        ("/privacy-policy", {"cursor": "p.WzFd"}, 422, "페이지 링크가 올바르지 않습니다"),
        ("/privacy-policy", {"country": "XX"}, 422, "두 글자 국가 코드"),
        ("/privacy-policy", {"country": "KOREA-SOUTH"}, 422, "두 글자 국가 코드"),
        ("/privacy-policy", {"q": "   "}, 422, "1자 이상 100자 이하"),
        ("/privacy-policy", {"q": "x" * 101}, 422, "1자 이상 100자 이하"),
        ("/privacy-policy", {"limit": "0"}, 422, "1곳부터 200곳까지"),
        ("/privacy-policy", {"limit": "many"}, 422, "1곳부터 200곳까지"),
        ("/privacy-policy/v/99", {}, 404, "이 주소에는 개인정보 처리방침이 없습니다"),
        ("/privacy-policy/v/abc", {}, 404, "이 주소에는 개인정보 처리방침이 없습니다"),
        ("/privacy-policy/v/0", {}, 404, "이 주소에는 개인정보 처리방침이 없습니다"),
        ("/privacy-policy/v/99999999999", {}, 404, "이 주소에는 개인정보 처리방침이 없습니다"),
        ("/privacy-policy/elsewhere", {}, 404, "이 주소에는 개인정보 처리방침이 없습니다"),
        ("/privacy-policy", {"cursor": "bogus", "lang": "en"}, 422, "This page link is not"),
    ],
)
def test_bad_parameters_are_4xx_pages(
    world: World, path: str, params: dict[str, str], status: int, says: str
) -> None:
    _publish(world.api)
    response = world.public.get(path, params=params)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert says in response.text and "Traceback" not in response.text
    assert response.text.count("<h1>") == 1


def test_the_deletion_receipt_links_to_the_version_in_force(fresh: Fresh) -> None:
    with operator_api(fresh.gatehouse) as (server, api):
        assert api.put("/v1/operator/profile", json=profile_body()).status_code == 200
        person = new_person(api, server.url, ("CN",))
        _publish(api)
        browser = PortalClient(server.url)
        try:
            home = signed_in(browser, person)
            assert '<a id="policy-link" href="/privacy-policy/v/1">' in home
            confirm = browser.get("/privacy/delete").text
            deleted = browser.post(
                "/privacy/delete", data={"csrf_token": hidden(confirm, "csrf_token")}
            )
            assert deleted.status_code == 200
            receipt = deleted.text.split('<p id="receipt-policy">', 1)[1].split("</p>", 1)[0]
            assert '<a href="/privacy-policy/v/1">개인정보 처리방침(버전 1)</a>' in receipt
        finally:
            browser.close()
            for seller in person.sellers:
                seller.client.close()


ENTRUSTEE_ROW = re.compile(r'<tr>\s*<th scope="row">([^<]+)</th>')


def _entrustee_names(page: str, section: str) -> list[str]:
    start = page.index(f'id="{section}-entrustees"')
    return ENTRUSTEE_ROW.findall(page[start : page.index("</table>", start)])


def test_entrustee_tables_show_a_page_its_total_and_a_link_to_the_next(world: World) -> None:
    names = [f"Parcel {n:02d} GmbH" for n in range(25)]
    for name in reversed(names):
        world.rows.recipient(name, country="DE", kind="logistics")
    _publish(world.api)
    page = _page(world.public, lang="en")
    shown = re.search(r'id="overseas_transfer-shown" role="status" data-total="(\d+)"', page)
    # Beta Cold Storage abroad as well; Home Logistics is at home, in entrustment only.
    assert shown is not None and shown.group(1) == "26"
    first = _entrustee_names(page, "overseas_transfer")
    assert first == ["Beta Cold Storage Pte. Ltd."] + names[:19]
    assert "Entrustees on this page: 20 of 26." in page
    link = re.search(r'<a id="overseas_transfer-next" href="([^"]+)" rel="next">', page)
    assert link is not None
    second = _page(world.public, html.unescape(link.group(1)).split("#")[0])
    assert _entrustee_names(second, "overseas_transfer") == names[19:]
    assert 'id="overseas_transfer-next"' not in second
    assert 'id="overseas_transfer-first"' in second
    # The other table keeps its first page.
    assert _entrustee_names(second, "entrustment")[0] == "Beta Cold Storage Pte. Ltd."
    found = _page(world.public, table="entrustment", tq="parcel 07", lang="ko")
    assert _entrustee_names(found, "entrustment") == ["Parcel 07 GmbH"]
    assert "수탁자 명칭" in found and "「개인정보 보호법」 제26조제2항" in found
    bad = world.public.get("/privacy-policy", params={"table": "remedies", "lang": "en"})
    assert bad.status_code == 422
    assert "does not name a table of the privacy policy" in bad.text
