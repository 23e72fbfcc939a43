"""docs/grafana-dashboard.json: a dashboard Grafana loads, asking only for metrics /metrics has."""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from gatehouse.services.ledger_checkpoints import make_checkpoint
from tests.conftest import Fresh, repo_root
from tests.support import gateway
from tests.support.server import LiveServer, operator_api

METRIC_NAME = re.compile(r"\bgatehouse_[a-z0-9_]+\b")
# What the dashboard must show, as the metric each group of panels reads.
REQUIRED = {
    "gatehouse_http_requests_total",
    "gatehouse_http_request_duration_seconds_bucket",
    "gatehouse_transfer_decisions_total",
    "gatehouse_outbox_jobs",
    "gatehouse_rights_requests_overdue",
    "gatehouse_erasures_overdue",
    "gatehouse_ledger_checkpoint_age_seconds",
    "gatehouse_database_up",
}


@pytest.fixture(scope="module")
def dashboard() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        (repo_root() / "docs" / "grafana-dashboard.json").read_text(encoding="utf-8")
    )
    return document


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    return [panel for panel in dashboard["panels"] if panel["type"] != "row"]


def expressions(dashboard: dict[str, Any]) -> list[str]:
    exprs = [target["expr"] for panel in panels(dashboard) for target in panel["targets"]]
    exprs += [var["definition"] for var in dashboard["templating"]["list"] if "definition" in var]
    return exprs


def test_the_dashboard_is_one_grafana_can_import(dashboard: dict[str, Any]) -> None:
    assert dashboard["schemaVersion"] >= 39 and dashboard["uid"] and dashboard["title"]
    variables = {var["name"]: var for var in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    for panel in panels(dashboard):
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"] and {"x", "y", "w", "h"} <= set(panel["gridPos"])
        assert panel["gridPos"]["x"] + panel["gridPos"]["w"] <= 24
    checkpoint = next(p for p in panels(dashboard) if "checkpoint" in p["title"].lower())
    steps = checkpoint["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [step["color"] for step in steps] == ["green", "orange", "red"]


def test_every_metric_the_panels_ask_for_is_one_metrics_exposes(
    dashboard: dict[str, Any], fresh: Fresh
) -> None:
    gh = fresh.gatehouse
    with operator_api(gh) as (server, api):
        seller = gateway.new_seller(api, server.url, "CN", gateway.publish_terms(api))
        subject = gateway.new_subject(api)
        gateway.consent(api, subject, seller)
        gateway.allowed_transfer(api, subject, seller)
        seller.client.close()
    make_checkpoint(gh)
    with LiveServer(gh) as server:
        assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
        exposition = httpx.get(f"{server.url}/metrics", timeout=10).text
    exposed = {
        sample.name
        for family in text_string_to_metric_families(exposition)
        for sample in family.samples
    }

    used = {name for expr in expressions(dashboard) for name in METRIC_NAME.findall(expr)}

    assert used - exposed == set()
    assert used >= REQUIRED
