"""The recipient register's SQL side: reading many recipients at once."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event

from gatehouse.domain.recipients import PrivacyOfficer
from gatehouse.services import recipients
from tests.conftest import Fresh


def _seller(n: int) -> recipients.RecipientInput:
    return recipients.RecipientInput(
        kind="seller",
        legal_name=f"Ningbo Harbour Goods Co., Ltd. {n}",
        country="CN",
        contact_email=f"ops{n}@harbour-goods.example.cn",
        privacy_officer=PrivacyOfficer("Chen Jing", f"dpo{n}@harbour-goods.example.cn"),
        purposes=["fulfilment"],
        retention_days=60,
    )


@contextmanager
def _counted(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def test_many_recipients_are_read_in_one_statement(fresh: Fresh) -> None:
    gh = fresh.gatehouse
    registered = recipients.register_recipients(gh, [_seller(n) for n in range(30)])
    ids = [item.standing.recipient.id for item in registered]
    wanted = [*ids[:20], ids[3], "rcp_unknown"]
    with gh.unit_of_work(read_only=True) as uow, _counted(gh.engine) as statements:
        found = uow.recipients.get_many(wanted)
    assert len([s for s in statements if "FROM recipients" in s]) == 1
    # Each existing one once, by id, as get() reads it; the unknown id is left out.
    assert sorted(found) == sorted(ids[:20])
    with gh.unit_of_work(read_only=True) as uow:
        assert all(found[rid] == uow.recipients.get(rid) for rid in ids[:20])
        assert uow.recipients.get_many([]) == {}
