"""Identifiers: random, prefixed by kind so a misplaced id is obvious in logs and URLs."""

from __future__ import annotations

import uuid

__all__ = ["new_id"]


def new_id(prefix: str) -> str:
    """A new random id such as ``sub_3f2a...``."""
    return f"{prefix}_{uuid.uuid4().hex}"
