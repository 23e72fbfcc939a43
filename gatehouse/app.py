"""The composition root: the API's routers and the pages, in one FastAPI application.

Only this module knows both ``gatehouse.api`` and ``gatehouse.web``; they share nothing but
``gatehouse.http``.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from gatehouse import __version__
from gatehouse.api import (
    audit,
    customer,
    disclosures,
    gateway,
    incidents,
    ledger,
    operator,
    operator_profile,
    operator_webhook,
    outbox,
    penalty,
    privacy_policy,
    recipient,
    redact,
    requests,
    transfer_batch,
    webhooks,
)
from gatehouse.config import MAX_BODY_BYTES
from gatehouse.http.edge import install_edge
from gatehouse.http.errors import install_error_handlers
from gatehouse.http.method_not_allowed import install_method_not_allowed
from gatehouse.http.metrics import install_metrics
from gatehouse.http.openapi import install_openapi
from gatehouse.services.abuse import RateLimiter
from gatehouse.services.grouped_writes import DeletionGroups
from gatehouse.services.metrics import OperationsReadings
from gatehouse.services.readiness import readiness
from gatehouse.services.runtime import Gatehouse
from gatehouse.web import (
    STATIC_DIR,
    console,
    console_audit,
    console_operator,
    console_penalty,
    policy_page,
    portal,
    privacy,
)

__all__ = ["create_app"]


def create_app(gatehouse: Gatehouse) -> FastAPI:
    """Build the app around an opened Gatehouse."""
    app = FastAPI(
        title="Gatehouse",
        version=__version__,
        summary="Privacy gateway for cross-border marketplaces",
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.gatehouse = gatehouse
    # One limiter for the app: the portal spends from the same per-key budget as the API.
    app.state.rate_limiter = RateLimiter.for_gatehouse(gatehouse)
    # Customers' own deletions, gathered like transfers and consent saves (group commit); a
    # deletion is some milliseconds of work, so a group stays small and its members' wait short.
    app.state.deletion_groups = DeletionGroups(max_items=16)
    install_error_handlers(app)
    install_method_not_allowed(app)
    install_openapi(app)
    install_edge(app, max_body_bytes=MAX_BODY_BYTES)
    metrics = install_metrics(app, OperationsReadings(gatehouse), gatehouse.clock)
    for api_router in (
        operator.router,
        operator_webhook.router,
        operator_profile.router,
        audit.router,
        gateway.router,
        transfer_batch.router,
        recipient.router,
        ledger.router,
        ledger.public_router,
        outbox.router,
        webhooks.router,
        requests.router,
        customer.router,
        disclosures.router,
        privacy_policy.router,
        incidents.router,
        penalty.router,
        redact.router,
    ):
        app.include_router(api_router)
    # The console's own pages come before its catch-all 404 route.
    for page_router in (
        portal.router,
        privacy.router,
        console_operator.router,
        console_penalty.router,
        console_audit.router,
        console.router,
        policy_page.router,
    ):
        app.include_router(page_router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, Any]:
        """Liveness: the process is up and its rule packs are loaded."""
        return {"ok": True, "version": __version__, "rule_packs": gatehouse.packs.ids()}

    @app.get("/readyz", tags=["meta"], responses={503: {"description": "Not ready."}})
    def readyz() -> JSONResponse:
        """Readiness: the database answers and its schema is the one this code expects."""
        state = readiness(gatehouse)
        body = {
            "ready": state.ready,
            "database": state.database,
            "schema_revision": state.schema_revision,
            "expected_revision": state.expected_revision,
            "replica": state.replica,
        }
        return JSONResponse(body, status_code=200 if state.ready else 503)

    # Open like /healthz, and kept out of the API's schema: it carries counts and route
    # templates only, and operators scrape it on the internal network (docs/operations.md).
    @app.get("/metrics", include_in_schema=False)
    def metrics_page(request: Request) -> Response:
        """Prometheus metrics: request rates and latencies, and the database's counts."""
        body, content_type = metrics.render(request.headers.get("accept", ""))
        return Response(body, headers={"Content-Type": content_type})

    return app
