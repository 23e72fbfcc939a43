"""The evidence bundle's offline parts: the stand-alone verifier and the bundle's README.

``verify.py`` here is copied into every bundle as it is; it imports nothing from Gatehouse,
so an auditor runs it with Python and ``cryptography`` alone.
"""

from __future__ import annotations

from importlib.resources import files

__all__ = ["verifier_source"]


def verifier_source() -> bytes:
    """The bytes of the stand-alone verifier, as packaged."""
    return files(__name__).joinpath("verify.py").read_bytes()
