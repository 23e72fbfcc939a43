"""The overseas-transfer register over HTTP, on each backend: who is listed, who is labelled as
having received data, paging by cursor, search, counts by country, CSV, and bad parameters."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.conftest import Fresh
from tests.support.register_rows import RegisterRows
from tests.support.server import operator_api

FILLERS = 23


@dataclass
class Register:
    api: httpx.Client
    ids: dict[str, str]
    listed: set[str]
    received: dict[str, int]


def _at(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, 12, tzinfo=UTC)


@pytest.fixture
def register(fresh: Fresh) -> Iterator[Register]:
    """Recipients with transfers in the default period (the 12 months to the test clock's
    2026-11-28), only before it, refused only, never, suspended, and at home."""
    rows = RegisterRows(fresh.gatehouse.engine)
    ids = {
        "alpha": rows.recipient("Alpha Trading Co", country="CN"),
        "beta": rows.recipient("Beta Logistics KK", country="JP", kind="logistics"),
        "gamma": rows.recipient("Gamma LLC", country="US"),
        "delta": rows.recipient("Delta Ltd", country="HK", retention_days=None),
        "epsilon": rows.recipient("Epsilon Shop", country="CN", status="suspended"),
        "zeta": rows.recipient("Zeta Store", country="CN", status="suspended"),
        "eta": rows.recipient("Eta 100% Goods", country="US"),
        "home": rows.recipient("Home Co", country="KR"),
    }
    rows.transfer(ids["alpha"], _at(2026, 6, 1))
    rows.transfer(ids["alpha"], _at(2026, 10, 1))
    rows.transfer(ids["beta"], _at(2026, 3, 1))
    rows.transfer(ids["beta"], _at(2026, 3, 2), allowed=False)
    rows.transfer(ids["gamma"], _at(2024, 1, 1))
    rows.transfer(ids["epsilon"], _at(2026, 11, 1))
    rows.transfer(ids["zeta"], _at(2024, 6, 1))
    rows.transfer(ids["eta"], _at(2026, 5, 1), allowed=False)
    # After the period's end: the test clock has not reached it.
    rows.transfer(ids["delta"], _at(2026, 12, 1))
    for n in range(FILLERS):
        ids[f"filler{n}"] = rows.recipient(f"Filler {n:02d} GmbH", country="DE")
    listed = {rid for key, rid in ids.items() if key not in ("zeta", "home")}
    received = {ids["alpha"]: 2, ids["beta"]: 1, ids["epsilon"]: 1}
    with operator_api(fresh.gatehouse) as (_, api):
        yield Register(api, ids, listed, received)


def _walk(api: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = api.get("/v1/disclosures/overseas", params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= params.get("limit", 50)
        entries.extend(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return entries


def test_lists_exactly_the_recipients_abroad_and_labels_only_those_that_received(
    register: Register,
) -> None:
    entries = _walk(register.api, limit=7)
    ids = [e["recipient_id"] for e in entries]
    assert len(ids) == len(set(ids)), "a recipient came twice across pages"
    assert set(ids) == register.listed
    for entry in entries:
        rid = entry["recipient_id"]
        assert entry["received"] is (rid in register.received), entry["legal_name"]
        assert entry["transfers"] == register.received.get(rid, 0)


def test_every_entry_carries_the_required_items(register: Register) -> None:
    body = register.api.get("/v1/disclosures/overseas", params={"locale": "en"}).json()
    assert body["locale"] == "en"
    beta = next(e for e in body["items"] if e["recipient_id"] == register.ids["beta"])
    assert beta["legal_name"] == "Beta Logistics KK"
    assert beta["country"] == {"code": "JP", "name": "Japan"}
    assert beta["contact"]["email"] == "privacy@example.cn"
    assert beta["privacy_officer"]["name"] == "Li Wei"
    assert beta["kind"] == "logistics" and beta["kind_label"]
    assert beta["items"] and beta["purposes"] and beta["flows"]
    assert beta["timing"] and beta["method"] and beta["refusal"]
    assert beta["retention"] == "90 days"
    delta = next(e for e in body["items"] if e["recipient_id"] == register.ids["delta"])
    assert delta["retention"] is None and delta["received"] is False
    korean = register.api.get("/v1/disclosures/overseas").json()
    assert korean["locale"] == "ko"
    assert {e["country"]["name"] for e in korean["items"] if e["country"]["code"] == "JP"} == {
        "일본"
    }


def test_an_earlier_period_labels_the_earlier_recipients(register: Register) -> None:
    entries = _walk(register.api, **{"from": "2024-01-01", "to": "2024-12-31"})
    received = {e["recipient_id"] for e in entries if e["received"]}
    assert received == {register.ids["gamma"], register.ids["zeta"]}
    listed = {e["recipient_id"] for e in entries}
    # Suspended: listed for the period it received data in, and not for another.
    assert register.ids["zeta"] in listed and register.ids["epsilon"] not in listed


def test_search_is_a_case_insensitive_substring_and_wildcards_are_literal(
    register: Register,
) -> None:
    found = _walk(register.api, q="bETA log")
    assert [e["recipient_id"] for e in found] == [register.ids["beta"]]
    assert [e["recipient_id"] for e in _walk(register.api, q="100%")] == [register.ids["eta"]]
    assert [e["recipient_id"] for e in _walk(register.api, q="%")] == [register.ids["eta"]]
    assert _walk(register.api, q="_") == []
    assert len(_walk(register.api, q="filler", limit=5)) == FILLERS
    by_country = _walk(register.api, country="us")
    assert {e["recipient_id"] for e in by_country} == {register.ids["gamma"], register.ids["eta"]}


def test_counts_by_country(register: Register) -> None:
    response = register.api.get("/v1/disclosures/overseas/countries", params={"locale": "en"})
    assert response.status_code == 200, response.text
    counts = {c["code"]: (c["recipients"], c["received"]) for c in response.json()["countries"]}
    assert counts == {"CN": (2, 2), "DE": (FILLERS, 0), "HK": (1, 0), "JP": (1, 1), "US": (2, 0)}


def test_csv_parses_back_to_the_same_rows(register: Register) -> None:
    response = register.api.get("/v1/disclosures/overseas", params={"format": "csv"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    entries = _walk(register.api, limit=200)
    assert [r["recipient_id"] for r in rows] == [e["recipient_id"] for e in entries]
    for row, entry in zip(rows, entries, strict=True):
        assert row["legal_name"] == entry["legal_name"]
        assert row["country"] == entry["country"]["code"]
        assert row["received"] == ("yes" if entry["received"] else "no")
        assert int(row["transfers"]) == entry["transfers"]
        assert row["items"] == "; ".join(entry["items"])


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"cursor": "bogus"}, "invalid_cursor"),
        ({"cursor": "bogus", "format": "csv"}, "invalid_cursor"),
        ({"limit": "0"}, "validation_error"),
        ({"limit": "201"}, "validation_error"),
        ({"from": "2026-05-01", "to": "2026-04-01"}, "invalid_period"),
        ({"from": "yesterday"}, "validation_error"),
        ({"locale": "fr"}, "unsupported_locale"),
        ({"country": "XX"}, "invalid_country"),
        ({"q": "   "}, "invalid_search"),
        ({"format": "html"}, "validation_error"),
    ],
)
def test_bad_parameters_are_a_422_with_a_code(
    register: Register, params: dict[str, str], code: str
) -> None:
    response = register.api.get("/v1/disclosures/overseas", params=params)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == code and error["message"]
    assert "details" in error
