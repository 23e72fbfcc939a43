"""The console's erasure panel over real HTTP, past its row limit: the most overdue show.

The backlog is written through the erasure repository the deletion service uses (one row per
request, as ``request_erasures`` writes them): making 120 real deletions would only slow the
test, and what is under test is which rows the panel picks, not how they were made.
"""

from __future__ import annotations

import re
from datetime import timedelta

from gatehouse.services.access import issue_operator_key
from gatehouse.services.console import PANEL_ROWS
from gatehouse.store.erasures import ErasureRepository
from gatehouse.store.records import ErasureRequest
from tests.conftest import Fresh, LiveServer
from tests.support.gateway import new_seller
from tests.support.gateway import publish_terms as publish
from tests.support.server import api_client
from tests.test_web_console import Console

ERASURE_ROW = re.compile(r'<tr class="erasure" id="erasure-([^"]+)" data-status="([a-z]+)"')


def test_past_the_row_limit_the_panel_shows_the_most_overdue_first(fresh: Fresh) -> None:
    gh, now = fresh.gatehouse, fresh.clock()
    key = issue_operator_key(gh, now, label="tests")
    with (
        LiveServer(gh) as server,
        api_client(server.url, key) as api,
    ):
        seller = new_seller(api, server.url, "CN", publish(api))
        seller.client.close()
        backlog = PANEL_ROWS + 20
        # Ids that sort before the worst one's: ordered by id, the panel would show only these.
        with gh.engine.begin() as connection:
            repo = ErasureRepository(connection)
            rows = [(f"era_0{i:04d}", now - timedelta(days=1, minutes=i)) for i in range(backlog)]
            rows += [
                ("era_zz_worst", now - timedelta(days=40)),
                ("era_zz_next", now + timedelta(days=3)),
            ]
            for erasure_id, due_at in rows:
                repo.add_requests(
                    [
                        ErasureRequest(
                            id=erasure_id,
                            deletion_id=None,
                            recipient_id=seller.id,
                            transfer_ids=[],
                            order_refs=[],
                            requested_at=due_at - timedelta(days=10),
                            due_at=due_at,
                            cause="consent_withdrawn",
                            consent_id=None,
                        )
                    ]
                )
        console = Console(server.url)
        try:
            assert console.login(key).status_code == 303
            html = console.dashboard()
        finally:
            console.close()

    shown = ERASURE_ROW.findall(html)
    overdue = [erasure_id for erasure_id, status in shown if status == "overdue"]
    assert len(overdue) == PANEL_ROWS
    # The most overdue leads, then the rest by due date: the oldest of the backlog, not the
    # first ids.
    expected = [f"era_0{i:04d}" for i in range(backlog - 1, backlog - PANEL_ROWS, -1)]
    assert overdue == ["era_zz_worst", *expected]
    # A long overdue backlog does not hide the request falling due next.
    assert ("era_zz_next", "pending") in shown
