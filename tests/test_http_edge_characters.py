"""NUL, control characters and lone surrogates are refused at the edge, 422, for any caller."""

from __future__ import annotations

import httpx
import pytest

from gatehouse.http.characters import has_forbidden_text

JSON = {"Content-Type": "application/json"}


def _refused(answer: httpx.Response, where: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "invalid_character"
    assert answer.json()["error"]["details"] == {"location": where}
    assert answer.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "body",
    [
        b'{"kind": "seller", "legal_name": "a\\u0000b"}',
        b'{"kind": "seller", "legal_name": "a\x00b"}',
        b'{"kind": "seller", "leg\\u0000al": "x"}',
        b'{"kind": "seller", "privacy_officer": {"name": ["x", {"y": "\\u001b"}]}}',
        b'{"kind": "seller", "legal_name": "a\\ud800b"}',
        b'{"kind": "seller", "legal_name": "a\\udc00b"}',
        b'{"kind": "seller", "legal_name": "\\ud83d"}',
    ],
)
def test_json_bodies_with_nul_controls_or_lone_surrogates_are_refused(
    api: httpx.Client, body: bytes
) -> None:
    _refused(api.post("/v1/recipients", content=body, headers=JSON), "body")


def test_a_surrogate_pair_and_an_escaped_backslash_pass(api: httpx.Client) -> None:
    pair = api.post(
        "/v1/recipients",
        content=b'{"kind": "seller", "legal_name": "Mug \\ud83d\\ude00 Co \\\\u0000"}',
        headers=JSON,
    )
    assert pair.status_code == 201, pair.text
    assert pair.json()["legal_name"] == "Mug \U0001f600 Co \\u0000"
    reason = {"reason": "line one\n\tline two\r\n"}
    tabs = api.post(f"/v1/recipients/{pair.json()['id']}/suspend", json=reason)
    assert tabs.status_code == 200, tabs.text


@pytest.mark.parametrize("value", ["a\x00b", "a\x01", "\t", "\n", "\x1f"])
def test_query_strings_with_controls_are_refused_without_credentials_too(
    api: httpx.Client, anonymous: httpx.Client, value: str
) -> None:
    for client in (api, anonymous):
        _refused(client.get("/v1/recipients", params={"country": value}), "query")
    _refused(anonymous.get("/privacy-policy", params={"lang": value}), "query")


@pytest.mark.parametrize("segment", ["a%00b", "%00", "%0a", "x%1F"])
def test_path_parameters_with_controls_are_refused_on_every_kind_of_route(
    api: httpx.Client, anonymous: httpx.Client, segment: str
) -> None:
    _refused(api.get(f"/v1/recipients/{segment}"), "path")
    _refused(anonymous.get(f"/recipient/transfers/{segment}"), "path")
    _refused(anonymous.get(f"/no-such-route/{segment}"), "path")


def test_form_bodies_with_nul_are_refused_and_newlines_pass(anonymous: httpx.Client) -> None:
    _refused(anonymous.post("/console/login", data={"api_key": "a\x00", "nonce": "n"}), "body")
    lines = anonymous.post("/console/login", data={"api_key": "a\r\n\tb", "nonce": "n"})
    assert lines.status_code != 422 and lines.status_code < 500


def test_the_check_walks_keys_and_values_at_any_depth() -> None:
    assert has_forbidden_text({"a": [{"b": "c\x00"}]})
    assert has_forbidden_text({"k\x07": 1})
    assert has_forbidden_text(["\udfff"])
    assert not has_forbidden_text({"a": ["tab\there", "nl\n", 1, None, True, "\U0001f600"]})
