"""The FastAPI application: routers per audience, the error shape and the body limit."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from gatehouse import __version__
from gatehouse.api import (
    audit,
    customer,
    gateway,
    ledger,
    operator,
    operator_webhook,
    outbox,
    recipient,
    requests,
    webhooks,
)
from gatehouse.api.errors import install_error_handlers
from gatehouse.api.limits import BodyLimitMiddleware
from gatehouse.config import MAX_BODY_BYTES
from gatehouse.services.abuse import RateLimiter
from gatehouse.services.runtime import Gatehouse
from gatehouse.web import STATIC_DIR, console, portal, privacy

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
    app.state.rate_limiter = RateLimiter()
    install_error_handlers(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=MAX_BODY_BYTES)
    app.include_router(operator.router)
    app.include_router(operator_webhook.router)
    app.include_router(audit.router)
    app.include_router(gateway.router)
    app.include_router(recipient.router)
    app.include_router(ledger.router)
    app.include_router(outbox.router)
    app.include_router(webhooks.router)
    app.include_router(requests.router)
    app.include_router(customer.router)
    app.include_router(portal.router)
    app.include_router(privacy.router)
    app.include_router(console.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    @app.get("/healthz", tags=["meta"])
    def healthz() -> dict[str, Any]:
        """Liveness: the process is up and its rule packs are loaded."""
        return {"ok": True, "version": __version__, "rule_packs": gatehouse.packs.ids()}

    return app
