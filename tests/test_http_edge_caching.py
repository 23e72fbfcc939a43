"""``Cache-Control: no-store`` on every answer of every route that is not public."""

from __future__ import annotations

from gatehouse.http.caching import PUBLIC_ROUTES, is_public
from gatehouse.web import STATIC_DIR
from tests.conftest import Fresh
from tests.test_http_edge_routes import RENDERING, audience_of, build_world, endpoints

# Answers that must come back successful, so the rule is seen on real personal data.
PERSONAL = {
    ("GET", "/v1/me"),
    ("GET", "/v1/me/transfers"),
    ("GET", "/v1/subjects/{subject_id}"),
    ("GET", "/v1/recipient/transfers"),
    ("GET", "/recipient"),
    ("GET", "/privacy"),
    ("GET", "/console"),
}


def test_every_answer_that_is_not_public_is_no_store(fresh: Fresh) -> None:
    for world in build_world(fresh):
        walked = endpoints(world.app, world.ids)
        # First the personal reads, successful, before the walk spends the sessions.
        for endpoint in walked:
            if (endpoint.method, endpoint.template) in PERSONAL:
                who = audience_of(endpoint.template)
                answer = endpoint.send(world.client, world.credentials[who], query={})
                assert answer.status_code == 200, (endpoint.template, answer.text[:200])
                assert answer.headers["cache-control"] == "no-store", endpoint.template
        problems: list[str] = []
        for endpoint in walked:
            # Without a credential (an error, which may quote what was asked), then with one;
            # the audit reports' own tests see their no-store, and each takes seconds to render.
            rendering = endpoint.template in RENDERING
            for who in ("none",) if rendering else ("none", audience_of(endpoint.template)):
                answer = endpoint.send(world.client, world.credentials[who])
                public = is_public(endpoint.method, endpoint.template, answer.status_code)
                if not public and answer.headers.get("cache-control") != "no-store":
                    problems.append(
                        f"{endpoint.method} {endpoint.template} as {who}: "
                        f"{answer.status_code} {answer.headers.get('cache-control')!r}"
                    )
        assert problems == [], "\n".join(problems)


def test_public_documents_keep_their_own_caching(fresh: Fresh) -> None:
    for world in build_world(fresh):
        asset = next(p.name for p in sorted(STATIC_DIR.iterdir()) if p.is_file())
        static = world.client.get(f"/static/{asset}")
        assert static.status_code == 200
        assert "no-store" not in static.headers.get("cache-control", "")
        missing = world.client.get("/static/no-such-file.css")
        assert missing.status_code == 404
        assert missing.headers["cache-control"] == "no-store"


def test_the_public_routes_exist_and_hold_no_personal_area() -> None:
    assert "/static/{path}" in PUBLIC_ROUTES
    assert not any(
        route.startswith(("/v1/me", "/privacy/", "/recipient", "/console"))
        or route in ("/privacy",)
        for route in PUBLIC_ROUTES
    )
    assert not is_public("POST", "/v1/privacy-policy", 200)
    assert not is_public("GET", "/v1/privacy-policy", 404)
    assert is_public("GET", "/.well-known/gatehouse/checkpoint", 200)
