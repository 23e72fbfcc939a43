"""The customer's own view of their data: who they are to us, who got their data, and all of it.

Every function takes the subject id of an authenticated customer session and reads only that
subject's rows; ids the customer names (a transfer, a consent, a request) are looked up within
that subject, so another customer's id is simply not found.

The views live in the ``customer_*`` modules beside this one and are re-exported here, so
callers keep one name for the customer's side; this module itself ends the account.
"""

from __future__ import annotations

from gatehouse.services.customer_consents import consents_of
from gatehouse.services.customer_export import EXPORT_FORMAT, export
from gatehouse.services.customer_profile import profile
from gatehouse.services.customer_sessions import revoke_sessions_in
from gatehouse.services.customer_transfers import TransferPage, transfer_of, transfers_of
from gatehouse.services.deletion import DeletionReceipt, erase_in
from gatehouse.services.runtime import Gatehouse

__all__ = [
    "EXPORT_FORMAT",
    "TransferPage",
    "profile",
    "transfers_of",
    "transfer_of",
    "consents_of",
    "export",
    "delete_account",
]


def delete_account(gh: Gatehouse, subject_id: str) -> DeletionReceipt:
    """The customer deletes their account: the deletion engine runs and every session ends,
    in one transaction, so a failure anywhere leaves the account as it was.

    Authentication also refuses a deleted subject, so a request racing this one is refused
    all the same; revoking makes the end visible in the session table too.
    """
    with gh.unit_of_work() as uow:
        receipt = erase_in(gh, uow, subject_id, requested_by="customer")
        revoke_sessions_in(uow, subject_id, receipt.deleted_at)
    return receipt
