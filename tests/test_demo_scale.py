"""The scale generator: the small preset (1 % of the large run) on PostgreSQL, read through
the use cases a customer, a recipient and the auditor use; and a stopped run continued."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from gatehouse.config import Settings
from gatehouse.demo.scale import PRESETS, generate, table_counts
from gatehouse.demo.scale_people import customer_id, favourites, stable_id
from gatehouse.domain.orders import OrderItem
from gatehouse.services import customer_transfers, ledger
from gatehouse.services import orders as order_service
from gatehouse.services import transfers as transfer_service
from gatehouse.services import views as view_service
from gatehouse.services.runtime import Gatehouse, open_gatehouse
from gatehouse.store.ledger_tables import ledger_entries
from gatehouse.store.summary_tables import transfer_totals, view_windows
from gatehouse.store.tables import orders, recipients, subjects, transfers, views
from gatehouse.vault import MasterKey
from tests.conftest import Clock, Fresh, fresh_backend
from tests.support.scale_runs import TINY, chains, tiny_in_one_go

SMALL = PRESETS["small"]


@dataclass
class Generated:
    gatehouse: Gatehouse
    clock: Clock
    counts: dict[str, int]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Generated]:
    """The small preset, generated once into its own PostgreSQL database."""
    for backend in fresh_backend("postgres", tmp_path_factory):
        clock = Clock()
        settings = Settings.from_env(
            {
                "GATEHOUSE_DATABASE_URL": backend.url,
                "GATEHOUSE_MASTER_KEY": MasterKey.generate().to_b64(),
            }
        )
        gh = open_gatehouse(settings, clock=clock)
        report = generate(gh, SMALL)
        assert report.complete
        yield Generated(gh, clock, report.counts)
        gh.close()


def _scalar(engine: Engine, query: object) -> int:
    with engine.connect() as c:
        return int(c.execute(query).scalar_one())  # type: ignore[call-overload]


def test_the_small_preset_has_the_counts_it_names(small: Generated) -> None:
    counts = small.counts
    assert (SMALL.recipients, SMALL.countries, SMALL.subjects, SMALL.transfers) == (
        1_800,
        40,
        10_000,
        100_000,
    )
    assert counts["recipients"] == 1_800 == counts["api_keys"]
    assert counts["subjects"] == 10_000
    assert counts["transfers"] == counts["orders"] == 100_000
    engine = small.gatehouse.engine
    assert _scalar(engine, select(func.count(func.distinct(recipients.c.country)))) == 40
    allowed = _scalar(engine, select(func.count()).where(transfers.c.allowed.is_(True)))
    # Every allowed transfer opened a view with its safe number; some were refused.
    assert counts["views"] == allowed == counts["safe_numbers"]
    assert 0.75 * 100_000 < allowed < 0.97 * 100_000
    kinds = _scalar(engine, select(func.count(func.distinct(recipients.c.kind))))
    assert kinds == 3


def test_every_row_points_at_rows_that_exist(small: Generated) -> None:
    engine = small.gatehouse.engine
    orphans = [
        select(func.count())
        .select_from(views)
        .outerjoin(transfers, transfers.c.id == views.c.transfer_id)
        .where(transfers.c.id.is_(None)),
        select(func.count())
        .select_from(transfers)
        .outerjoin(orders, orders.c.id == transfers.c.order_id)
        .where(orders.c.id.is_(None)),
        select(func.count())
        .select_from(transfers)
        .outerjoin(subjects, subjects.c.id == transfers.c.subject_id)
        .where(subjects.c.id.is_(None)),
        select(func.count())
        .select_from(transfers)
        .outerjoin(recipients, recipients.c.id == transfers.c.recipient_id)
        .where(recipients.c.id.is_(None)),
        # A view belongs to its transfer's order, customer and recipient.
        select(func.count())
        .select_from(views)
        .join(transfers, transfers.c.id == views.c.transfer_id)
        .where(
            (views.c.order_id != transfers.c.order_id)
            | (views.c.subject_id != transfers.c.subject_id)
            | (views.c.recipient_id != transfers.c.recipient_id)
        ),
    ]
    assert [_scalar(engine, query) for query in orphans] == [0, 0, 0, 0, 0]


def test_the_summaries_the_pages_read_match_the_rows(small: Generated) -> None:
    engine = small.gatehouse.engine
    allowed = select(func.count()).where(transfers.c.allowed.is_(True))
    counted = select(func.sum(transfer_totals.c.transfers))
    latest = (
        select(
            views.c.subject_id,
            views.c.recipient_id,
            func.max(func.coalesce(views.c.closed_at, views.c.expires_at)).label("until"),
        )
        .group_by(views.c.subject_id, views.c.recipient_id)
        .subquery()
    )
    mismatched = (
        select(func.count())
        .select_from(latest)
        .outerjoin(
            view_windows,
            (view_windows.c.subject_id == latest.c.subject_id)
            & (view_windows.c.recipient_id == latest.c.recipient_id),
        )
        .where(view_windows.c.until.is_(None) | (view_windows.c.until != latest.c.until))
    )
    assert _scalar(engine, counted) == _scalar(engine, allowed)
    assert _scalar(engine, mismatched) == 0
    assert _scalar(engine, select(func.count()).select_from(latest)) == small.counts["view_windows"]
    # The console's counts, from decision_counts, are the transfers' own.
    with engine.connect() as c:
        refused = c.execute(
            select(transfers.c.refusal, func.count())
            .where(transfers.c.allowed.is_(False))
            .group_by(transfers.c.refusal)
        ).all()
        by_country = c.execute(
            select(transfers.c.country, func.count())
            .where(transfers.c.allowed.is_(True))
            .group_by(transfers.c.country)
        ).all()
    with small.gatehouse.unit_of_work(read_only=True) as uow:
        assert uow.dashboard.refusals_by_reason() == {k: int(n) for k, n in refused}
        assert uow.dashboard.allowed_by_country() == {k: int(n) for k, n in by_country}


def test_customers_have_few_transfers_and_some_have_many(small: Generated) -> None:
    per_subject = (
        select(func.count().label("n")).select_from(transfers).group_by(transfers.c.subject_id)
    ).subquery()
    engine = small.gatehouse.engine
    with engine.connect() as c:
        counts = sorted(c.execute(select(per_subject.c.n)).scalars())
    assert counts[len(counts) // 2] <= 12
    assert sum(1 for n in counts if n >= 50) >= 50


def test_the_ledger_verifies_and_holds_every_decision(small: Generated) -> None:
    result = ledger.verify(small.gatehouse)
    assert result.ok, result.first_bad
    decisions = _scalar(
        small.gatehouse.engine,
        select(func.count()).where(
            ledger_entries.c.kind.in_(["transfer.allowed", "transfer.refused"])
        ),
    )
    assert decisions == 100_000
    assert result.entries == small.counts["ledger_entries"]


def test_a_heavy_customer_sees_who_has_their_data(small: Generated) -> None:
    gh = small.gatehouse
    heavy = customer_id(SMALL.seed, 0)  # customer 0 is among the heavy buyers
    with gh.engine.connect() as c:
        allowed = c.execute(
            select(func.count()).where(transfers.c.subject_id == heavy, transfers.c.allowed)
        ).scalar_one()
    page = customer_transfers.transfers_of(gh, heavy, limit=20)
    assert allowed >= 50
    assert len(page.items) == 20 and page.next_cursor is not None
    assert sum(page.by_country.values()) == allowed
    assert all(item.proof is not None for item in page.items)


def test_a_recipient_reads_its_open_views(small: Generated) -> None:
    gh = small.gatehouse
    with gh.engine.connect() as c:
        row = c.execute(
            select(views.c.recipient_id, func.count().label("n"))
            .where(views.c.closed_at.is_(None), views.c.expires_at > small.clock())
            .group_by(views.c.recipient_id)
            .order_by(func.count().desc())
            .limit(1)
        ).one()
    page, _ = view_service.list_views(gh, row.recipient_id, only_open=True, after=None, limit=500)
    assert len(page) == row.n
    view = view_service.read_view(gh, row.recipient_id, page[0].transfer_id)
    assert view.items and str(view.recipient_fields["phone"]).startswith("0505-")


def test_a_new_order_is_decided_as_the_generated_ones_were(small: Generated) -> None:
    gh = small.gatehouse
    # One generated transfer of each outcome and recipient kind, decided again for real.
    outcome = (recipients.c.kind, transfers.c.allowed, transfers.c.basis, transfers.c.refusal)
    with gh.engine.connect() as c:
        firsts = (
            select(func.min(transfers.c.id).label("id"))
            .join(recipients, recipients.c.id == transfers.c.recipient_id)
            .group_by(*outcome)
            .subquery()
        )
        samples = c.execute(select(transfers).join(firsts, firsts.c.id == transfers.c.id)).all()
    outcomes = {(row.allowed, row.refusal) for row in samples}
    assert {
        (True, None),
        (False, "no_lawful_basis"),
        (False, "recipient_not_eligible"),
        (False, "recipient_suspended"),
        (False, "flow_not_permitted"),
    } <= outcomes
    for number, row in enumerate(samples):
        order_id = order_service.create_order(
            gh,
            order_service.NewOrder(
                subject_id=row.subject_id,
                recipient_id=row.recipient_id,
                external_ref=f"CHECK-{number}",
                items=[OrderItem("SKU-1", "생활용품", 1)],
                delivery_note=None,
                customs_required=False,
            ),
        )
        decided = transfer_service.request_transfer(
            gh, order_id, purpose="fulfilment", flow="provision"
        ).decision
        refusal = decided.refusal.value if decided.refusal else None
        assert (decided.allowed, decided.basis, decided.notice_hash, refusal) == (
            row.allowed,
            row.basis,
            row.notice_hash,
            row.refusal,
        )


def test_a_stopped_run_continues_where_it_stopped(fresh: Fresh, tmp_path: Path) -> None:
    gh = fresh.gatehouse
    first = generate(gh, TINY, stop_after=2)  # two of the four chunks of customers
    assert not first.complete and first.chunks_written == 2
    assert table_counts(gh.engine)["subjects"] == 200
    second = generate(gh, TINY, stop_after=6)  # the rest of them, then four slices of orders
    assert not second.complete
    assert table_counts(gh.engine)["orders"] == 2_000
    last = generate(gh, TINY)
    assert last.complete and last.chunks_written == 2
    counts = last.counts
    assert counts["subjects"] == 400 and counts["recipients"] == 120
    with gh.engine.connect() as c:
        ids = set(c.execute(select(transfers.c.id)).scalars())
        active_sellers = c.execute(
            select(func.count()).where(
                recipients.c.kind == "seller",
                recipients.c.status == "active",
                recipients.c.accepted_terms_version.is_not(None),
            )
        ).scalar_one()
    assert ids == {stable_id("trf", TINY.seed, n) for n in range(3_000)}
    assert counts["consents"] == sum(
        len(favourites(TINY.seed, i, active_sellers)) for i in range(400)
    )
    result = ledger.verify(gh)
    assert result.ok, result.first_bad
    assert result.entries == counts["ledger_entries"]
    # The same entries, in the same places, as a run that never stopped.
    reference = tiny_in_one_go(tmp_path)
    assert chains(gh.engine) == chains(reference.engine)
    reference.close()


def test_each_shard_runs_forward_in_time(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    generate(gh, TINY)
    e = ledger_entries.c
    with gh.engine.connect() as c:
        rows = c.execute(select(e.shard, e.at).order_by(e.shard, e.seq)).all()
    backwards = [
        (before, after)
        for before, after in zip(rows, rows[1:], strict=False)
        if before.shard == after.shard and after.at < before.at
    ]
    assert rows and backwards == []
