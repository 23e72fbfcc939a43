"""The hot writes, awaited on the event loop: transfers, consent saves and account deletions.

Each request joins its kind's group commit (:mod:`gatehouse.services.group_commit`) and waits
on a future; the groups run on the commit threads, so a request costs the event loop no
thread of its own. A request authenticated by an API key brings the key it was let in with;
the group's own transaction confirms it (:mod:`gatehouse.services.key_cache`) before it
writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gatehouse.domain.consents import ConsentRecord
from gatehouse.domain.errors import GatehouseError
from gatehouse.services.consents import ConsentAnswer, record_consents
from gatehouse.services.customer_sessions import (
    CustomerPrincipal,
    authenticate_customer,
    revoke_sessions_in,
)
from gatehouse.services.deletion import DeletionReceipt, erase_in
from gatehouse.services.group_commit import GroupCommit
from gatehouse.services.key_cache import KnownKey
from gatehouse.services.runtime import Gatehouse
from gatehouse.services.transfers import TransferOutcome, TransferRequest, decide_items

__all__ = [
    "DeletionGroups",
    "delete_accounts",
    "delete_my_account",
    "record_consent",
    "request_transfer",
]

DeletionGroups = GroupCommit[str, DeletionReceipt]
"""Customers' own deletions in one process, by the token each signed in with."""


async def request_transfer(
    gh: Gatehouse, key: KnownKey, request: TransferRequest
) -> TransferOutcome:
    """Decide and record one transfer in a group (see
    :func:`gatehouse.services.transfers.request_transfer`), confirming ``key`` there."""
    return await gh.transfer_groups.submit_async(
        request, lambda items: decide_items(gh, items), tag=key
    )


async def record_consent(gh: Gatehouse, key: KnownKey, answer: ConsentAnswer) -> ConsentRecord:
    """Record one consent answer in a group (see
    :func:`gatehouse.services.consents.record_consent`), confirming ``key`` there."""
    return await gh.consent_groups.submit_async(
        answer, lambda items: record_consents(gh, items), tag=key
    )


async def delete_my_account(gh: Gatehouse, groups: DeletionGroups, token: str) -> DeletionReceipt:
    """The customer behind ``token`` deletes their account, in a group of deletions."""
    return await groups.submit_async(token, lambda tokens: delete_accounts(gh, tokens))


@dataclass(frozen=True)
class _Signed:
    at: int
    who: CustomerPrincipal


def delete_accounts(gh: Gatehouse, tokens: Sequence[str]) -> list[DeletionReceipt | Exception]:
    """Authenticate each token, then erase every customer signed in and end their sessions;
    a receipt or the token's own refusal or failure each, in order.

    Each deletion is its own transaction, as it was before the group: one deletion locks its
    subject, its ledger shard and what its recipients are told, and two transactions holding
    several of those (two processes' groups) could wait on each other. The group spares each
    request the thread it used to wait on, and SQLite's writer the crowd of deletions
    competing for it.
    """
    answers: list[DeletionReceipt | Exception | None] = [None] * len(tokens)
    signed: list[_Signed] = []
    for at, token in enumerate(tokens):
        try:
            signed.append(_Signed(at, authenticate_customer(gh, token)))
        except GatehouseError as refused:
            answers[at] = refused
    for one in signed:
        try:
            with gh.unit_of_work() as uow:
                receipt = erase_in(gh, uow, one.who.subject_id, requested_by="customer")
                revoke_sessions_in(uow, one.who.subject_id, receipt.deleted_at)
            answers[one.at] = receipt
        except Exception as failure:
            # Committed deletions are never run again: a failure stays this member's alone.
            answers[one.at] = failure
    return [answer for answer in answers if answer is not None]
