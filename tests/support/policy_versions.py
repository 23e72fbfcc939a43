"""Privacy policy versions put straight into the fake database, for the use cases that link them.

Publishing has tests of its own (``test_service_privacy_policy``, ``test_privacy_policy``); the
consents, notices and deletions only ask which version is in force, so a bare version will do.
"""

from __future__ import annotations

from datetime import datetime

from gatehouse.store.privacy_policies import StoredPolicy
from tests.support.fakes import FakeDatabase

__all__ = ["put_policy"]


def put_policy(db: FakeDatabase, version: int, *, effective_at: datetime) -> StoredPolicy:
    """Add version ``version`` of the policy, published and in force from ``effective_at``."""
    policy = StoredPolicy(
        version=version,
        content_hash=f"{version:064x}",
        documents={},
        register_digest="",
        register_count=0,
        changes=[],
        material=False,
        published_at=effective_at,
        effective_at=effective_at,
        profile_version=1,
    )
    db.tables.policy_versions.append(policy)
    return policy
