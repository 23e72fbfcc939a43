"""Rule packs: one declarative file per jurisdiction, loaded and checked at start-up."""

from gatehouse.rules.loader import PACKS_DIR, RulePackError, RulePackSet, load_pack, load_packs
from gatehouse.rules.pack import (
    Basis,
    Deadlines,
    Label,
    NoticeItem,
    Purpose,
    Remedy,
    Requirement,
    RetentionHold,
    RulePack,
    Views,
)

__all__ = [
    "PACKS_DIR",
    "Basis",
    "Deadlines",
    "Label",
    "NoticeItem",
    "Purpose",
    "Remedy",
    "Requirement",
    "RetentionHold",
    "RulePack",
    "RulePackError",
    "RulePackSet",
    "Views",
    "load_pack",
    "load_packs",
]
