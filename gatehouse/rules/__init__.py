"""Rule packs: one declarative file per jurisdiction, loaded and checked at start-up.

The model the files are validated into is ``gatehouse.domain.policy``.
"""

from gatehouse.rules.loader import PACKS_DIR, RulePackError, RulePackSet, load_pack, load_packs

__all__ = [
    "PACKS_DIR",
    "RulePackError",
    "RulePackSet",
    "load_pack",
    "load_packs",
]
