"""Dates and times are ISO 8601 strings only: a number is never read as a Unix timestamp."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest
from pydantic import TypeAdapter, ValidationError

from gatehouse.http.dates import IsoDate, IsoDateTime
from tests.support.factories import recipient_body

DATES = TypeAdapter(IsoDate)
TIMES = TypeAdapter(IsoDateTime)


@pytest.mark.parametrize(
    "value", [0, 0.5, "0", "0.5", "1700000000", "2026-1-1", "2026-02-30", "20260101", True]
)
def test_a_date_is_yyyy_mm_dd_only(value: object) -> None:
    with pytest.raises(ValidationError):
        DATES.validate_python(value)


def test_a_valid_date_and_a_date_object_pass() -> None:
    assert DATES.validate_python("2026-02-28") == date(2026, 2, 28)
    assert DATES.validate_python(date(2026, 2, 28)) == date(2026, 2, 28)


@pytest.mark.parametrize(
    "value",
    [0, 0.5, "0.5", "1700000000", "2026-01-01", "2026-01-01T00:00:00", "2026-01-01 00:00Z", ""],
)
def test_a_datetime_is_iso_with_an_offset_only(value: object) -> None:
    with pytest.raises(ValidationError):
        TIMES.validate_python(value)


@pytest.mark.parametrize(
    "value", ["2026-01-01T09:30:00+00:00", "2026-01-01T09:30Z", "2026-01-01T18:30:00.123+09:00"]
)
def test_iso_datetimes_with_an_offset_pass(value: str) -> None:
    parsed = TIMES.validate_python(value)
    assert parsed.tzinfo is not None
    assert parsed.astimezone(UTC).date() == date(2026, 1, 1)
    assert TIMES.validate_python(datetime(2026, 1, 1, tzinfo=UTC)).year == 2026


@pytest.mark.parametrize("since", ["0.5", "0", "1700000000", "2026-01-01T00:00:00"])
def test_query_datetimes_are_strict(api: httpx.Client, since: str) -> None:
    answer = api.get("/v1/transfers", params={"since": since})
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["details"][0]["field"] == "query.since"
    due = api.get("/v1/requests", params={"due_before": since})
    assert due.status_code == 422, due.text


def test_query_dates_are_strict(api: httpx.Client) -> None:
    assert api.get("/v1/audit", params={"from": "0", "to": "1"}).status_code == 422
    assert api.get("/v1/disclosures/overseas", params={"from": "0.5"}).status_code == 422
    assert api.get("/v1/transfers", params={"since": "2026-01-01T00:00:00Z"}).status_code == 200
    fine = api.get("/v1/disclosures/overseas", params={"from": "2026-01-01", "to": "2026-01-31"})
    assert fine.status_code == 200, fine.text


@pytest.mark.parametrize("expires_on", [0, 1.5, "0", "1700000000", "2027-13-01", None])
def test_body_dates_are_strict(api: httpx.Client, expires_on: object) -> None:
    certification = {"scheme": "ISO27001", "id": "C-1", "expires_on": expires_on}
    answer = api.post("/v1/recipients", json=recipient_body(certifications=[certification]))
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "validation_error"


def test_body_datetimes_are_strict(api: httpx.Client) -> None:
    incident = {
        "discovered_at": 0,
        "kind": "unauthorised_access",
        "description": "a seller's account was used from elsewhere",
        "scope": {},
    }
    assert api.post("/v1/incidents", json=incident).status_code == 422
    naive = {**incident, "discovered_at": "2026-11-28T09:00:00"}
    assert api.post("/v1/incidents", json=naive).status_code == 422
