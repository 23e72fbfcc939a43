"""Server-rendered pages: the recipient portal, in English and Korean."""

from __future__ import annotations

from pathlib import Path

__all__ = ["STATIC_DIR"]

# The stylesheet ships inside the package and Gatehouse serves it, so pages need no CDN.
STATIC_DIR = Path(__file__).with_name("static")
